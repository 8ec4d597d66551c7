"""A closeout job lands the rides queued behind it; a ride that fails there is left to its own job."""
from datetime import timedelta

from rq import Queue
from rq.job import Job

from app.models import Ride, RideReading
from app.services.jobs import close_ride_job, enqueue
from tests.factories import RIDER, consumer_forgets, live_count, put_ride
from tests.test_closeout import START, readings, run_worker, warehouse


def test_one_job_lands_the_rides_queued_behind_it_and_takes_their_jobs_off_the_queue(app, redis_conn):
    live = app.config["LIVE_DB_PATH"]
    rides = [("SN%04d" % n, put_ride(live, "SN%04d" % n, START + timedelta(minutes=n), RIDER,
                                     readings(10 + n, START + timedelta(minutes=n)))) for n in range(4)]
    for bike, start in rides:
        enqueue(redis_conn, close_ride_job(bike, start))
    run_worker(app, redis_conn)
    assert sorted((r.bike_serial, r.readings_count) for r in warehouse(app, Ride)) == [
        ("SN0000", 10), ("SN0001", 11), ("SN0002", 12), ("SN0003", 13)]
    assert len(warehouse(app, RideReading)) == 10 + 11 + 12 + 13
    queue = Queue("closeout", connection=redis_conn)
    # RQ ran one job; the other three left the queue once their rides had landed.
    assert (queue.count, queue.finished_job_registry.count, queue.failed_job_registry.count) == (0, 1, 0)
    assert sorted(consumer_forgets(app)) == rides


def test_a_ride_that_fails_in_a_batch_stays_queued_and_fails_through_its_own_job(app, redis_conn, caplog):
    live = app.config["LIVE_DB_PATH"]
    good = put_ride(live, "SN0000", START, RIDER, readings(5))
    # A cadence beyond the warehouse's smallint: refused with a clear error, never wrapped around.
    bad_readings = readings(5)
    bad_readings[2]["rpm"] = 70000
    bad = put_ride(live, "SN0001", START, RIDER, bad_readings)
    enqueue(redis_conn, close_ride_job("SN0000", good))
    bad_job = enqueue(redis_conn, close_ride_job("SN0001", bad))
    run_worker(app, redis_conn)
    assert [r.bike_serial for r in warehouse(app, Ride)] == ["SN0000"]
    assert len(warehouse(app, RideReading)) == 5
    # Its own job ran and failed; RQ retries it after its backoff, and the ride waits in the live store.
    job = Job.fetch(bad_job.id, connection=redis_conn)
    assert job.get_status() == "scheduled" and job.retries_left == 7
    assert "a reading's rpm is out of the warehouse's range: 60..70000" in caplog.text
    assert live_count(live, "readings", "SN0001", bad) == 5
    assert consumer_forgets(app) == [("SN0000", good)]
