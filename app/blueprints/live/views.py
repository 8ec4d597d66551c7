"""Views of the live pages: each renders a whole page, or its fragment for an htmx request."""
import re

from flask import abort, jsonify, render_template, request

from app.blueprints.api.schemas import BIGINT_MAX, INT_MAX
from app.blueprints.live import bp
from app.extensions import htmx
from app.services import live_view, ride_history, rides_query

VIEWS = ("current", "recent")


@bp.get("/")
def fleet():
    """The fleet page: every bike and its ride in progress; the grid alone when htmx polls."""
    template = "live/_fleet.html" if htmx else "live/fleet.html"
    return render_template(template, bikes=live_view.fleet())


@bp.get("/bikes/<serial>")
def bike(serial: str):
    """A bike's screen: the current ride or recent rides, whole or as the fragment htmx asks for."""
    view = request.args.get("view", "current")
    if view not in VIEWS:
        abort(400, description=f"view must be one of {', '.join(VIEWS)}")
    current = live_view.current_ride(serial)
    last = live_view.last_ride_summary(serial) if not (current and current["ride"]) else None
    if current is None and last is None:
        abort(404, description=f"No bike {serial} has been seen.")
    context = {"serial": serial, "view": view, "current": current, "last": last}
    if htmx and htmx.target == "live-figures":
        return render_template("live/_live.html", **context)
    if view == "recent":
        context.update(recent_context(serial, current, last))
    if htmx:
        return render_template(f"live/_{view}.html", **context)
    return render_template("live/bike.html", **context)


def recent_context(serial: str, current: dict | None, last: dict | None) -> dict:
    """This bike's and this rider's last rides and the rider's personal bests."""
    user_id = (current["ride"]["user_id"] if current and current["ride"]
               else last["user_id"] if last else None)
    return {"bike_rides": ride_history.recent_rides_of_bike(serial),
            "rider": rides_query.get_rider_or_none(user_id) if user_id is not None else None,
            "rider_rides": ride_history.recent_rides_of_rider(user_id) if user_id is not None else [],
            "bests": ride_history.personal_bests(user_id) if user_id is not None else []}


@bp.get("/bikes/<serial>/series.json")
def bike_series(serial: str):
    """The current ride's readings after `after` seconds, for the live charts."""
    return jsonify(live_view.series(serial, after_seconds()))


def after_seconds() -> int:
    """The `after` parameter: -1 (from the start) up to the largest second a ride can hold; 400 else."""
    raw = request.args.get("after", "-1")
    # ASCII digits only: int() would also take "١" or a value no database column can hold.
    if not re.fullmatch(r"-?[0-9]{1,10}", raw) or not -1 <= int(raw) <= INT_MAX:
        abort(400, description=f"after must be a whole number of seconds from -1 to {INT_MAX}.")
    return int(raw)


@bp.get(f"/rides/<int(max={BIGINT_MAX}):ride_id>/series.json")
def ride_series(ride_id: int):
    """A finished ride's readings, for its small chart."""
    data = ride_history.ride_series(ride_id)
    if data is None:
        abort(404, description=f"No ride {ride_id}.")
    return jsonify(data)


@bp.teardown_app_request
def close_live_db(error=None) -> None:
    """Release the live store connection at the end of each request."""
    live_view.close_live_db(error)
