"""A short cache of rendered live fragments, shared by every screen this process serves: a bike's
figures are rendered once per reading, however many screens watch that bike."""
import threading
import time
from collections import OrderedDict

from flask import current_app

from app.live import queries
from app.live.db import get_live
from app.services.pages import live as live_view

TTL_S = 2.0  # also refreshes what a reading does not change (an alert email's status)
MAX_ENTRIES = 20_000  # about one per bike and view; the oldest go first

_lock = threading.Lock()
_entries: OrderedDict[tuple, tuple[float, str]] = OrderedDict()


def reading_key(serial: str) -> tuple | None:
    """What a bike's live fragment depends on: its ride, its latest line, its alerts and whether it
    is silent (one indexed read); None for a bike never seen."""
    bike = queries.bike_reading_key(get_live(), serial)
    if bike is None:
        return None
    state = live_view.bike_state(bike["last_seen_wall"], bike["ride_started_at"] is not None)
    return (current_app.config["LIVE_DB_PATH"], serial, bike["ride_started_at"], bike["last_line_at"],
            bike["alerts"], state)


def cached(key: tuple, render) -> str:
    """The fragment stored under `key` if fresh, else `render()` stored for TTL_S seconds."""
    now = time.monotonic()
    with _lock:
        hit = _entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
    html = render()  # outside the lock: two screens of one bike may both render on a miss
    with _lock:
        _entries[key] = (now + TTL_S, html)
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return html
