"""The RQ jobs. Each takes plain ids/values and calls a service inside the app context."""
import logging
from datetime import date

from flask import current_app
from rq import get_current_job

from app.services.alerts.delivery import deliver_hr_alert, mark_failed
from app.services.report import final as report_final, mail as report_mail, build as reports
from app.services.rides import closeout
from worker import closeout_batch

log = logging.getLogger(__name__)


def close_ride(bike_serial: str, started_at: str) -> int | None:
    """Close an ended ride out into the warehouse; its ride_id (None when nothing was left to land).
    Run by a worker, it then lands the rides of the closeout jobs queued behind it (worker/closeout_batch.py)."""
    ride_id = closeout.close_ride(bike_serial, started_at)
    job = get_current_job()
    if job is not None:
        closeout_batch.close_queued(job.connection, job.origin)
    return ride_id


def send_hr_alert(**alert) -> str:
    """Email a rider whose heart rate passed their limit; raises on an SMTP failure so RQ retries."""
    return deliver_hr_alert(**alert)


def mark_hr_alert_failed(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ failure callback of send_hr_alert: once no retry is left, the alert shows as 'failed'."""
    kwargs = job.kwargs
    if job.retries_left or not {"bike_serial", "ride_started_at", "duration_s"} <= kwargs.keys():
        return  # RQ runs it again after its backoff; or a malformed job, with no row to mark
    mark_failed(kwargs["bike_serial"], kwargs["ride_started_at"], kwargs["duration_s"],
                f"{exc_type.__name__}: {exc_value}")


def build_daily_report(report_date: str | None = None) -> str:
    """Build the daily report (default: the window that just closed) and email it to CEO_EMAIL once."""
    day = date.fromisoformat(report_date) if report_date else reports.default_report_date()
    report_final.finalise_all()  # catch up any earlier report whose final rebuild was not triggered
    report = reports.build_report(day)
    # A ride may have closed while the report was built, after its closeout looked for a provisional report.
    reports.finalise_report(day)
    if not current_app.config["CEO_EMAIL"]:
        log.warning("CEO_EMAIL is not set: the report for %s was built, not emailed", day)
        return day.isoformat()
    if report.emailed_at is not None:
        log.info("the report for %s was emailed at %s already: not again", day, report.emailed_at)
        return day.isoformat()
    report_mail.email_report(day)
    return day.isoformat()


def finalise_daily_report(report_date: str) -> str:
    """Rebuild a provisional daily report as final once its last ride in progress has closed (no email)."""
    return reports.finalise_report(date.fromisoformat(report_date))
