"""Today and a day's bounds in DELOTON_TZ: the one clock of the pages, the API and the report."""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app


def local_day_bounds(day: date, tz_name: str) -> tuple[datetime, datetime]:
    """[start, end) of a calendar day in the given time zone, as aware datetimes."""
    tz = ZoneInfo(tz_name)
    return (datetime.combine(day, time(), tzinfo=tz),
            datetime.combine(day + timedelta(days=1), time(), tzinfo=tz))


def today_local() -> date:
    """Today's date in DELOTON_TZ."""
    return datetime.now(ZoneInfo(current_app.config["DELOTON_TZ"])).date()
