"""consumer.py against the real Kafka broker: backtracking, SIGKILL part-way, two consumers in a group."""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from rq import Queue

from app.live import store
from app.stream.parse import System, decode_value, parse_line
from app.stream.produce import build_producer, produce_fleet, recorded_values
from tests.conftest import KAFKA_SERVERS, REDIS_BASE_URL, REDIS_DB
from tests.stream_helpers import DATA, plain, snapshot, value
from tests.waiting import wait_for

pytestmark = pytest.mark.slow
PROJECT = Path(__file__).resolve().parent.parent
# The fleet's busiest partition holds about 7,000 messages: look back over all of it.
# The fleet rides now: its alerts must not turn stale (ALERT_MAX_AGE_S) while the module runs.
FLEET = {"BACKTRACK_MAX_MESSAGES": 20000, "ALERT_MAX_AGE_S": 10 ** 9}


def consumer_env(live_db: Path, redis_url: str, **extra) -> dict:
    return {**os.environ, "LIVE_DB_PATH": str(live_db), "REDIS_URL": redis_url,
            "DATABASE_URL": f"sqlite:///{live_db.parent / 'warehouse.db'}",
            "KAFKA_BOOTSTRAP_SERVERS": KAFKA_SERVERS, **{k: str(v) for k, v in extra.items()}}


def start_consumer(topic: str, group: str, env: dict, idle_s: float = 4,
                   extra_args=()) -> subprocess.Popen:
    """consumer.py as a subprocess; its log goes to a file next to the live store."""
    log_path = Path(env["LIVE_DB_PATH"]).with_suffix(f".{uuid.uuid4().hex[:6]}.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        process = subprocess.Popen([sys.executable, str(PROJECT / "consumer.py"), "--topic", topic,
                                    "--group-id", group, "--exit-when-idle", str(idle_s),
                                    *extra_args],
                                   env=env, cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT)
    process.log_path = log_path
    return process


def finish(process: subprocess.Popen) -> None:
    assert process.wait(timeout=90) == 0



def count(live_db: Path, sql: str) -> int:
    if not live_db.exists():
        return 0
    with sqlite3.connect(live_db, timeout=30) as conn:
        try:
            return conn.execute(sql).fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def read_store(live_db: Path) -> dict:
    conn = store.connect(str(live_db))
    try:
        return plain(snapshot(conn))
    finally:
        conn.close()


def test_the_recorded_topic_start_is_one_ride_of_user_100_picked_up_by_backtracking(
        app, kafka_topic, tmp_path, redis_conn, redis_url):
    result = app.test_cli_runner().invoke(args=[
        "deloton", "replay", str(DATA / "recorded-topic-start-2022-07-06.jsonl"), "--speed", "0",
        "--topic", kafka_topic])
    assert result.exit_code == 0 and "sent 1000 messages" in result.output
    live_db = tmp_path / "fresh" / "live.db"
    consumer = start_consumer(kafka_topic, "fresh-group", consumer_env(live_db, redis_url))
    wait_for(lambda: count(live_db, "SELECT COUNT(*) FROM readings") == 498)
    ride = store.get_ride(store.connect(str(live_db)), "SN0000", "2022-07-06 23:29:35.935822+00:00")
    assert ride["status"] == "open" and ride["rider"]["name"] == "Steven Pearce"
    producer = KafkaProducer(bootstrap_servers=KAFKA_SERVERS)
    producer.send(kafka_topic, value=value("--------- beginning of a new ride"), partition=0)
    producer.close()
    finish(consumer)
    conn = store.connect(str(live_db))
    assert store.get_ride(conn, "SN0000", ride["started_at"])["status"] == "ended"
    assert len(store.get_readings(conn, "SN0000", ride["started_at"])) == 498
    (job_id,) = [row[0] for row in conn.execute("SELECT job_id FROM outbox WHERE enqueued_at IS NOT NULL")]
    assert "quarantined" not in store.get_counters(conn)
    assert Queue("closeout", connection=redis_conn).fetch_job(job_id) is not None


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """A topic with a keyed fleet (4 partitions), read by a consumer that was there from the start
    and by a fresh one started afterwards (the reference for the kill and group tests)."""
    admin = KafkaAdminClient(bootstrap_servers=KAFKA_SERVERS, request_timeout_ms=10000)
    topic = f"deloton-fleet-{uuid.uuid4().hex[:10]}"
    admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])
    base = tmp_path_factory.mktemp("fleet")
    redis_url = f"{REDIS_BASE_URL}/{REDIS_DB}"
    early_db = base / "early" / "live.db"
    early = start_consumer(topic, "early", consumer_env(early_db, redis_url))
    wait_for(lambda: log_of(early).count("has no saved position") == 4)
    producer = build_producer(KAFKA_SERVERS)
    produce_fleet(producer, topic, bikes=8, speed=0, seed=11, seconds=700)
    for junk in (b"\xff\xfe", b'{"log": 42}', value("2022-07-06 10:00:00.000000 x: [INFO]: Ride - "
                                                      "duration = 1.0; resistance = 5000")):
        producer.send(topic, key=b"SDjunk", value=junk)
    producer.close()
    fresh_db = base / "fresh" / "live.db"
    fresh = start_consumer(topic, "fresh", consumer_env(fresh_db, redis_url, **FLEET))
    finish(early)
    finish(fresh)
    yield {"topic": topic, "base": base, "redis_url": redis_url,
           "early": read_store(early_db), "fresh": read_store(fresh_db)}
    admin.delete_topics([topic])
    admin.close()


def log_of(process: subprocess.Popen) -> str:
    return process.log_path.read_text()


def test_a_fresh_group_started_mid_ride_finds_each_rider_by_backtracking(fleet):
    early, fresh = fleet["early"], fleet["fresh"]
    open_rides = [ride for ride in early["rides"] if ride[6] == "open"]
    assert len(open_rides) == 8  # every bike is mid-ride when the fleet stops
    for ride in open_rides:
        assert ride in fresh["rides"]
        readings = [r for r in early["readings"] if r[:2] == ride[:2]]
        assert readings == [r for r in fresh["readings"] if r[:2] == ride[:2]]
    assert len(fresh["rides"]) < len(early["rides"])  # rides over before the window are not replayed
    reasons = [row[5] for row in fresh["quarantine"]]
    assert reasons == [row[5] for row in early["quarantine"]] and len(reasons) == 3
    assert any("resistance out of bounds" in reason for reason in reasons)


def test_a_consumer_killed_part_way_and_restarted_ends_as_an_uninterrupted_run(fleet):
    live_db = fleet["base"] / "killed" / "live.db"
    env = consumer_env(live_db, fleet["redis_url"], KAFKA_MAX_POLL_RECORDS=300, **FLEET)
    consumer = start_consumer(fleet["topic"], "killed", env)
    wait_for(lambda: count(live_db, "SELECT COUNT(*) FROM readings"), every_s=0.01)
    consumer.send_signal(signal.SIGKILL)
    consumer.wait(timeout=30)
    partial = count(live_db, "SELECT COUNT(*) FROM readings")
    assert 0 < partial < len(fleet["fresh"]["readings"])
    finish(start_consumer(fleet["topic"], "killed", env))
    assert read_store(live_db) == fleet["fresh"]


def test_two_consumers_in_one_group_share_the_partitions(fleet):
    live_db = fleet["base"] / "pair" / "live.db"
    env = consumer_env(live_db, fleet["redis_url"], KAFKA_MAX_POLL_RECORDS=300, **FLEET)
    first = start_consumer(fleet["topic"], "pair", env, idle_s=6)
    second = start_consumer(fleet["topic"], "pair", env, idle_s=6)
    finish(first)
    finish(second)
    assert read_store(live_db) == fleet["fresh"]
    assert "assigned" in log_of(first) and "assigned" in log_of(second)


def test_a_recorded_log_file_gives_the_same_message_values_as_its_jsonl_twin():
    from_log = [json.loads(v) for v in recorded_values(DATA / "recorded-topic-start-2022-07-06.log")]
    from_jsonl = [json.loads(v) for v in recorded_values(DATA / "recorded-topic-start-2022-07-06.jsonl")]
    assert len(from_log) == 1000 and from_log == from_jsonl


def test_simulate_produces_a_fleet_keyed_by_serial_that_parses_cleanly(app, kafka_topic):
    result = app.test_cli_runner().invoke(args=["deloton", "simulate", "--bikes", "3", "--seconds", "30",
                                                "--speed", "0", "--seed", "2", "--topic", kafka_topic])
    assert result.exit_code == 0, result.output
    consumer = KafkaConsumer(kafka_topic, bootstrap_servers=KAFKA_SERVERS, group_id=None,
                             auto_offset_reset="earliest", consumer_timeout_ms=5000)
    records = list(consumer)
    consumer.close()
    assert f"sent {len(records)} messages" in result.output
    lines = [(r.key.decode(), parse_line(decode_value(r.value))) for r in records]
    systems = {key: line.rider for key, line in lines if isinstance(line, System)}
    assert len(systems) == 3 and all(rider["bike_serial"] == key for key, rider in systems.items())
