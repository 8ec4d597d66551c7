"""The background jobs as data: queue, function, arguments, a job id derived from the ride, retries.

The consumer writes these specs to its outbox; the relay enqueues them. Deriving the job id from the
ride makes a re-enqueue after a crash a no-op while the first job is still known to Redis.
"""
import hashlib
from dataclasses import dataclass, field

from rq import Callback, Queue, Retry
from rq.job import Job

# Backoff for jobs whose target (SMTP, PostgreSQL) may be down: about 40 minutes in all.
RETRY_INTERVALS_S = [5, 15, 30, 60, 120, 300, 600, 1200]
# The RQ queues: workers listen on them, /healthz reports their depth.
QUEUES = ("alerts", "closeout", "reports")
# Run on every failure of the job (by dotted name: app/ does not import worker/); each callback
# acts only once RQ has no retry left.
FAILURE_CALLBACKS = {"worker.jobs.send_hr_alert": "worker.jobs.mark_hr_alert_failed"}


@dataclass(frozen=True)
class JobSpec:
    """Everything needed to enqueue one job."""

    job_id: str
    queue: str
    func: str
    kwargs: dict = field(default_factory=dict)


def _digest(*parts) -> str:
    return hashlib.sha1("|".join(str(part) for part in parts).encode()).hexdigest()[:24]


def close_ride_job(bike_serial: str, started_at: str) -> JobSpec:
    """The closeout job of one ride (started_at in the live store's text form)."""
    return JobSpec(job_id=f"close-{_digest(bike_serial, started_at)}", queue="closeout",
                   func="worker.jobs.close_ride",
                   kwargs={"bike_serial": bike_serial, "started_at": started_at})


def hr_alert_job(bike_serial: str, ride_started_at: str, duration_s: int, **details) -> JobSpec:
    """The email job of one alert; details: recorded_at, heart_rate, hr_limit_bpm, hr_formula, rider."""
    return JobSpec(job_id=f"alert-{_digest(bike_serial, ride_started_at, duration_s)}",
                   queue="alerts", func="worker.jobs.send_hr_alert",
                   kwargs={"bike_serial": bike_serial, "ride_started_at": ride_started_at,
                           "duration_s": duration_s, **details})


def finalise_report_job(report_date: str) -> JobSpec:
    """The rebuild of a provisional daily report as final (one per date: a second trigger is a no-op)."""
    return JobSpec(job_id=f"report-final-{report_date}", queue="reports",
                   func="worker.jobs.finalise_daily_report", kwargs={"report_date": report_date})


def enqueue(connection, spec: JobSpec, retry: Retry | None = None):
    """Put a job on its queue with the standard retries, unless a job with its id already exists."""
    queue = Queue(spec.queue, connection=connection)
    existing = queue.fetch_job(spec.job_id)
    if existing is not None:
        return existing
    return queue.enqueue(spec.func, kwargs=spec.kwargs, job_id=spec.job_id, **_options(spec, retry))


def enqueue_all(connection, specs: list[JobSpec]) -> int:
    """Put jobs on their queues as enqueue() does, skipping those whose id Redis already knows, in
    two round trips whatever their number: one to ask which exist, one transaction that enqueues the
    others (all or none). How many were enqueued."""
    unique = {}
    for spec in specs:
        unique.setdefault(spec.job_id, spec)  # enqueue_many refuses an id twice
    specs = list(unique.values())
    if not specs:
        return 0
    with connection.pipeline(transaction=False) as ask:
        for spec in specs:
            ask.exists(Job.key_for(spec.job_id))
        new = [spec for spec, known in zip(specs, ask.execute()) if not known]
    with connection.pipeline() as enqueue_them:
        for name in sorted({spec.queue for spec in new}):
            queue = Queue(name, connection=connection)
            queue.enqueue_many([queue.prepare_data(spec.func, kwargs=spec.kwargs, job_id=spec.job_id,
                                                   **_options(spec)) for spec in new if spec.queue == name],
                               pipeline=enqueue_them)
        enqueue_them.execute()
    return len(new)


def _options(spec: JobSpec, retry: Retry | None = None) -> dict:
    """Retries, the failure callback and how long RQ keeps the job, the same for every job."""
    callback = FAILURE_CALLBACKS.get(spec.func)
    return {"retry": retry or Retry(max=len(RETRY_INTERVALS_S), interval=RETRY_INTERVALS_S),
            "on_failure": Callback(callback) if callback else None,
            "result_ttl": 24 * 3600, "failure_ttl": 30 * 24 * 3600}
