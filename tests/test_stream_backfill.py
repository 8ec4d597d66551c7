"""Operators: a backfill of the topic's retention (old alerts skipped, not emailed), and a consumer
whose live store was lost resuming from the group's offsets committed in Kafka."""
import subprocess
import sys
import uuid
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from kafka import KafkaProducer

from app.extensions import db
from app.live import store
from app.models import HrAlert, Ride
from app.stream.pipeline import Message, process_batch
from app.stream.rides import Settings
from app.stream.simulate import Fleet
from tests.alert_stream import ride_lines, two_alert_ride
from tests.conftest import KAFKA_SERVERS
from tests.stream_helpers import value
from tests.test_stream_kafka import PROJECT, consumer_env, finish, log_of, read_store, start_consumer

pytestmark = pytest.mark.slow


def fleet_seconds(fleet: Fleet, seconds: int) -> list[tuple[bytes, bytes]]:
    """The fleet's next `seconds` of messages."""
    return [message for _ in range(seconds) for message in fleet.tick()]


def end_every_ride(fleet: Fleet) -> list[tuple[bytes, bytes]]:
    """One boundary line per bike: every ride in progress ends."""
    return [(bike.serial.encode(), value("--------- beginning of a new ride")) for bike in fleet.bikes]


def produce(topic: str, stream) -> None:
    producer = KafkaProducer(bootstrap_servers=KAFKA_SERVERS, linger_ms=20)
    for key, raw in stream:
        producer.send(topic, key=key, value=raw)
    producer.flush()
    producer.close()


def expected_rides(stream, tmp_path: Path) -> list[tuple]:
    """(bike, start, readings) of every ride the stream ends, by the pipeline without Kafka."""
    with closing(store.connect(str(tmp_path / "expected" / "live.db"))) as conn:
        process_batch(conn, [Message("expected", 0, offset, key, raw)
                             for offset, (key, raw) in enumerate(stream)], Settings())
        return sorted((row[0], store.from_text(row[1]), row[2]) for row in conn.execute(
            "SELECT r.bike_serial, r.started_at, COUNT(*) FROM rides r JOIN readings x "
            "USING (bike_serial, started_at) WHERE r.status = 'ended' GROUP BY 1, 2"))


def warehouse_rides(app) -> list[tuple]:
    with app.app_context():
        return sorted(tuple(row) for row in db.session.execute(
            db.select(Ride.bike_serial, Ride.started_at, Ride.readings_count)))


def services_env(app, **extra) -> dict:
    """consumer.py and the worker on the test's live store, PostgreSQL warehouse and Redis."""
    env = consumer_env(Path(app.config["LIVE_DB_PATH"]), app.config["REDIS_URL"], **extra)
    return env | {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"]}


def run_worker(env: dict) -> None:
    """Work the closeout and alerts queues until they are empty."""
    subprocess.run([sys.executable, "-m", "worker", "--burst", "closeout", "alerts"], env=env,
                   cwd=PROJECT, timeout=180, check=True, capture_output=True)


def test_a_backfill_lands_every_retained_ride_and_records_old_alerts_without_email(
        app, redis_conn, smtp, kafka_topic, tmp_path):
    # Produced before any consumer runs: two days ago a fleet rode, and in 2022 a rider went past
    # their limit twice.
    fleet = Fleet(3, seed=8, ride_s=30, start=datetime.now(timezone.utc) - timedelta(days=2))
    rates, alert_seconds = two_alert_ride()
    stream = fleet_seconds(fleet, 100) + end_every_ride(fleet) + [
        (b"SN0000", value(line)) for line in [*ride_lines(datetime(2022, 7, 6, 23, 29, 35), rates),
                                              "--------- beginning of a new ride"]]
    produce(kafka_topic, stream)
    env = services_env(app, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)

    backfill = start_consumer(kafka_topic, f"g-{uuid.uuid4().hex[:8]}", env, idle_s=4,
                              extra_args=["--from-beginning"])
    finish(backfill)
    assert "backfilling from its earliest offset" in log_of(backfill)
    by_flag = read_store(Path(app.config["LIVE_DB_PATH"]))
    by_setting = tmp_path / "by-setting" / "live.db"
    finish(start_consumer(kafka_topic, f"g-{uuid.uuid4().hex[:8]}",
                          consumer_env(by_setting, app.config["REDIS_URL"], KAFKA_START="earliest")))
    assert read_store(by_setting) == by_flag  # KAFKA_START=earliest is the same backfill
    run_worker(env)

    expected = expected_rides(stream, tmp_path)
    assert len(expected) >= 10 and warehouse_rides(app) == expected
    with app.app_context():
        alerts = db.session.scalars(db.select(HrAlert).order_by(HrAlert.duration_s)).all()
        assert [a.duration_s for a in alerts if a.bike_serial == "SN0000"] == alert_seconds
        assert all(a.status == "skipped" and "ALERT_MAX_AGE_S" in a.last_error for a in alerts)
    assert smtp.messages == []  # nobody wants an email about last Tuesday


def test_a_consumer_whose_live_store_was_lost_resumes_from_the_offsets_committed_in_kafka(
        app, redis_conn, kafka_topic, tmp_path):
    fleet = Fleet(4, seed=13, ride_s=60, start=datetime.now(timezone.utc) - timedelta(days=1))
    before, after = fleet_seconds(fleet, 150), fleet_seconds(fleet, 150) + end_every_ride(fleet)
    live_db, group = Path(app.config["LIVE_DB_PATH"]), f"g-{uuid.uuid4().hex[:8]}"
    env = services_env(app)
    produce(kafka_topic, before)
    finish(start_consumer(kafka_topic, group, env, extra_args=["--from-beginning"]))
    in_progress = {ride[:2] for ride in read_store(live_db)["rides"] if ride[6] == "open"}
    run_worker(env)
    landed = {(ride[0], ride[1]) for ride in warehouse_rides(app)}
    assert len(in_progress) == 4 and len(landed) >= 4

    for path in live_db.parent.glob(live_db.name + "*"):
        path.unlink()  # the live store is lost; Kafka keeps the group's committed offsets
    produce(kafka_topic, after)
    restarted = start_consumer(kafka_topic, group, env)
    finish(restarted)
    reread = {(ride[0], store.from_text(ride[1])) for ride in read_store(live_db)["rides"]}
    assert not reread & landed  # rides already in the warehouse are not read again
    assert {(bike, store.from_text(start)) for bike, start in in_progress} <= reread
    assert "resuming from the group's committed offset" in log_of(restarted)
    run_worker(env)
    # Nothing skipped, nothing doubled: the warehouse holds each ride once, with all its readings.
    assert warehouse_rides(app) == expected_rides(before + after, tmp_path)
