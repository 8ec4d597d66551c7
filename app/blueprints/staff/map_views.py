"""The staff map page: rides in progress and the period's rides by riders' postcode area."""
from flask import render_template, request

from app.blueprints.staff import bp
from app.extensions import htmx
from app.services.clock import today_local
from app.services.pages import live as live_view
from app.services.rides import leaderboards, map as ride_map

# The leaderboards' periods, but for all time (a map of every ride ever says little about now).
PERIODS = {key: period.label for key, period in leaderboards.PERIODS.items() if period.days_before is not None}


def live_context() -> dict:
    """The rides in progress now, by area."""
    counts = ride_map.live_counts(live_view.fleet())
    return {"live_counts": counts, "live_rows": ride_map.area_rows(counts),
            "live_dots": ride_map.map_svg(counts, "Rides in progress now", dots=True, backdrop=False)}


@bp.get("/map")
def ride_map_page():
    """The live map and the heat map of a period; the live map alone when htmx polls it."""
    if htmx:
        return render_template("staff/_map_live.html", **live_context())
    period = request.args.get("period", "7d")
    if period not in PERIODS:
        period = "7d"
    filters = leaderboards.period_filters(period, today_local())
    counts = ride_map.counts_between_dates(filters.date_from, filters.date_to)
    return render_template("staff/map.html", period=period, periods=PERIODS, **live_context(),
                           backdrop=ride_map.map_svg({}, "Postcode areas", dots=True),
                           heat_map=ride_map.map_svg(counts, f"Rides by postcode area: {PERIODS[period]}"),
                           heat_rows=ride_map.area_rows(counts), heat_total=sum(counts.values()))
