"""Views of the live pages: each renders a whole page, or its fragment for an htmx request."""
import re

from flask import abort, jsonify, render_template, request
from flask_login import current_user

from app.blueprints.live import bp
from app.domain.figures import ZONE_BOUNDS
from app.extensions import htmx
from app.models import BIGINT_MAX, INT_MAX
from app.security import add_vary
from app.services.pages import fleet as fleet_view
from app.services.pages import fragment_cache
from app.services.pages import live as live_view
from app.services.rides import pacing as pacing_rules
from app.services.rides import queries as ride_history, summary as ride_summary, queries as rides_query

VIEWS = ("current", "recent")


@bp.after_request
def keep_fragments_out_of_caches(response):
    """A page and its htmx fragment share a URL: caches must key on HX-Request, and never keep a
    fragment, or the browser's Back shows the bare fragment instead of the page."""
    add_vary(response, "HX-Request")
    if htmx and not htmx.history_restore_request:
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def fleet():
    """The fleet page: a page of bikes by urgency, searched and filtered; the grid alone when htmx
    polls (rendered once a second for every viewer asking for the same page)."""
    q, state, page = fleet_args()
    staff = current_user.is_authenticated
    snap = fleet_view.snapshot()

    def render(template: str) -> str:
        return render_template(template, fleet=fleet_view.fleet_page(snap, q, state, page), q=q,
                               state=state, states=fleet_view.STATES, staff=staff)

    if htmx and not htmx.history_restore_request:
        return fleet_view.rendered(snap, (q, state, page, staff), lambda: render("live/_fleet.html"))
    return render("live/fleet.html")


def fleet_args() -> tuple[str, str, int]:
    """The fleet's search, state and page from the query string; 400 for any it cannot take."""
    q, state = request.args.get("q", ""), request.args.get("state", "")
    if len(q) > fleet_view.MAX_QUERY:
        abort(400, description=f"q must be at most {fleet_view.MAX_QUERY} characters.")
    if state and state not in fleet_view.STATES:
        abort(400, description=f"state must be one of {', '.join(fleet_view.STATES)}.")
    raw = request.args.get("page", "1")
    if not re.fullmatch(r"[0-9]{1,6}", raw) or int(raw) < 1:
        abort(400, description="page must be a whole number from 1.")
    return q, state, int(raw)


@bp.get("/bikes/<serial>")
def bike(serial: str):
    """A bike's screen: the current ride or recent rides, whole or as the fragment htmx asks for."""
    view = request.args.get("view", "current")
    if view not in VIEWS:
        abort(400, description=f"view must be one of {', '.join(VIEWS)}")
    if htmx and not htmx.history_restore_request and htmx.target == "live-figures":
        bike = live_view.bike_screen(serial)  # one read: the cache's key, and a miss renders from it
        if bike is not None:  # rendered once per reading for every screen
            fragment = fragment_cache.cached(fragment_cache.reading_key(bike, view),
                                             lambda: bike_page(serial, view, bike))
            return fragment_cache.response(fragment)
    return bike_page(serial, view)


def bike_page(serial: str, view: str, bike=None) -> str:
    """A bike's screen, its panel or its live figures, as the request asks (`bike`: its row of
    live_view.bike_screen if already read)."""
    current = live_view.current_ride(serial, bike)
    if current is not None and current["ride"] is not None:
        # The leaderboard of the fleet's latest snapshot (a second or two old): no query per screen.
        snap = fleet_view.snapshot()
        current["ride"]["pacing"] = pacing_rules.pacing(serial, current["ride"], snap.board, snap.places)
    last = ride_summary.ride_end_summary(serial) if not (current and current["ride"]) else None
    if current is None and last is None:
        abort(404, description=f"No bike {serial} has been seen.")
    context = {"serial": serial, "view": view, "current": current, "last": last,
               "zone_bounds": ",".join(map(str, ZONE_BOUNDS))}
    fragment = bool(htmx) and not htmx.history_restore_request  # a history restore needs the page
    if fragment and htmx.target == "live-figures":
        return render_template("live/_live.html", **context)
    if view == "recent":
        context.update(recent_context(serial, current, last))
    if fragment:
        return render_template("live/_view.html", **context)
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
