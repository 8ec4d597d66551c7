"""Two consumers in one group and two workers land exactly the warehouse rows of one of each, with
the live store on SQLite (one writer) and on PostgreSQL (consumers writing their partitions at once)."""
import re
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
import redis as redis_lib
from flask_migrate import upgrade
from kafka.admin import KafkaAdminClient, NewTopic

from app.stream.produce import build_producer
from app.stream.simulate import Fleet
from tests.alert_stream import RECORDED_RIDER, ride_lines, two_alert_ride
from tests.conftest import (KAFKA_SERVERS, create_pg_database, dispose, drop_pg_database, live_store_url,
                            make_config, pg_url)
from tests.stream_helpers import value
from tests.waiting import wait_for

pytestmark = pytest.mark.slow
PROJECT = Path(__file__).resolve().parent.parent
BIKES, SECONDS, RIDE_S = 12, 300, 80
FLEET_START = datetime(2022, 7, 6, 10, 0)
ALERT_RIDE_START = datetime(2022, 7, 6, 9, 0)

RIDES = ("SELECT bike_serial, started_at, ended_at, ride_date, user_id, duration_s, readings_count, "
         "avg_heart_rate, min_heart_rate, max_heart_rate, avg_power, max_power, avg_rpm, max_rpm, "
         "avg_resistance, max_resistance, energy_kj, calories_kcal, age_years, age_band, hr_limit_bpm, "
         "hr_formula, hr_zone_z1_s, hr_zone_z2_s, hr_zone_z3_s, hr_zone_z4_s, hr_zone_z5_s, trimp, "
         "alerts_count FROM rides ORDER BY bike_serial, started_at")
READINGS = ("SELECT r.bike_serial, r.started_at, x.duration_s, x.recorded_at, x.heart_rate, x.rpm, "
            "x.power, x.resistance FROM ride_readings x JOIN rides r USING (ride_id) ORDER BY 1, 2, 3")
ALERTS = ("SELECT a.bike_serial, a.ride_started_at, a.duration_s, r.started_at, a.user_id, a.raised_at, "
          "a.heart_rate, a.hr_limit_bpm, a.recipient, a.status, a.attempts, a.subject, a.body_text "
          "FROM hr_alerts a LEFT JOIN rides r USING (ride_id) ORDER BY 1, 2, 3")
USERS = ("SELECT user_id, name, title, first_name, last_name, gender, date_of_birth, email, height_cm, "
         "weight_kg, address_line1, address_line2, city, postcode, postcode_area, account_created_on, "
         "original_source, details_from_ride_at FROM users ORDER BY user_id")


def produce_stream(topic: str) -> None:
    """A 12-bike keyed fleet with every ride ended, and a ride of the recorded rider that raises two
    heart-rate alerts; the same messages (and so the same partitions) every time."""
    producer = build_producer(KAFKA_SERVERS)
    fleet = Fleet(BIKES, seed=23, start=FLEET_START, ride_s=RIDE_S)
    for _ in range(SECONDS):
        for key, message in fleet.tick():
            producer.send(topic, key=key, value=message)
    for bike in fleet.bikes:  # end the rides in progress so that every ride is closed out
        producer.send(topic, key=bike.serial.encode(), value=value("--------- beginning of a new ride"))
    rates, _ = two_alert_ride()
    serial = RECORDED_RIDER["bike_serial"].encode()
    for line in [*ride_lines(ALERT_RIDE_START, rates), "--------- beginning of a new ride"]:
        producer.send(topic, key=serial, value=value(line))
    producer.close()


@pytest.fixture
def topics():
    """Two fresh topics of 4 partitions, one per run."""
    admin = KafkaAdminClient(bootstrap_servers=KAFKA_SERVERS, request_timeout_ms=10000)
    names = [f"deloton-scale-{uuid.uuid4().hex[:10]}" for _ in range(2)]
    admin.create_topics([NewTopic(name, num_partitions=4, replication_factor=1) for name in names])
    yield names
    admin.delete_topics(names)
    admin.close()


@pytest.fixture
def warehouses(tmp_path, redis_url, app_factory):
    """Two migrated, empty PostgreSQL warehouses (dropped afterwards)."""
    names = [f"deloton_scale_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    for name in names:
        create_pg_database(name)
        app = app_factory(make_config(pg_url(name), str(tmp_path / "unused.db"), redis_url))
        with app.app_context():
            upgrade()
        dispose(app)  # before the runs, whose workers take the databases' connections
    yield [pg_url(name) for name in names]
    for name in names:
        drop_pg_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def live_stores(request, tmp_path):
    """Two empty live stores (LIVE_DB_PATH values), one per run: SQLite files or PostgreSQL databases."""
    if request.param == "sqlite":
        yield [str(tmp_path / f"live-{run}.db") for run in range(2)]
        return
    names = [f"deloton_scale_live_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    for name in names:
        create_pg_database(name)
    yield [live_store_url(name) for name in names]
    for name in names:
        drop_pg_database(name)


def run_system(topic: str, warehouse_url: str, live_path: str, work_dir: Path, redis_url: str,
               consumers: int, workers: int) -> list[str]:
    """Consumers in one group until the topic is read, then workers until the queues are empty;
    the workers' logs."""
    redis_lib.Redis.from_url(redis_url).flushdb()  # job ids repeat between runs: start with no queue
    work_dir.mkdir()
    env = {"DATABASE_URL": warehouse_url, "LIVE_DB_PATH": live_path, "REDIS_URL": redis_url,
           "KAFKA_BOOTSTRAP_SERVERS": KAFKA_SERVERS, "PATH": "/usr/bin:/bin"}
    group = f"scale-{uuid.uuid4().hex[:8]}"
    consumer = [sys.executable, "consumer.py", "--topic", topic, "--group-id", group, "--exit-when-idle", "6"]
    consumer_logs = [work_dir / f"consumer-{i}.log" for i in range(consumers)]
    running = [spawn(consumer, env, log) for log in consumer_logs]
    # The group owns every partition before the stream starts, as in production.
    wait_for(lambda: settled(consumer_logs))
    produce_stream(topic)
    finish_all(running)
    logs = [work_dir / f"worker-{i}.log" for i in range(workers)]
    worker = [sys.executable, "-m", "worker", "--burst", "alerts", "closeout", "reports"]
    finish_all([spawn(worker, env, log) for log in logs])
    return [log.read_text() for log in logs]


def settled(logs: list[Path]) -> bool:
    """Every consumer holds partitions, all 4 are held, and each has sought its own."""
    held = []
    for path in logs:
        text = path.read_text()
        found = list(re.finditer(r"assigned partitions \[([\d, ]*)\]", text))
        partitions = found[-1].group(1).split(",") if found and found[-1].group(1) else []
        if not partitions or text[found[-1].end():].count("saved position") < len(partitions):
            return False
        held += partitions
    return len(held) == 4



def spawn(argv: list[str], env: dict, log_path: Path) -> subprocess.Popen:
    with open(log_path, "w") as log:
        return subprocess.Popen(argv, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)


def finish_all(processes: list[subprocess.Popen]) -> None:
    assert [process.wait(timeout=120) for process in processes] == [0] * len(processes)


def warehouse_rows(url: str) -> dict[str, list[tuple]]:
    """Rides with figures, readings, alerts and riders, keyed by what identifies them (not ids)."""
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://", 1)) as conn:
        return {name: conn.execute(sql).fetchall()
                for name, sql in (("rides", RIDES), ("readings", READINGS), ("alerts", ALERTS),
                                  ("users", USERS))}


def test_two_consumers_and_two_workers_land_the_same_rows_as_one_of_each(topics, warehouses, live_stores,
                                                                         tmp_path, redis_url):
    single, pair = warehouses
    run_system(topics[0], single, live_stores[0], tmp_path / "single", redis_url, consumers=1, workers=1)
    worker_logs = run_system(topics[1], pair, live_stores[1], tmp_path / "pair", redis_url,
                             consumers=2, workers=2)

    one, two = warehouse_rows(single), warehouse_rows(pair)
    assert len(one["rides"]) > 3 * BIKES and len(one["alerts"]) >= 2
    assert len(one["readings"]) > BIKES * SECONDS * 0.9
    assert sum(ride[6] for ride in one["rides"]) == len(one["readings"])
    for table in ("rides", "readings", "alerts", "users"):
        assert two[table] == one[table], table
    consumer_logs = [(tmp_path / "pair" / f"consumer-{i}.log").read_text() for i in range(2)]
    assert all(re.search(r"assigned partitions \[\d", log) for log in consumer_logs)  # both consumed
    assert all("Job OK" in log for log in worker_logs)  # both workers closed rides or sent alerts
