"""Closing rides out through the real RQ worker into the warehouse (PostgreSQL and SQLite)."""
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from rq import Queue

from app.extensions import db
from app.models import HrAlert, Ride, RideReading, User
from app.services.jobs import close_ride_job, enqueue
from app.services.rides import closeout
from app.live import store
from tests.factories import RIDER, HrAlertFactory, consumer_forgets, live_count, put_ride, reading
from worker.__main__ import AppWorker

START = datetime(2022, 7, 6, 23, 29, 35, 935822, tzinfo=timezone.utc)


def readings(count: int, started_at=START, heart_rate=120):
    return [reading(d, started_at, heart_rate=heart_rate if d > 2 else 0, power=50.0 + d)
            for d in range(1, count + 1)]


def run_worker(app, redis_conn) -> None:
    """Work the closeout queue until it is empty, as `python -m worker --burst closeout` does."""
    AppWorker.flask_app = app
    AppWorker(["closeout"], connection=redis_conn).work(burst=True)


def close_through_worker(app, redis_conn, *rides) -> None:
    for bike, start in rides:
        enqueue(redis_conn, close_ride_job(bike, start))
    run_worker(app, redis_conn)


def warehouse(app, model):
    with app.app_context():
        return db.session.scalars(db.select(model)).all()


@pytest.fixture(params=["app", "embedded_app", "pg_live_app"])
def any_app(request):
    """The app on PostgreSQL, the embedded app on SQLite, and the app whose live store is on
    PostgreSQL too: the same code lands rides on all three."""
    return request.getfixturevalue(request.param)


def test_an_ended_ride_lands_once_with_its_readings_and_the_consumer_then_forgets_it(any_app, redis_conn):
    live = any_app.config["LIVE_DB_PATH"]
    start = put_ride(live, "SN0000", START, RIDER, readings(30), alert_durations=(10, 20))
    close_through_worker(any_app, redis_conn, ("SN0000", start))
    [ride] = warehouse(any_app, Ride)
    assert (ride.bike_serial, ride.started_at, ride.user_id) == ("SN0000", START, 100)
    assert ride.readings_count == 30 and ride.duration_s == 30 and ride.alerts_count == 2
    assert ride.avg_heart_rate == 120 and ride.energy_kj == pytest.approx(sum(50 + d for d in range(1, 31)) / 1000)
    stored = sorted(warehouse(any_app, RideReading), key=lambda r: r.duration_s)
    assert [r.duration_s for r in stored] == list(range(1, 31))
    assert stored[0].recorded_at == START + timedelta(seconds=1.5) and stored[4].power == 55.0
    assert stored[0].heart_rate == 0 and stored[3].heart_rate == 120
    [user] = warehouse(any_app, User)
    assert (user.first_name, user.last_name, user.postcode_area) == ("Steven", "Pearce", "E")
    # The job only read the live store; the consumer, its one writer, lets go of the landed ride.
    assert [live_count(live, table, "SN0000", start) for table in ("rides", "readings", "alerts")] == [1, 30, 2]
    assert consumer_forgets(any_app) == [("SN0000", start)]
    for table in ("rides", "readings", "alerts"):
        assert live_count(live, table, "SN0000", start) == 0


def test_the_closeout_never_waits_on_the_live_store_lock_and_the_consumer_forgets_only_landed_rides(
        any_app, redis_conn):
    """The consumer holds the live store's write lock for a batch while the job lands a ride."""
    live = any_app.config["LIVE_DB_PATH"]
    landing = put_ride(live, "SN0000", START, RIDER, readings(10))
    waiting = put_ride(live, "SN0001", START, RIDER, readings(5))  # its job has not run yet
    riding = put_ride(live, "SN0002", START, RIDER, readings(5), status="open")
    consumer = store.connect(live)
    store.begin_write(consumer)
    try:
        with any_app.app_context():
            ride_id = closeout.close_ride("SN0000", landing)
    finally:
        consumer.rollback()
        consumer.close()
    assert [(r.ride_id, r.bike_serial) for r in warehouse(any_app, Ride)] == [(ride_id, "SN0000")]
    assert live_count(live, "readings", "SN0000", landing) == 10
    assert consumer_forgets(any_app) == [("SN0000", landing)]
    assert [live_count(live, "readings", *ride) for ride in
            (("SN0000", landing), ("SN0001", waiting), ("SN0002", riding))] == [0, 5, 5]


def test_running_the_job_again_changes_nothing(any_app, redis_conn):
    live = any_app.config["LIVE_DB_PATH"]
    start = put_ride(live, "SN0000", START, RIDER, readings(10))
    with any_app.app_context():
        ride_id = closeout.close_ride("SN0000", start)
    before = [(r.ride_id, r.closed_at) for r in warehouse(any_app, Ride)]
    # A retry before the consumer has forgotten the ride (say the worker died after the commit).
    close_through_worker(any_app, redis_conn, ("SN0000", start))
    assert [(r.ride_id, r.closed_at) for r in warehouse(any_app, Ride)] == before == [(ride_id, before[0][1])]
    assert len(warehouse(any_app, RideReading)) == 10
    # Once the consumer has forgotten it, a re-run finds the ride landed and changes nothing.
    consumer_forgets(any_app)
    assert live_count(live, "rides", "SN0000", start) == 0
    with any_app.app_context():
        assert closeout.close_ride("SN0000", start) == ride_id
    assert [(r.ride_id, r.closed_at) for r in warehouse(any_app, Ride)] == before


def test_a_later_ride_updates_the_rider_and_a_late_earlier_one_does_not(any_app, redis_conn):
    live = any_app.config["LIVE_DB_PATH"]
    moved = {**RIDER, "address": "2 New Road,Flat 3,Bristol,bs1 4dj", "email_address": "new@example.com"}
    later = START + timedelta(hours=2)
    first = put_ride(live, "SN0001", later, moved, readings(5, later))
    close_through_worker(any_app, redis_conn, ("SN0001", first))
    earlier = put_ride(live, "SN0000", START, RIDER, readings(5))  # arrives late
    close_through_worker(any_app, redis_conn, ("SN0000", earlier))
    [user] = warehouse(any_app, User)
    assert (user.address_line1, user.address_line2, user.city) == ("2 New Road", "Flat 3", "Bristol")
    assert (user.postcode, user.postcode_area, user.email) == ("BS1 4DJ", "BS", "new@example.com")
    assert user.details_from_ride_at == later
    assert len(warehouse(any_app, Ride)) == 2


def test_the_ride_links_the_alerts_emailed_during_it(app, redis_conn):
    live = app.config["LIVE_DB_PATH"]
    start = put_ride(live, "SN0000", START, RIDER, readings(10), alert_durations=(5,))
    with app.app_context():
        HrAlertFactory(bike_serial="SN0000", ride_started_at=START, duration_s=5, user_id=100,
                       raised_at=START + timedelta(seconds=5), heart_rate=200, hr_limit_bpm=178,
                       recipient=None, status="pending")
        db.session.commit()
    close_through_worker(app, redis_conn, ("SN0000", start))
    [ride], [alert] = warehouse(app, Ride), warehouse(app, HrAlert)
    assert alert.ride_id == ride.ride_id and ride.alerts_count == 1


def test_an_ended_ride_without_readings_is_discarded_and_an_open_one_is_left(app, redis_conn):
    live = app.config["LIVE_DB_PATH"]
    empty = put_ride(live, "SN0000", START, RIDER, [])
    still_open = put_ride(live, "SN0001", START, RIDER, readings(3), status="open")
    close_through_worker(app, redis_conn, ("SN0000", empty), ("SN0001", still_open))
    assert warehouse(app, Ride) == []
    assert consumer_forgets(app) == [("SN0000", empty)]
    assert live_count(live, "rides", "SN0000", empty) == 0
    assert live_count(live, "readings", "SN0001", still_open) == 3
    assert len(Queue("closeout", connection=redis_conn).failed_job_registry) == 0


@pytest.mark.slow
def test_the_worker_command_closes_rides_out(app, redis_conn, redis_url):
    live = app.config["LIVE_DB_PATH"]
    start = put_ride(live, "SN0000", START, RIDER, readings(5))
    enqueue(redis_conn, close_ride_job("SN0000", start))
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "LIVE_DB_PATH": live,
           "REDIS_URL": redis_url, "SECRET_KEY": "test"}
    subprocess.run([sys.executable, "-m", "worker", "--burst", "closeout"], env=env, check=True,
                   timeout=120, capture_output=True)
    assert [(r.bike_serial, r.readings_count) for r in warehouse(app, Ride)] == [("SN0000", 5)]
    assert consumer_forgets(app) == [("SN0000", start)]
