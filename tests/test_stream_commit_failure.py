"""consumer.py's writer process commits each batch while the consumer reads the next: a commit that
fails there (PostgreSQL refusing it as a serialization failure) loses nothing and stores nothing twice."""
import os
import subprocess
import sys
import uuid
from contextlib import closing

import pytest

from app.live import store
from tests.conftest import KAFKA_SERVERS
from tests.test_stream_fencing import PARTITIONS, end_offsets, produce, stored
from tests.test_stream_kafka import PROJECT

pytestmark = pytest.mark.slow

# Every write of a position row counts; the third makes its transaction fail at COMMIT (a deferred
# constraint trigger), once: a sequence keeps counting when the transaction rolls back.
FAULT = """
CREATE SEQUENCE commit_fault_seq;
CREATE FUNCTION commit_fault() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF nextval('commit_fault_seq') = 3 THEN
    RAISE EXCEPTION 'injected at commit' USING ERRCODE = 'serialization_failure';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER commit_fault AFTER INSERT OR UPDATE ON positions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION commit_fault();
"""
UNDO = """
DROP TRIGGER IF EXISTS commit_fault ON positions;
DROP FUNCTION IF EXISTS commit_fault();
DROP SEQUENCE IF EXISTS commit_fault_seq;
"""


def run_consumer(topic: str, live: str, tmp_path) -> str:
    """consumer.py over the topic until it is idle; its log."""
    env = {**os.environ, "LIVE_DB_PATH": live, "KAFKA_BOOTSTRAP_SERVERS": KAFKA_SERVERS,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'warehouse.db'}", "KAFKA_MAX_POLL_RECORDS": "200"}
    done = subprocess.run([sys.executable, str(PROJECT / "consumer.py"), "--topic", topic,
                           "--group-id", f"commit-failure-{uuid.uuid4().hex[:8]}", "--exit-when-idle", "4"],
                          env=env, cwd=PROJECT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr


def test_a_batch_whose_commit_fails_is_read_again_and_stored_once(pg_live, kafka_topic, tmp_path):
    sent, telemetry = produce(kafka_topic)
    with closing(store.connect(pg_live)) as conn:
        with conn:  # read every partition from its start
            conn.executemany("INSERT INTO positions (topic, partition, next_offset) VALUES (?, ?, 0)",
                             [(kafka_topic, p) for p in range(PARTITIONS)])
        conn.execute(FAULT)
        conn.commit()
        try:
            log = run_consumer(kafka_topic, pg_live, tmp_path)
        finally:
            conn.execute(UNDO)
            conn.commit()

    assert "batch rolled back, read again" in log
    after = stored(pg_live)
    assert after["counters"]["messages"] == sent and "duplicates" not in after["counters"]
    assert after["readings"] == after["counters"]["readings"] == telemetry
    assert after["positions"] == end_offsets(kafka_topic)
