"""A short cache of rendered live fragments, shared by every screen this process serves: a bike's
figures are rendered once per reading, however many screens watch that bike, and compressed once
per reading (gzip, which every browser takes; a poll served from the cache renders and compresses
nothing)."""
import gzip
import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from flask import Response, current_app, request

from app.live.store import Row
from app.services.pages import live as live_view

TTL_S = 2.0  # also refreshes what a reading does not change (an alert email's status)
MAX_ENTRIES = 20_000  # about one per bike and view; the oldest go first


@dataclass
class Fragment:
    """A rendered fragment: its HTML, its validator and its gzip body once asked for."""

    expires: float
    html: bytes
    etag: str  # a digest of the HTML: the same figures, the same ETag
    gzipped: bytes | None = None


_lock = threading.Lock()
_entries: OrderedDict[tuple, Fragment] = OrderedDict()


def reading_key(bike: Row, view: str) -> tuple:
    """What a bike's live fragment in `view` depends on, from its row of queries.bike_screen: its
    ride, its latest line, its alerts and whether it is silent."""
    state = live_view.bike_state(bike["last_seen_wall"], bike["ride_started_at"] is not None)
    return (current_app.config["LIVE_DB_PATH"], bike["bike_serial"], bike["ride_started_at"],
            bike["last_line_at"], bike["alerts"], state, view)


def cached(key: tuple, render) -> Fragment:
    """The fragment stored under `key` if fresh, else `render()` stored for TTL_S seconds."""
    now = time.monotonic()
    with _lock:
        hit = _entries.get(key)
        if hit is not None and hit.expires > now:
            return hit
    html = render().encode()  # outside the lock: two screens of one bike may both render on a miss
    fragment = Fragment(now + TTL_S, html, hashlib.blake2b(html, digest_size=12).hexdigest())
    with _lock:
        _entries[key] = fragment
        _entries.move_to_end(key)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return fragment


def response(fragment: Fragment) -> Response:
    """The fragment as an answer to this request: gzip-compressed when the client takes gzip (once
    per fragment), or 304 Not Modified when the client already has these bytes."""
    config = current_app.config
    coding = None
    if len(fragment.html) >= config["COMPRESS_MIN_SIZE"] and request.accept_encodings["gzip"]:
        coding = "gzip"  # small bodies stay plain, as Flask-Compress leaves them
    etag = f"{fragment.etag}:{coding}" if coding else fragment.etag  # one validator per coding
    if etag in request.if_none_match:
        answer = Response(status=304)
    elif coding is None:
        answer = Response(fragment.html, mimetype="text/html")
    else:
        if fragment.gzipped is None:  # two threads may both compress: the same bytes, no harm
            fragment.gzipped = gzip.compress(fragment.html, compresslevel=config["COMPRESS_LEVEL"], mtime=0)
        answer = Response(fragment.gzipped, mimetype="text/html", headers={"Content-Encoding": "gzip"})
    answer.set_etag(etag)
    answer.headers["Vary"] = "Accept-Encoding"  # a new answer: no Vary yet to add to
    return answer
