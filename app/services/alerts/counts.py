"""How many heart-rate alerts were raised on a day (the pages' and the report's warning)."""
from datetime import date

from flask import current_app

from app.extensions import db
from app.models import HrAlert
from app.services.clock import local_day_bounds, today_local

WARNING_THRESHOLD = 5  # more than this many alerts in a day shows !!WARNING!!


def count_alerts_raised_on(day: date) -> int:
    """Alerts whose reading time falls on `day` in DELOTON_TZ."""
    start, end = local_day_bounds(day, current_app.config["DELOTON_TZ"])
    query = db.select(db.func.count()).select_from(HrAlert).where(
        HrAlert.raised_at >= start, HrAlert.raised_at < end)
    return db.session.scalar(query) or 0


def alerts_warning_today() -> bool:
    """True when more than WARNING_THRESHOLD alerts were raised today."""
    return count_alerts_raised_on(today_local()) > WARNING_THRESHOLD
