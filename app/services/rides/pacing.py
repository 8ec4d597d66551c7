"""Pacing on a bike's screen: this ride against the rider's best and last rides at the same second,
and where it stands among the rides in progress (by energy)."""
import bisect
import threading
from array import array
from collections import OrderedDict

from flask import current_app

from app.extensions import db
from app.live import store
from app.models import Ride, RideReading

# Rides whose comparison rides a process keeps: every ride in progress of a 10,000-bike fleet, as
# each web process serves screens of any bike (a smaller cache would read the warehouse on most
# polls). A ride's two curves take 12 bytes a second recorded: about 16 KB for an 11-minute pair.
CACHE_RIDES = 12_000
BOARD_TOP = 5


class LruCache:
    """A small thread-safe map that forgets its least recently used entries."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key, load):
        """The value of `key`, loaded by `load()` once (until it is forgotten)."""
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        value = load()
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value


def _cache() -> LruCache:
    """This app's cache of comparison rides (one per app: tests run many apps in one process)."""
    return current_app.extensions.setdefault("pacing_rides", LruCache(CACHE_RIDES))


def comparison_rides(user_id: int, started_at: str) -> dict:
    """The rider's best and last finished rides before the ride that started at `started_at`,
    with their energy second by second; read from the warehouse once per ride in progress."""
    return _cache().get((user_id, started_at), lambda: _load(user_id, store.from_text(started_at)))


def _load(user_id: int, before) -> dict:
    earlier = db.select(Ride).where(Ride.user_id == user_id, Ride.started_at < before)
    # "Best" is the ride with the most energy (the latest of equals); "last" the latest one.
    best = db.session.scalars(earlier.order_by(Ride.energy_kj.desc(), Ride.started_at.desc()).limit(1)).first()
    last = db.session.scalars(earlier.order_by(Ride.started_at.desc()).limit(1)).first()
    return {"best": _energy_curve(best), "last": _energy_curve(last)}


def _energy_curve(ride: Ride | None) -> dict | None:
    """A finished ride's cumulative energy (kJ) at each second it recorded."""
    if ride is None:
        return None
    seconds, energy, total = array("i"), array("d"), 0.0  # compact: thousands are kept
    for duration_s, power in db.session.execute(
            db.select(RideReading.duration_s, RideReading.power)
            .where(RideReading.ride_id == ride.ride_id).order_by(RideReading.duration_s)):
        total += power
        seconds.append(duration_s)
        energy.append(total / 1000)
    return {"ride_id": ride.ride_id, "started_at": ride.started_at, "duration_s": ride.duration_s,
            "energy_kj": ride.energy_kj, "seconds": seconds, "energy": energy}


def energy_at(curve: dict, elapsed_s: int) -> float:
    """The energy a finished ride had gathered by second `elapsed_s` (all of it once it had ended)."""
    i = bisect.bisect_right(curve["seconds"], elapsed_s)
    return curve["energy"][i - 1] if i else 0.0


def compare(curve: dict | None, elapsed_s: int, energy_kj: float) -> dict | None:
    """This ride's energy against a finished ride's at the same elapsed second."""
    if curve is None:
        return None
    theirs = energy_at(curve, elapsed_s)
    return {"ride_id": curve["ride_id"], "started_at": curve["started_at"], "energy_kj": theirs,
            "diff_kj": energy_kj - theirs, "ended": elapsed_s > curve["duration_s"]}


def pacing(bike_serial: str, ride: dict, board: list[dict], places: dict[str, int]) -> dict:
    """How the ride in progress compares with the rider's best and last rides at the same second,
    and its place among the rides in progress (`board`: the live leaderboard, highest energy first;
    `places`: each bike's place on it, from 1)."""
    rides = comparison_rides(ride["user_id"], ride["started_at"])
    elapsed, energy = ride["elapsed_s"] or 0, ride["energy_kj"]
    place = places.get(bike_serial)
    shown = [dict(row, place=i, me=row["bike_serial"] == bike_serial)
             for i, row in enumerate(board[:BOARD_TOP], 1)]
    if place is not None and place > BOARD_TOP:
        shown.append(dict(board[place - 1], place=place, me=True))
    return {"best": compare(rides["best"], elapsed, energy), "last": compare(rides["last"], elapsed, energy),
            "place": place, "riding": len(board), "board": shown}
