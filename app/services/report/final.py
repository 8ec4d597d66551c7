"""Finalising provisional daily reports: the closeout of a report's last in-progress ride queues its rebuild.

A report built while rides of its window were still in the live store is provisional. Each closeout
asks whether it let go of the last such ride of a provisional report; if so it queues one
`finalise_daily_report` job (its id is derived from the date, so two closeouts queue it once). The
next scheduled build also finalises any report still provisional, should a trigger have been lost.
"""
import logging
from datetime import datetime

import redis
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.live import store
from app.services.jobs import enqueue, finalise_report_job
from app.services.report import live as report_live, build as reports

log = logging.getLogger(__name__)


def after_closeout(started_at: datetime) -> list[str]:
    """Queue the final rebuild of the provisional report holding this ride once none of its window's
    rides is left in progress; the dates queued. Never raises: a lost trigger is caught up later."""
    try:
        due = [report.report_date.isoformat() for report in reports.provisional_reports(started_at)
               if not report_live.count_in_progress((report.window_start, report.window_end))]
        if due:
            connection = redis.Redis.from_url(current_app.config["REDIS_URL"])
            for report_date in due:
                enqueue(connection, finalise_report_job(report_date))
                log.info("the last ride in progress of report %s has closed: rebuild queued", report_date)
        return due
    except (SQLAlchemyError, redis.RedisError, OSError, *store.Error) as exc:
        db.session.rollback()
        log.warning("could not check provisional reports after a closeout (%s); the next scheduled "
                    "build finalises them", exc)
        return []


def finalise_all() -> list[str]:
    """Rebuild as final every provisional report none of whose rides is left in progress; their dates."""
    done = []
    for report in reports.provisional_reports():
        if reports.finalise_report(report.report_date) == "final":
            done.append(report.report_date.isoformat())
    return done
