"""RQ's cron enqueues build_daily_report at REPORT_CRON in DELOTON_TZ (the clock is driven, not waited for)."""
import os
import time
from datetime import datetime, timezone

import pytest
from rq import Queue

from app.extensions import db
from app.models import DailyReport
from app.services.report.figures import latest_report_date
from worker.__main__ import AppWorker
from worker.cron import build_scheduler, use_local_time_zone


@pytest.fixture
def clock(monkeypatch):
    """RQ cron's clock, set by the test; the process time zone put back afterwards."""
    saved = os.environ.get("TZ")
    moment = {"now": None}
    monkeypatch.setattr("rq.cron.now", lambda: moment["now"])
    yield moment
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def scheduler_at(app, redis_conn, clock, start: str):
    use_local_time_zone(app.config["DELOTON_TZ"])
    clock["now"] = utc(start)
    return build_scheduler(app, redis_conn)


def due_at(scheduler, clock, moment: str) -> list[str]:
    clock["now"] = utc(moment)
    return [job.func_name for job in scheduler.enqueue_jobs()]


def test_the_report_job_is_enqueued_at_16_45_london_time_even_in_summer(app, redis_conn, clock):
    # 29 March 2026 is the first day of BST: 16:45 in London is 15:45 UTC.
    scheduler = scheduler_at(app, redis_conn, clock, "2026-03-29 12:00:00")
    assert due_at(scheduler, clock, "2026-03-29 15:44:59") == []
    assert due_at(scheduler, clock, "2026-03-29 15:45:00") == ["worker.jobs.build_daily_report"]
    assert due_at(scheduler, clock, "2026-03-29 16:45:00") == []  # once a day
    assert due_at(scheduler, clock, "2026-03-30 15:45:00") == ["worker.jobs.build_daily_report"]
    assert Queue("reports", connection=redis_conn).count == 2


def test_the_schedule_follows_report_cron(app, redis_conn, clock):
    app.config["REPORT_CRON"] = "30 7 * * 1"  # Mondays 07:30
    scheduler = scheduler_at(app, redis_conn, clock, "2026-01-06 12:00:00")  # a Tuesday, GMT
    assert due_at(scheduler, clock, "2026-01-12 07:29:59") == []
    assert due_at(scheduler, clock, "2026-01-12 07:30:00") == ["worker.jobs.build_daily_report"]


def test_the_enqueued_job_builds_the_report_in_the_worker(app, redis_conn, clock):
    scheduler = scheduler_at(app, redis_conn, clock, "2026-03-10 12:00:00")
    due_at(scheduler, clock, "2026-03-10 16:45:00")
    AppWorker.flask_app = app
    AppWorker(["reports"], connection=redis_conn).work(burst=True)
    # The job runs now, for real: it reports on the latest window that has closed.
    expected = latest_report_date(datetime.now(timezone.utc), app.config["DELOTON_TZ"])
    with app.app_context():
        [report] = db.session.scalars(db.select(DailyReport)).all()
    assert report.report_date == expected and report.headline["empty"] is True
    assert report.email_status is None  # no CEO_EMAIL: built, not emailed
