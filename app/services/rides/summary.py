"""The summary a bike shows when a ride ends, until its next rider starts: totals, time in zones,
personal-best badges and the comparison with the rider's previous ride."""
from flask import current_app
from sqlalchemy import func

from app.extensions import db
from app.live import store
from app.models import Ride
from app.services.rides.pacing import CACHE_RIDES, LruCache
from app.services.pages import live as live_view
from app.services.rides.queries import recent_rides_of_bike
from app.services.rides.queries import get_rider_or_none

# The personal bests a ride can beat: (badge, summary key, warehouse column).
BADGES = (("Longest ride", "duration_s", Ride.duration_s), ("Most energy", "energy_kj", Ride.energy_kj),
          ("Highest average power", "avg_power", Ride.avg_power))
COMPARED = ("duration_s", "energy_kj", "avg_power", "avg_hr")


def ride_end_summary(bike_serial: str) -> dict | None:
    """The bike's latest finished ride: from the live store until its closeout, then the warehouse."""
    ended = live_view.last_ended_ride(bike_serial)
    closed = recent_rides_of_bike(bike_serial, 1)
    if ended is not None and (not closed or ended["started_at"] > store.to_text(closed[0].started_at)):
        summary = from_live(ended)
    elif closed:
        summary = from_warehouse(closed[0])
    else:
        return None
    cache = current_app.extensions.setdefault("ride_summaries", LruCache(CACHE_RIDES))
    # The rider's earlier rides do not change: read once per finished ride, not once a second.
    summary.update(cache.get((summary["user_id"], summary["started_at"]), lambda: history(summary)))
    return summary


def from_live(figures: dict) -> dict:
    """The summary of a ride ended in the live store and waiting for its closeout."""
    stats = figures["stats"]
    return {"rider_name": figures["rider"].get("name"), "user_id": figures["user_id"],
            "started_at": store.from_text(figures["started_at"]), "duration_s": figures["elapsed_s"] or 0,
            "energy_kj": figures["energy_kj"], "avg_hr": stats["avg_hr"], "max_hr": stats["max_hr"],
            "avg_power": stats["avg_power"], "max_power": stats["max_power"], "avg_rpm": stats["avg_rpm"],
            "max_rpm": stats["max_rpm"], "zones": figures["zones"], "limit": figures["limit"]}


def from_warehouse(ride: Ride) -> dict:
    """The summary of a closed ride."""
    user = get_rider_or_none(ride.user_id)
    return {"rider_name": user.name if user else None, "user_id": ride.user_id, "started_at": ride.started_at,
            "duration_s": ride.duration_s, "energy_kj": ride.energy_kj, "avg_hr": ride.avg_heart_rate,
            "max_hr": ride.max_heart_rate or None, "avg_power": ride.avg_power, "max_power": ride.max_power,
            "avg_rpm": ride.avg_rpm, "max_rpm": ride.max_rpm,
            "zones": list(ride.hr_zone_seconds.values()), "limit": ride.hr_limit_bpm}


def history(summary: dict) -> dict:
    """The personal bests this ride beat and how it compares with the rider's previous ride."""
    earlier = (Ride.user_id == summary["user_id"], Ride.started_at < summary["started_at"])
    last = db.session.scalars(db.select(Ride).where(*earlier).order_by(Ride.started_at.desc()).limit(1)).first()
    if last is None:
        return {"first_ride": True, "badges": [], "vs_last": None}
    badges = []
    for label, key, column in BADGES:
        best = db.session.scalar(db.select(func.max(column)).where(*earlier))
        if summary[key] is not None and best is not None and summary[key] > best:
            badges.append(label)
    theirs = {"duration_s": last.duration_s, "energy_kj": last.energy_kj, "avg_power": last.avg_power,
              "avg_hr": last.avg_heart_rate}
    vs_last = {"started_at": last.started_at, "ride_id": last.ride_id,
               **{key: {"value": theirs[key], "diff": None if summary[key] is None or theirs[key] is None
                        else summary[key] - theirs[key]} for key in COMPARED}}
    return {"first_ride": False, "badges": badges, "vs_last": vs_last}
