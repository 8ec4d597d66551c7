"""A flood of malformed messages mixed into a busy stream (the drill's fast twin, no Kafka)."""
import random

from app.live import store
from app.stream.pipeline import Message, process_batch
from app.stream.rides import Settings
from tests.drill_stream import drill_ticks, flood, junk_messages
from tests.stream_helpers import plain, snapshot

POLL = 500


def consume(path, ticks) -> dict:
    """Feed the ticks through the pipeline in polls of POLL messages; the live store's snapshot."""
    conn = store.connect(str(path))
    stream = [Message("deloton", 0, offset, key, value)
              for offset, (key, value) in enumerate(m for tick in ticks for m in tick)]
    for start in range(0, len(stream), POLL):
        process_batch(conn, stream[start:start + POLL], Settings())
    result = plain(snapshot(conn))
    conn.close()
    return result


def test_a_flood_of_malformed_messages_is_quarantined_and_the_good_ones_are_unaffected(tmp_path):
    ticks = drill_ticks(bikes=3, seconds=360, alert_bikes=2)
    rng = random.Random(3)
    junk = junk_messages(sorted({key for tick in ticks for key, _ in tick}), rng)
    clean = consume(tmp_path / "clean.db", ticks)
    flooded = consume(tmp_path / "flooded.db", flood(ticks, junk, rng))

    for table in ("rides", "readings", "alerts", "outbox", "bikes"):
        assert flooded[table] == clean[table], table
    assert len(clean["alerts"]) >= 2 and len(clean["readings"]) > 1000
    assert clean["quarantine"] == [] and len(flooded["quarantine"]) == len(junk)
    reasons = {row[5].split(":")[0].split(" '")[0] for row in flooded["quarantine"]}
    assert {"message value is not UTF-8", "message value is not JSON", "line fits no known form",
            "message key is not UTF-8", "message key is blank"} <= reasons and len(reasons) >= 8
