"""What the live pages show: the fleet and each bike's ride in progress, read from the live store."""
import json
import math
import threading
import time
from collections import OrderedDict
from functools import lru_cache

from flask import current_app

from app.domain.figures import ZONE_BOUNDS
from app.domain.rider import age_years, formula_description, parse_rider
from app.live import queries, store
from app.live.db import get_live

SILENT_AFTER_S = 10  # wall-clock seconds without a line before a bike counts as silent
HOLD_AFTER_S = 10  # readings with heart rate 0 before the screen asks to hold the handlebars
REOPEN_S = 60.0  # a thread's kept reader is reopened this often (a store replaced on disk is seen)
SUMS_REREAD_S = 60.0  # a ride's sums are read whole again this often (see ride_totals)
MAX_SUMS = 20_000  # rides whose sums a process keeps; the least recently used go first

_readers = threading.local()  # each web thread's (path, connection, opened at)
_sums_lock = threading.Lock()
_sums: OrderedDict[tuple, tuple[float, dict]] = OrderedDict()  # (store, bike, start, limit) -> (read at, sums)
ZONES = ("z1", "z2", "z3", "z4", "z5")


def live_conn():
    """The live pages' connection to the live store. On SQLite, this thread's read-only connection,
    kept between requests: opening one (pragmas, version check) costs as much as a poll's own reads,
    and a read outside a transaction sees every commit. On PostgreSQL, the request's (get_live)."""
    path = current_app.config["LIVE_DB_PATH"]
    if store.is_url(path):
        return get_live()
    kept = getattr(_readers, "kept", None)
    if kept is not None and kept[0] == path and time.monotonic() - kept[2] < REOPEN_S:
        return kept[1]
    if kept is not None:
        kept[1].close()  # one kept connection per thread: another store (tests), or an old one
    conn = store.connect_reader(path)
    _readers.kept = (path, conn, time.monotonic())
    return conn


def zone_of(heart_rate: int | None, limit: float | None) -> int | None:
    """The heart-rate zone 1..5 of a reading, None without hand contact or a limit."""
    if not heart_rate or not limit:
        return None
    ratio = heart_rate / limit
    return 1 + sum(ratio >= bound for bound in ZONE_BOUNDS)


# Room for every ride in progress of a 10,000-bike fleet: every poll of a bike's screen reads its rider.
@lru_cache(maxsize=16384)
def rider_card(rider_json: str | None, started_at: str | None) -> dict:
    """The rider's name, first name, gender and age at the ride's start (cached: a ride's rider
    never changes, and the fleet page would otherwise parse every rider every second)."""
    if not rider_json:
        return {}
    try:
        rider = parse_rider(json.loads(rider_json))
    except (ValueError, KeyError, TypeError):
        return {"name": "Unknown rider", "first_name": "Rider"}
    on = store.from_text(started_at).date() if started_at else None
    rider["age"] = age_years(rider["date_of_birth"], on) if on else None
    rider["first_name"] = rider["first_name"] or rider["name"] or "Rider"
    return rider


def bike_state(last_seen_wall: float | None, riding: bool, now: float | None = None) -> str:
    """riding, idle or silent: silent wins when the bike has sent nothing for a while."""
    now = time.time() if now is None else now
    if last_seen_wall is None or now - last_seen_wall > SILENT_AFTER_S:
        return "silent"
    return "riding" if riding else "idle"


def fleet() -> list[dict]:
    """Every bike the consumer knows, with its ride in progress and latest reading."""
    bikes = []
    for row in queries.fleet(live_conn()):
        riding = row["ride_started_at"] is not None
        bikes.append({"bike_serial": row["bike_serial"],
                      "state": bike_state(row["last_seen_wall"], riding),
                      "riding": riding,
                      "rider": rider_card(row["rider_json"], row["ride_started_at"]),
                      "elapsed_s": row["duration_s"], "heart_rate": row["heart_rate"],
                      "power": row["power"], "rpm": row["rpm"],
                      "zone": zone_of(row["heart_rate"], row["hr_limit_bpm"])})
    return bikes


def bike_screen(bike_serial: str) -> store.Row | None:
    """The bike's row of queries.bike_screen (its ride and alert count), None for a bike never seen."""
    return queries.bike_screen(live_conn(), bike_serial)


def current_ride(bike_serial: str, bike: store.Row | None = None) -> dict | None:
    """The bike's screen: its rider, latest figures, warnings and time in zones; None if unknown.
    `bike` is its row of queries.bike_screen when the caller has read it already."""
    bike = bike if bike is not None else bike_screen(bike_serial)
    if bike is None:
        return None
    riding = bike["ride_started_at"] is not None
    view = {"bike_serial": bike_serial, "state": bike_state(bike["last_seen_wall"], riding), "ride": None}
    if riding and bike["started_at"] is not None:  # the ride's row may be gone: a ride just forgotten
        view["ride"] = ride_figures(bike, latest_of_bike(bike))
    return view


def ride_figures(ride: store.Row, latest: dict | None) -> dict:
    """The figures of a ride in progress (or just ended) from its readings; `ride` has the columns
    of queries.ride_screen, `latest` is its latest reading (None before the first)."""
    limit, started_at = ride["hr_limit_bpm"], ride["started_at"]
    rider = rider_card(ride["rider_json"], started_at)
    totals = ride_totals(ride["bike_serial"], started_at, limit)
    figures = {"started_at": started_at, "user_id": ride["user_id"], "rider": rider,
               "limit": limit, "formula": formula_description(ride["hr_formula"], rider.get("gender")),
               "energy_kj": totals["power_sum"] / 1000, "readings": totals["n"],
               "alerts": ride["alerts"], "stats": ride_stats(totals),
               "zones": [totals[f"z{i}"] or 0 for i in range(1, 6)], "latest": None,
               "elapsed_s": 0, "zone": None, "hr_pct": None, "above_limit": False,
               "hold_handlebars": False}
    if latest is not None:
        figures.update(latest_figures(latest, limit, totals))
    figures["email"] = alert_email_status(ride["bike_serial"], started_at) if ride["alerts"] else None
    return figures


def latest_of_bike(bike: store.Row) -> dict | None:
    """The latest reading of a bike's ride in progress, as the consumer keeps it on the bike's row
    (a bike_screen row); None before the ride's first."""
    if bike["ride_last_s"] is None:
        return None
    return {"duration_s": bike["ride_last_s"], "heart_rate": bike["ride_last_heart_rate"],
            "rpm": bike["ride_last_rpm"], "power": bike["ride_last_power"],
            "resistance": bike["ride_last_resistance"]}


def ride_totals(bike_serial: str, started_at: str, limit: float | None) -> dict:
    """A ride's totals (as queries.ride_totals has them) read incrementally: only the readings after
    the last second this process has summed, so a poll's cost does not grow with the ride's length.
    A bike's lines come in order (Kafka keeps them so per bike) and a reading is never changed; the
    sums are still read whole every SUMS_REREAD_S, so nothing could stay wrong for longer."""
    key = (current_app.config["LIVE_DB_PATH"], bike_serial, started_at, limit)
    now = time.monotonic()
    with _sums_lock:
        known = _sums.get(key)
    if known is not None and now - known[0] > SUMS_REREAD_S:
        known = None
    after = known[1]["last_s"] if known and known[1]["last_s"] is not None else -1
    new = dict(queries.ride_sums(live_conn(), bike_serial, started_at, limit, ZONE_BOUNDS, after))
    sums = added(known[1], new) if known else new
    with _sums_lock:  # two threads adding the same readings store the same sums: no harm
        _sums[key] = (known[0] if known else now, sums)
        _sums.move_to_end(key)
        while len(_sums) > MAX_SUMS:
            _sums.popitem(last=False)
    n, hr_n = sums["n"], sums["hr_n"]
    return {**sums, "avg_hr": sums["hr_sum"] / hr_n if hr_n else None,
            "avg_rpm": sums["rpm_sum"] / n if n else None}


def added(old: dict, new: dict) -> dict:
    """The sums of two runs of readings, the second after the first."""
    if not new["n"]:
        return old
    most = {name: max((v for v in (old[name], new[name]) if v is not None), default=None)
            for name in ("last_s", "max_hr", "max_power", "max_rpm", "last_hr_s")}
    total = {name: old[name] + new[name] for name in ("n", "power_sum", "hr_sum", "hr_n", "rpm_sum", *ZONES)}
    return {**total, **most, "first_s": old["first_s"] if old["n"] else new["first_s"]}


def ride_stats(totals: store.Row) -> dict:
    """This ride's averages and maxima of heart rate (seconds with hand contact), power and cadence."""
    n = totals["n"]
    return {"avg_hr": totals["avg_hr"], "max_hr": totals["max_hr"] or None,
            "avg_power": totals["power_sum"] / n if n else None, "max_power": totals["max_power"],
            "avg_rpm": totals["avg_rpm"], "max_rpm": totals["max_rpm"]}


def alert_email_status(bike_serial: str, started_at: str) -> str | None:
    """How the ride's alert emails went (the warehouse knows): failed if any failed, else pending,
    stored (no mail server) or sent; None before the first alert reaches the warehouse."""
    from app.extensions import db
    from app.models import HrAlert

    statuses = set(db.session.scalars(db.select(HrAlert.status).where(
        HrAlert.bike_serial == bike_serial, HrAlert.ride_started_at == store.from_text(started_at))))
    return next((s for s in ("failed", "pending", "stored", "sent") if s in statuses), None)


def latest_figures(latest: dict, limit: float | None, totals: store.Row) -> dict:
    """Heart rate, its zone and share of the limit, the warnings, cadence, power, resistance."""
    hr = latest["heart_rate"]
    zero_since = totals["last_hr_s"] if totals["last_hr_s"] is not None else totals["first_s"] - 1
    return {"latest": latest, "elapsed_s": latest["duration_s"],
            "zone": zone_of(hr, limit),
            # Rounded down, as the zones count: 59.6 % is zone 1, never "Zone 1 · 60 %".
            "hr_pct": math.floor(100 * hr / limit) if hr and limit else None,
            "above_limit": bool(limit and hr > limit),
            "hold_handlebars": hr == 0 and latest["duration_s"] - zero_since > HOLD_AFTER_S}


def series(bike_serial: str, after_s: int = -1) -> dict:
    """The current ride's readings after `after_s`, for the live charts."""
    bike = queries.get_bike(live_conn(), bike_serial)
    if bike is None or bike["ride_started_at"] is None:
        return {"started_at": None, "limit": None, "points": []}
    ride = store.get_ride(live_conn(), bike_serial, bike["ride_started_at"])
    rows = queries.readings_after(live_conn(), bike_serial, bike["ride_started_at"], after_s)
    return {"started_at": bike["ride_started_at"], "limit": ride["hr_limit_bpm"] if ride else None,
            "points": [[r["duration_s"], r["heart_rate"] or None, r["power"], r["rpm"]] for r in rows]}


def last_ended_ride(bike_serial: str) -> dict | None:
    """The bike's latest ended ride still in the live store (waiting for its closeout)."""
    started_at = queries.last_ended_start(live_conn(), bike_serial)
    ride = queries.ride_screen(live_conn(), bike_serial, started_at) if started_at else None
    if ride is None:
        return None
    latest = queries.latest_reading(live_conn(), bike_serial, started_at)
    return ride_figures(ride, dict(latest) if latest is not None else None)
