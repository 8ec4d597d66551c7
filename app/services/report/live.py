"""The rides of a report's window still in progress in the live store, with their figures so far.

A ride the closeout has landed stays in the live store until the consumer's next batch forgets it:
the warehouse, not the live store, says whether it is still in progress."""
from contextlib import closing
from datetime import datetime

from flask import current_app

from app.domain.figures import readings_frame, ride_figures
from app.domain.rider import parse_rider
from app.extensions import db
from app.live import queries, store
from app.stream.landed import landed

# A ride is in the live store while it runs ("open") and once ended until its closeout lands it.
STATES = {"open": "riding", "ended": "ended, not yet filed"}
# The figures "so far" the report shows for each such ride.
SO_FAR = ("duration_s", "energy_kj", "calories_kcal", "avg_heart_rate", "hr_readings_count", "max_power")


def window_text(window: tuple[datetime, datetime]) -> tuple[str, str]:
    """The window's edges in the live store's text form (UTC ISO text compares in time order)."""
    return store.to_text(window[0]), store.to_text(window[1])


def count_in_progress(window: tuple[datetime, datetime]) -> int:
    """How many rides that started in the window are still in the live store."""
    with closing(store.connect_reader(current_app.config["LIVE_DB_PATH"])) as live:
        return len(not_landed(live, window))


def rides_in_progress(window: tuple[datetime, datetime]) -> list[dict]:
    """Each ride of the window still in the live store: bike, rider, state and figures so far."""
    with closing(store.connect_reader(current_app.config["LIVE_DB_PATH"])) as live:
        keys = not_landed(live, window)
        return [so_far(live, bike_serial, started_at) for bike_serial, started_at in keys]


def not_landed(live, window: tuple[datetime, datetime]) -> list[tuple[str, str]]:
    """The (bike_serial, started_at) of the window's rides in the live store and not in the warehouse."""
    keys = queries.rides_started(live, *window_text(window))
    done = landed(db.engine, keys) if keys else set()
    return [key for key in keys if key not in done]


def so_far(live, bike_serial: str, started_at: str) -> dict:
    """One live ride's figures from the readings stored so far (computed as the closeout will)."""
    ride = store.get_ride(live, bike_serial, started_at)
    rows = store.get_readings(live, bike_serial, started_at)
    start = store.from_text(started_at)
    try:
        rider = parse_rider(ride["rider"])
    except (ValueError, KeyError, TypeError):  # the closeout would refuse it too; show it unnamed
        rider = {"name": None, "gender": None, "date_of_birth": None}
    figures = dict.fromkeys(SO_FAR, 0)
    figures["avg_heart_rate"] = None
    if rows:
        config = current_app.config
        computed = ride_figures(readings_frame(rows), rider, start, config["DELOTON_TZ"], ride["hr_formula"],
                                config["HR_REST_BPM"], 0)
        figures = {key: computed[key] for key in SO_FAR}
    return {"bike_serial": bike_serial, "started_at": start, "user_id": ride["user_id"],
            "rider": rider.get("name") or f"Rider {ride['user_id']}",
            "state": STATES.get(ride["status"], ride["status"]), **figures}


def totals(rides: list[dict]) -> dict:
    """The in-progress rides' count and summed figures so far."""
    return {"rides": len(rides), "riding_time_s": sum(r["duration_s"] for r in rides),
            "energy_kj": round(sum(r["energy_kj"] for r in rides), 2),
            "calories_kcal": round(sum(r["calories_kcal"] for r in rides), 2)}
