"""Kafka -> consumer.py -> outbox -> RQ -> worker -> PostgreSQL: rides land once, latest details win."""
import subprocess
import sys
import uuid
from datetime import datetime, timedelta

import pytest
from rq import Queue

from app.extensions import db
from app.models import Ride, RideReading, User
from app.services.jobs import close_ride_job
from tests.alert_stream import RECORDED_RIDER, produce, ride_lines
from tests.conftest import KAFKA_SERVERS
from tests.test_alerts_e2e import PROJECT_DIR, run_consumer

pytestmark = pytest.mark.slow
T0 = datetime(2022, 7, 6, 9, 0, 0, 250000)
MOVED = {**RECORDED_RIDER, "address": "Flat 2, 7 Mill Lane, Leeds, LS1 4AB", "weight_kg": 80}


def closeout_env(app, tmp_path) -> dict:
    """The consumer's and worker's environment: the test's PostgreSQL, Redis and live store."""
    return {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"],
            "LIVE_DB_PATH": str(tmp_path / "live.db"), "RIDE_IDLE_TIMEOUT_S": "5", "PATH": "/usr/bin:/bin"}


def run_closeout_worker(env: dict) -> None:
    """Work the closeout queue until it is empty."""
    subprocess.run([sys.executable, "-m", "worker", "--burst", "closeout"], env=env, cwd=PROJECT_DIR,
                   timeout=120, check=True, capture_output=True)


def warehouse(app) -> dict:
    """Every ride (with its figures), its readings and the rider, as plain values."""
    with app.app_context():
        rides = db.session.scalars(db.select(Ride).order_by(Ride.started_at)).all()
        rows = [(r.bike_serial, r.started_at, r.readings_count, r.duration_s, r.energy_kj,
                 r.avg_heart_rate, r.hr_zone_seconds) for r in rides]
        readings = db.session.scalar(db.select(db.func.count()).select_from(RideReading))
        user = db.session.get(User, 100)
        return {"rides": rows, "readings": readings, "user": (user.city, user.postcode, user.weight_kg,
                                                               user.details_from_ride_at)}


def test_rides_from_the_stream_land_once_and_the_latest_ride_gives_the_details(app, tmp_path,
                                                                             kafka_topic, redis_conn):
    """Ride 2 (the latest, after a move) arrives before ride 1 (older, on another bike)."""
    steady = {second: 0 if second < 4 else 120 + second % 20 for second in range(1, 121)}
    produce(KAFKA_SERVERS, kafka_topic, "SD-LATE",
            ["--------- beginning of main", *ride_lines(T0 + timedelta(hours=1), steady, MOVED),
             "--------- beginning of a new ride"])
    env = closeout_env(app, tmp_path)
    run_consumer(env, kafka_topic, f"g-{uuid.uuid4().hex[:6]}")
    run_closeout_worker(env)
    assert warehouse(app)["user"][:2] == ("Leeds", "LS1 4AB")

    # The older ride comes in afterwards: it lands, but does not overwrite the newer details.
    produce(KAFKA_SERVERS, kafka_topic, "SD-EARLY",
            ["--------- beginning of main", *ride_lines(T0, steady, RECORDED_RIDER),
             "--------- beginning of a new ride"])
    run_consumer(env, kafka_topic, f"g-{uuid.uuid4().hex[:6]}")
    run_closeout_worker(env)
    landed = warehouse(app)
    assert [(r[0], r[2], r[3]) for r in landed["rides"]] == [("SD-EARLY", 120, 120), ("SD-LATE", 120, 120)]
    assert landed["readings"] == 240
    assert landed["user"][:3] == ("Leeds", "LS1 4AB", 80)
    assert sum(landed["rides"][0][6].values()) == 117  # the first three seconds had no hand contact

    # The same closeout jobs, run again, change nothing.
    for ride in landed["rides"]:
        spec = close_ride_job(ride[0], ride[1].isoformat(sep=" "))
        Queue("closeout", connection=redis_conn).enqueue(spec.func, kwargs=spec.kwargs)
    run_closeout_worker(env)
    assert warehouse(app) == landed
