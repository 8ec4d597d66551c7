"""The RQ jobs. Each takes plain ids/values and calls a service inside the app context."""
import logging

from app.services import closeout
from app.services.alerts import deliver_hr_alert, mark_failed

log = logging.getLogger(__name__)


def close_ride(bike_serial: str, started_at: str) -> int | None:
    """Close an ended ride out into the warehouse; its ride_id (None when nothing was left to land)."""
    return closeout.close_ride(bike_serial, started_at)


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


def build_daily_report(report_date: str | None = None) -> None:
    """Build and email the daily report (lands with the report issue)."""
    log.info("build_daily_report ran for %s", report_date)
