"""The RQ jobs. Each takes plain ids/values and calls a service inside the app context."""
import logging

from app.services import closeout

log = logging.getLogger(__name__)


def close_ride(bike_serial: str, started_at: str) -> int | None:
    """Close an ended ride out into the warehouse; its ride_id (None when nothing was left to land)."""
    return closeout.close_ride(bike_serial, started_at)


def send_hr_alert(**alert) -> None:
    """Email a rider whose heart rate passed their limit (lands with the alerts issue)."""
    log.info("send_hr_alert ran for %s", alert)


def build_daily_report(report_date: str | None = None) -> None:
    """Build and email the daily report (lands with the report issue)."""
    log.info("build_daily_report ran for %s", report_date)
