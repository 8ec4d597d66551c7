"""A closeout job also lands the rides of the closeout jobs queued behind it.

RQ's own bookkeeping of a job (dequeue, status, registries, result, heartbeats: about 50 Redis
commands) costs about as much CPU as landing a ride, so the job that runs first lands up to BATCH
queued rides and then takes their jobs off the queue. Each ride lands in its own transaction and
its job leaves the queue only after that commit: a crash in between leaves the job queued, and
when it runs it finds the ride landed and changes nothing. A ride that fails here stays queued;
its own job runs it again, with RQ's retries. A short claim in Redis keeps two workers from
landing the same queued ride at once (were it lost, the warehouse's unique key still lands it once).
"""
import logging

import redis
from rq import Queue
from rq.job import Job

from app.extensions import db
from app.services.rides import closeout

log = logging.getLogger(__name__)
# Queued rides one job lands besides its own; 0 turns the batching off.
BATCH = 20
# How long a worker's claim on a queued ride lasts: well over the time to land BATCH rides.
CLAIM_S = 120
FUNC = "worker.jobs.close_ride"


def close_queued(connection: redis.Redis, queue_name: str = "closeout", limit: int | None = None) -> int:
    """Land the rides of up to `limit` (default BATCH) close_ride jobs waiting in the queue and take
    their jobs off it; how many. Never raises: whatever is left queued runs as its own job."""
    limit = BATCH if limit is None else limit
    if limit <= 0:
        return 0
    queue = Queue(queue_name, connection=connection)
    claimed: list[str] = []
    try:
        claimed = _claim(connection, queue.get_job_ids(0, limit))
        jobs = [job for job in Job.fetch_many(claimed, connection)
                if job is not None and job.func_name == FUNC]
        landed = [job for job in jobs if _land(job)]
        _take_off(connection, queue, landed)
    except Exception as exc:  # noqa: BLE001 - Redis, or a job it cannot read: those jobs run one by one
        log.warning("closing the queued rides in a batch stopped (%s): the rest run as their own jobs", exc)
        return 0
    finally:
        _release(connection, claimed)
    if landed:
        log.info("closed %d queued rides in one job", len(landed))
    return len(landed)


def _claim(connection: redis.Redis, job_ids: list[str]) -> list[str]:
    """The job ids this worker claimed (no other worker holds them)."""
    with connection.pipeline(transaction=False) as pipe:
        for job_id in job_ids:
            pipe.set(_claim_key(job_id), 1, nx=True, ex=CLAIM_S)
        return [job_id for job_id, won in zip(job_ids, pipe.execute()) if won]


def _release(connection: redis.Redis, job_ids: list[str]) -> None:
    """Drop this worker's claims (they would expire anyway)."""
    if job_ids:
        try:
            connection.delete(*map(_claim_key, job_ids))
        except redis.RedisError:
            pass


def _claim_key(job_id: str) -> str:
    return f"deloton:closing:{job_id}"


def _land(job: Job) -> bool:
    """Land one queued job's ride; False (logged) if it failed: its own job runs it again."""
    try:
        closeout.close_ride(**job.kwargs)
        return True
    except Exception:  # noqa: BLE001 - the ride's own job retries it with RQ's backoff
        db.session.rollback()
        log.exception("closing queued ride %s in a batch failed: left to its own job", job.kwargs)
        return False


def _take_off(connection: redis.Redis, queue: Queue, jobs: list[Job]) -> None:
    """Remove the landed rides' jobs from the queue; delete those still there (a job another
    worker popped meanwhile is its to finish)."""
    if not jobs:
        return
    with connection.pipeline(transaction=False) as pipe:
        for job in jobs:
            queue.remove(job, pipeline=pipe)
        removed = [job for job, count in zip(jobs, pipe.execute()) if count]
    if removed:
        with connection.pipeline() as pipe:
            for job in removed:
                job.delete(pipeline=pipe, remove_from_queue=False)
            pipe.execute()
