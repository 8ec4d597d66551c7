"""The live store on PostgreSQL (LIVE_DB_PATH as a postgresql:// URL): consumer.py on a real Kafka
topic, the web pages and the operator's commands read the same data as on SQLite."""
import json
import os
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from kafka import KafkaProducer
from rq import Queue

from app.live import ingest, store
from app.stream.pipeline import process_batch
from app.stream.rides import Settings
from tests.factories import add_reading, rider_json, start_ride
from tests.conftest import KAFKA_SERVERS
from tests.stream_helpers import DATA, messages, value
from tests.test_stream_pipeline import ride_lines, system
from tests.waiting import wait_for

PROJECT = Path(__file__).resolve().parent.parent
LIVE = {"HX-Request": "true", "HX-Target": "live-figures"}
START = "2022-07-06 23:29:35.935822+00:00"


def readings_count(url: str) -> int:
    with closing(store.connect(url, readonly=True)) as conn:
        return conn.execute("SELECT COUNT(*) FROM readings").fetchone()[0]



def start_consumer(topic: str, live_url: str, redis_url: str, tmp_path: Path) -> subprocess.Popen:
    env = {**os.environ, "LIVE_DB_PATH": live_url, "REDIS_URL": redis_url,
           "DATABASE_URL": f"sqlite:///{tmp_path / 'warehouse.db'}", "KAFKA_BOOTSTRAP_SERVERS": KAFKA_SERVERS}
    with open(tmp_path / "consumer.log", "w") as log:
        return subprocess.Popen([sys.executable, str(PROJECT / "consumer.py"), "--topic", topic,
                                 "--group-id", "pg-live", "--exit-when-idle", "4"],
                                env=env, cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT)


@pytest.mark.slow
def test_consumer_reads_a_real_topic_into_a_postgresql_live_store(
        app, pg_live, kafka_topic, tmp_path, redis_conn, redis_url):
    result = app.test_cli_runner().invoke(args=[
        "deloton", "replay", str(DATA / "recorded-topic-start-2022-07-06.jsonl"), "--speed", "0",
        "--topic", kafka_topic])
    assert result.exit_code == 0 and "sent 1000 messages" in result.output
    consumer = start_consumer(kafka_topic, pg_live, redis_url, tmp_path)
    wait_for(lambda: readings_count(pg_live) == 498)
    producer = KafkaProducer(bootstrap_servers=KAFKA_SERVERS)
    producer.send(kafka_topic, value=value("--------- beginning of a new ride"), partition=0)
    producer.close()
    assert consumer.wait(timeout=90) == 0, (tmp_path / "consumer.log").read_text()
    with closing(store.connect(pg_live)) as conn:
        ride = store.get_ride(conn, "SN0000", START)
        assert ride["status"] == "ended" and ride["rider"]["name"] == "Steven Pearce"
        assert len(store.get_readings(conn, "SN0000", START)) == 498
        (job_id,) = [row["job_id"] for row in
                     conn.execute("SELECT job_id FROM outbox WHERE enqueued_at IS NOT NULL")]
        assert "quarantined" not in store.get_counters(conn)
    assert Queue("closeout", connection=redis_conn).fetch_job(job_id) is not None


def test_the_bike_screen_fragment_is_served_from_a_postgresql_live_store(pg_live_app, pg_live):
    client = pg_live_app.test_client()
    with closing(store.connect(pg_live)) as live:
        start = start_ride(live, "SN0001", rider_json(bike_serial="SN0001", name="Mrs Ada Lovelace",
                                                            gender="female"))
        for second, rate in enumerate([0, 0, 110, 140, 150], 1):
            add_reading(live, "SN0001", start, second, rate, power=100.0 + second)
        first = client.get("/bikes/SN0001", headers=LIVE).get_data(as_text=True)
        add_reading(live, "SN0001", start, 6, 181, power=250.0)
    second = client.get("/bikes/SN0001", headers=LIVE).get_data(as_text=True)
    assert "<html" not in first and 'data-figure="hr">150' in first
    assert "Zone 4 · 86% of limit" in first and 'data-figure="energy">0.5' in first
    assert 'data-figure="hr">181' in second and "181 bpm is over 174.4 bpm" in second
    fleet = client.get("/").get_data(as_text=True)
    assert 'data-bike="SN0001"' in fleet and "Ada" in fleet


def test_stats_and_health_read_a_postgresql_live_store(pg_live_app, pg_live):
    with closing(store.connect(pg_live)) as conn:
        process_batch(conn, messages([b"junk", system(0)] + ride_lines(0, [90])), Settings())
    result = pg_live_app.test_cli_runner().invoke(args=["deloton", "stats", "--json"])
    counters = json.loads(result.output)
    assert counters["quarantined"] == 1 and counters["readings"] == 1
    health = pg_live_app.test_client().get("/healthz").get_json()
    assert health["consumer"]["quarantined"] == 1


def test_writers_serialise_on_the_advisory_lock(pg_live):
    first, second = store.connect(pg_live), store.connect(pg_live)
    try:
        store.begin_write(first)
        second.execute("SET lock_timeout = '200ms'")
        with pytest.raises(store.Error, match="lock timeout"):
            store.begin_write(second)
        second.rollback()
        first.commit()
        store.begin_write(second)  # free again once the first writer commits
        second.commit()
    finally:
        first.close()
        second.close()


def test_writers_of_different_partitions_write_at_once_and_writers_of_one_partition_wait(pg_live):
    first, second = store.connect(pg_live), store.connect(pg_live)
    try:
        store.begin_write(first, [("deloton", 0)])
        ingest.add_counts(first, [("messages", 0, 5)])
        second.execute("SET lock_timeout = '200ms'")
        store.begin_write(second, [("deloton", 1)])  # another partition: no wait...
        ingest.add_counts(second, [("messages", 1, 7)])  # ...not even on the counters
        second.commit()
        for waits in ([("deloton", 1), ("deloton", 0)], None):  # partition 0, or the whole store
            with pytest.raises(store.Error, match="lock timeout"):
                store.begin_write(second, waits)
            second.rollback()
        first.commit()
        assert store.get_counters(second) == {"messages": 12}
    finally:
        first.close()
        second.close()
