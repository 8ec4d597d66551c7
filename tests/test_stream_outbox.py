"""The outbox relay: jobs reach RQ with ride-derived ids; a Redis outage delays them and loses none."""
import json
import shutil
import subprocess
import time

import redis as redis_lib
from rq import Queue
from rq.job import Job

from app.live import store
from app.stream import outbox
from app.stream.pipeline import process_batch
from app.stream.rides import Settings
from app.services.jobs import (FAILURE_CALLBACKS, RETRY_INTERVALS_S, close_ride_job, enqueue,
                               enqueue_all, hr_alert_job)
from tests.stream_helpers import messages
from tests.test_stream_pipeline import ride_lines, system
from tests.waiting import free_port


def ended_rides(conn, count: int, first_offset: int = 0) -> None:
    """Store `count` rides that end, each leaving a closeout job in the outbox."""
    lines = []
    for n in range(count):
        lines += [system(n * 10, user_id=n + 1)] + ride_lines(n * 10, [90, 91])
    lines.append("--------- beginning of a new ride")
    process_batch(conn, messages(lines, key="SDa", first_offset=first_offset), Settings())


def test_the_relay_enqueues_each_job_once_with_its_ride_derived_id(tmp_path, redis_conn):
    conn = store.connect(str(tmp_path / "live.db"))
    ended_rides(conn, 2)
    assert outbox.relay(conn, redis_conn) == (2, True)
    assert outbox.relay(conn, redis_conn) == (0, True)
    started_at = json.loads(conn.execute("SELECT kwargs_json FROM outbox").fetchone()[0])["started_at"]
    expected = close_ride_job("SDa", started_at).job_id
    assert expected in Queue("closeout", connection=redis_conn).job_ids
    assert len(Queue("closeout", connection=redis_conn).job_ids) == 2


def test_relayed_jobs_keep_their_retries_callback_and_lifetimes_and_known_ids_are_skipped(redis_conn):
    alert = hr_alert_job("SDa", "2026-11-29 10:00:00.000000+00:00", 40, heart_rate=190)
    closes = [close_ride_job("SDa", f"2026-11-29 10:0{n}:00.000000+00:00") for n in range(3)]
    enqueue(redis_conn, closes[0])  # already known to Redis: skipped, not enqueued twice
    assert enqueue_all(redis_conn, [alert, *closes, closes[1]]) == 3
    assert Queue("alerts", connection=redis_conn).job_ids == [alert.job_id]
    assert Queue("closeout", connection=redis_conn).job_ids == [spec.job_id for spec in closes]
    job = Job.fetch(alert.job_id, connection=redis_conn)
    assert job.func_name == "worker.jobs.send_hr_alert" and job.kwargs["heart_rate"] == 190
    assert job.retries_left == len(RETRY_INTERVALS_S) and job.retry_intervals == RETRY_INTERVALS_S
    callback = job.failure_callback  # what the worker runs once no retry is left
    assert f"{callback.__module__}.{callback.__name__}" == FAILURE_CALLBACKS["worker.jobs.send_hr_alert"]
    assert (job.result_ttl, job.failure_ttl) == (24 * 3600, 30 * 24 * 3600)


def test_relayed_jobs_are_pruned_after_a_while_and_pending_ones_never(tmp_path, redis_conn):
    conn = store.connect(str(tmp_path / "live.db"))
    ended_rides(conn, 2)
    outbox.relay(conn, redis_conn, limit=1)
    assert outbox.prune(conn) == 0  # relayed just now: kept for a day
    assert outbox.prune(conn, keep_s=-1) == 1
    assert len(outbox.pending(conn)) == 1 and conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 1


def start_private_redis(port: int, directory, *options: str) -> subprocess.Popen:
    """A private redis-server, so that stopping it disturbs nobody else; options override defaults."""
    process = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--save", "",
                                "--appendonly", "no", "--dir", str(directory), *options],
                               stdout=subprocess.DEVNULL)
    client = redis_lib.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            return process
        except redis_lib.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("private redis-server did not start")


def test_a_redis_outage_leaves_jobs_pending_and_they_go_once_it_is_back(tmp_path):
    conn, port = store.connect(str(tmp_path / "live.db")), free_port()
    server = start_private_redis(port, tmp_path)
    relay = outbox.Relay(conn, f"redis://127.0.0.1:{port}/0", retry_s=0)
    try:
        server.terminate()
        server.wait(timeout=10)
        ended_rides(conn, 3)
        assert relay.run() == 0  # Redis is down: nothing raised, nothing lost
        assert len(outbox.pending(conn)) == 3
        server = start_private_redis(port, tmp_path)
        assert relay.run() == 3
        assert outbox.pending(conn) == []
        assert len(Queue("closeout", connection=redis_lib.Redis(port=port)).job_ids) == 3
    finally:
        relay.close()
        server.terminate()
        server.wait(timeout=10)
