"""PostgreSQL down during closeout: jobs retry with backoff, rides wait in the live store, all land once."""
import json
import time
from datetime import datetime, timezone

import pytest
from flask_migrate import upgrade
from rq import Queue, Retry

from app.extensions import db
from app.models import Ride, RideReading
from app.services.jobs import close_ride_job
from tests.conftest import make_config
from tests.factories import RIDER, consumer_forgets, live_count, put_ride, reading
from tests.private_pg import PrivatePostgres
from worker.__main__ import AppWorker

START = datetime(2022, 10, 3, 9, 0, tzinfo=timezone.utc)
RETRY_S = 1


@pytest.fixture
def private_pg():
    """A PostgreSQL cluster of this test's own, which it may stop and start."""
    server = PrivatePostgres()
    yield server
    server.destroy()


@pytest.fixture
def pg_app(private_pg, app_factory, tmp_path, redis_url):
    app = app_factory(make_config(private_pg.url, str(tmp_path / "live.db"), redis_url))
    with app.app_context():
        upgrade()
    return app


def put_rides(app, count: int) -> list[tuple[str, str]]:
    """Ended rides on `count` bikes, 20 readings each."""
    rides = []
    for bike in range(count):
        serial = f"SN{bike:04d}"
        start = put_ride(app.config["LIVE_DB_PATH"], serial, START, RIDER,
                         [reading(d, START) for d in range(1, 21)])
        rides.append((serial, start))
    return rides


def enqueue_with_retry(redis_conn, rides, retries: int) -> Queue:
    """Enqueue the rides' closeout jobs as the relay does, with a short backoff for the test."""
    queue = Queue("closeout", connection=redis_conn)
    for serial, start in rides:
        spec = close_ride_job(serial, start)
        queue.enqueue(spec.func, kwargs=spec.kwargs, job_id=spec.job_id,
                      retry=Retry(max=retries, interval=RETRY_S))
    return queue


def work(app, redis_conn) -> None:
    AppWorker.flask_app = app
    AppWorker(["closeout"], connection=redis_conn).work(burst=True, with_scheduler=True)


def landed(app) -> tuple[list, int]:
    with app.app_context():
        rides = db.session.scalars(db.select(Ride.bike_serial).order_by(Ride.bike_serial)).all()
        return rides, db.session.scalar(db.select(db.func.count()).select_from(RideReading))


@pytest.mark.slow
def test_rides_wait_while_postgresql_is_down_and_all_land_once_it_is_back(pg_app, private_pg, redis_conn):
    first, *others = put_rides(pg_app, 3)
    enqueue_with_retry(redis_conn, [first], retries=3)
    work(pg_app, redis_conn)
    private_pg.stop()
    queue = enqueue_with_retry(redis_conn, others, retries=3)
    work(pg_app, redis_conn)  # both jobs fail; RQ schedules their retries
    assert len(queue.scheduled_job_registry) == 2 and len(queue.failed_job_registry) == 0
    # The consumer cannot ask the warehouse what landed: it forgets nothing and goes on.
    assert consumer_forgets(pg_app) == []
    assert all(live_count(pg_app.config["LIVE_DB_PATH"], "readings", *ride) == 20 for ride in [first, *others])
    private_pg.start()
    time.sleep(RETRY_S + 0.5)
    work(pg_app, redis_conn)
    assert landed(pg_app) == (["SN0000", "SN0001", "SN0002"], 60)
    assert consumer_forgets(pg_app) == [first, *others]
    assert all(live_count(pg_app.config["LIVE_DB_PATH"], "rides", *ride) == 0 for ride in others)


@pytest.mark.slow
def test_a_job_that_keeps_failing_is_kept_and_shown(pg_app, private_pg, redis_conn):
    [ride] = put_rides(pg_app, 1)
    private_pg.stop()
    queue = enqueue_with_retry(redis_conn, [ride], retries=1)
    work(pg_app, redis_conn)
    time.sleep(RETRY_S + 0.5)
    work(pg_app, redis_conn)
    assert len(queue.failed_job_registry) == 1
    assert live_count(pg_app.config["LIVE_DB_PATH"], "readings", *ride) == 20
    result = pg_app.test_cli_runner().invoke(args=["deloton", "stats", "--json"])
    assert json.loads(result.output)["failed_jobs_closeout"] == 1
    health = pg_app.test_client().get("/healthz").get_json()
    assert health["jobs"]["closeout"]["failed"] == 1
    # Once PostgreSQL is back, the operator requeues the job and the ride lands.
    private_pg.start()
    queue.failed_job_registry.requeue(queue.failed_job_registry.get_job_ids()[0])
    work(pg_app, redis_conn)
    assert landed(pg_app) == (["SN0000"], 20)
