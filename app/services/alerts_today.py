"""How many heart-rate alerts were raised on a day (the pages' and the report's warning)."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app

from app.extensions import db
from app.models import HrAlert

WARNING_THRESHOLD = 5  # more than this many alerts in a day shows !!WARNING!!


def local_day_bounds(day: date, tz_name: str) -> tuple[datetime, datetime]:
    """[start, end) of a calendar day in the given time zone, as aware datetimes."""
    tz = ZoneInfo(tz_name)
    return (datetime.combine(day, time(), tzinfo=tz),
            datetime.combine(day + timedelta(days=1), time(), tzinfo=tz))


def today_local() -> date:
    """Today's date in DELOTON_TZ."""
    return datetime.now(ZoneInfo(current_app.config["DELOTON_TZ"])).date()


def count_alerts_raised_on(day: date) -> int:
    """Alerts whose reading time falls on `day` in DELOTON_TZ."""
    start, end = local_day_bounds(day, current_app.config["DELOTON_TZ"])
    query = db.select(db.func.count()).select_from(HrAlert).where(
        HrAlert.raised_at >= start, HrAlert.raised_at < end)
    return db.session.scalar(query) or 0


def alerts_warning_today() -> bool:
    """True when more than WARNING_THRESHOLD alerts were raised today."""
    return count_alerts_raised_on(today_local()) > WARNING_THRESHOLD
