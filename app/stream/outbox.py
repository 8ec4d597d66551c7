"""The transactional outbox: jobs written with the data, relayed to RQ after the commit."""
import json
import logging
import time
from datetime import datetime, timedelta, timezone

import redis

from app.live import queries, store
from app.services.jobs import JobSpec, enqueue_all

log = logging.getLogger(__name__)
# Relayed rows are kept this long for a look at what was sent, then deleted: the table stays small.
KEEP_S = 24 * 3600
PRUNE_EVERY_S = 3600


def add(conn: store.Connection, spec: JobSpec) -> None:
    """Write a job into the outbox inside the caller's transaction (once per job id)."""
    queries.add_job(conn, spec.job_id, spec.queue, spec.func, json.dumps(spec.kwargs, default=str),
                    store.to_text(datetime.now(timezone.utc)))


def pending(conn: store.Connection, limit: int = 500) -> list[JobSpec]:
    """The jobs not yet handed to RQ, oldest first."""
    return [JobSpec(job_id, queue, func, json.loads(kwargs))
            for job_id, queue, func, kwargs in queries.pending_jobs(conn, limit)]


def relay(conn: store.Connection, redis_connection, limit: int = 500) -> tuple[int, bool]:
    """Enqueue pending jobs (in one transaction) and mark them; a Redis outage leaves them pending.
    (sent, Redis ok)."""
    specs = pending(conn, limit)
    if not specs:
        return 0, True
    try:
        enqueue_all(redis_connection, specs)
    except (redis.RedisError, OSError) as exc:
        log.warning("Redis unavailable, jobs stay in the outbox: %s", exc)
        return 0, False
    # Marked after enqueueing, in one transaction: a crash in between re-enqueues, which the job id
    # makes a no-op.
    now = store.to_text(datetime.now(timezone.utc))
    queries.mark_enqueued(conn, [spec.job_id for spec in specs], now)
    return len(specs), True


def prune(conn: store.Connection, keep_s: float = KEEP_S) -> int:
    """Delete rows handed to RQ more than keep_s ago (RQ has them); pending rows always stay."""
    cutoff = store.to_text(datetime.now(timezone.utc) - timedelta(seconds=keep_s))
    return queries.prune_outbox(conn, cutoff)


class Relay:
    """Relays the outbox after each commit, backing off while Redis is down."""

    def __init__(self, conn: store.Connection, redis_url: str, retry_s: float = 5.0):
        self.conn = conn
        self.redis = redis.Redis.from_url(redis_url, socket_timeout=3, socket_connect_timeout=3)
        self.retry_s = retry_s
        self.next_try = 0.0
        self.next_prune = time.monotonic() + PRUNE_EVERY_S

    def run(self) -> int:
        """Relay what is pending unless we are waiting out a Redis outage; now and then prune."""
        if time.monotonic() >= self.next_prune:
            prune(self.conn)
            self.next_prune = time.monotonic() + PRUNE_EVERY_S
        if time.monotonic() < self.next_try:
            return 0
        sent, redis_ok = relay(self.conn, self.redis)
        if not redis_ok:
            self.next_try = time.monotonic() + self.retry_s
        return sent

    def close(self) -> None:
        """Drop the Redis connection."""
        self.redis.close()
