"""Template filters of the live pages: durations and figures at a glance."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

from app.blueprints.live import bp
from app.domain.rider import format_bpm


@bp.app_template_filter("elapsed")
def elapsed(seconds) -> str:
    """Seconds as M:SS, or H:MM:SS from an hour."""
    if seconds is None:
        return "–"
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@bp.app_template_filter("num")
def num(value, digits: int = 0) -> str:
    """A figure rounded for the screen; a dash when there is none."""
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


@bp.app_template_filter("bpm")
def bpm(value) -> str:
    """A heart-rate limit as the alert email writes it (domain.rider.format_bpm); a dash when none."""
    return "–" if value is None else format_bpm(value)


@bp.app_template_filter("signed")
def signed(value, digits: int = 0, duration: bool = False) -> str:
    """A difference with its sign (+, − or ±0), as a figure or as M:SS; a dash when there is none."""
    if value is None:
        return "–"
    shown = elapsed(abs(value)) if duration else num(abs(value), digits)
    if shown.strip("0:.,") == "":
        return f"±{shown}"
    return f"{'+' if value > 0 else '−'}{shown}"


@bp.app_template_filter("local")
def local(moment: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    """A time in DELOTON_TZ."""
    if moment is None:
        return "–"
    return moment.astimezone(ZoneInfo(current_app.config["DELOTON_TZ"])).strftime(fmt)
