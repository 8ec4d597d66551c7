"""The fleet page at any size: one compact row per bike a second, its urgency worked out in SQL,
built by one web process for all of them (shared through Redis) and by all viewers, searched,
filtered and paged in memory; tiles are made only for the page shown, and the rendered pages of
that second are shared too. The bike screens' leaderboard is made from the same rows."""
import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter

import redis
from flask import current_app

from app.live import queries
from app.live.db import close_live, get_live
from app.services.pages import live as live_view
from app.services.text_fold import fold

PER_PAGE = 100
# The fleet's order of urgency, with each state's label (a state's rank is its place here).
STATES = {"above": "Above the limit", "hold": "Hold the handlebars", "riding": "Riding",
          "idle": "Idle", "silent": "Silent"}
RANK = {state: rank for rank, state in enumerate(STATES)}
STATE_OF = list(STATES)
MAX_QUERY = 100  # characters of a search
BATCH_RIDERS = 100  # more new rides than this in one second: read every rider in one query
SHARE_TTL_S = 5  # how long a second's shared rows (and their builder's lock) stay in Redis
WAIT_S = 1.0  # how long a process waits for another's build before it builds the rows itself
# A snapshot older than this (no viewer for a while) is not served: the request waits for a new one.
MAX_SERVED_AGE_S = 2

# A compact row's columns (app/live/queries.py fleet_tiles).
URGENCY, SERIAL, STARTED, ELAPSED, HEART_RATE, POWER, LIMIT, ENERGY = range(8)
ROWS_FORMAT = 2  # in the Redis key: a process of older code never reads rows of another shape



@dataclass(frozen=True)
class Rider:
    """What a tile shows of a ride's rider, and the folded text a search looks in."""

    first_name: str | None
    name: str | None
    user_id: int | None
    search: str


@dataclass
class Snapshot:
    """Every bike's compact row, in order of urgency, as of one wall-clock second (read or built
    once a second per process, whoever is watching)."""

    second: int
    rows: list
    riders: dict[tuple, Rider]
    counts: dict[str, int]
    pages: dict[tuple, str] = field(default_factory=dict)  # rendered fragments of this second
    board: Sequence[dict] = ()  # the bike screens' leaderboard (see Board)
    places: dict[str, int] = field(default_factory=dict)  # each bike's place (from 1) on the board


@dataclass
class Fleet:
    """One app's fleet page state (in app.extensions): its latest snapshot, the riders of the rides
    in progress, the lock its builder holds and its Redis client."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    snapshot: Snapshot | None = None
    riders: dict[tuple, Rider] = field(default_factory=dict)
    client: redis.Redis | None = None


def state() -> Fleet:
    """This app's fleet page state."""
    return current_app.extensions.get("fleet") or current_app.extensions.setdefault("fleet", Fleet())


def build_rows(conn, now: float) -> list:
    """Every bike's compact row, sorted by urgency then serial (in Python: the same order on
    SQLite and on PostgreSQL, whatever its collation)."""
    rows = [tuple(row) for row in queries.fleet_tiles(conn, now, live_view.SILENT_AFTER_S)]
    rows.sort(key=itemgetter(URGENCY, SERIAL))
    return rows


def shared_rows(fleet: Fleet, conn, second: int) -> list:
    """This second's rows, built once for every web process: the first to ask builds them and
    stores them in Redis for SHARE_TTL_S; the others read them (a JSON list, far cheaper than the
    query over every bike). Without Redis, or when the builder is late, a process builds its own."""
    try:
        client = redis_client(fleet)
        path = current_app.config["LIVE_DB_PATH"]
        key = f"deloton:fleet:{ROWS_FORMAT}:{hashlib.sha1(path.encode()).hexdigest()[:16]}:{second}"
        deadline = time.monotonic() + WAIT_S
        while not client.set(key + ":lock", 1, nx=True, ex=SHARE_TTL_S):
            data = client.get(key)
            if data is not None:
                return json.loads(data)
            if time.monotonic() > deadline:
                return build_rows(conn, time.time())
            time.sleep(0.02)
        rows = build_rows(conn, time.time())
        client.set(key, json.dumps(rows, separators=(",", ":")), ex=SHARE_TTL_S)
        return rows
    except redis.RedisError as error:  # the page works without Redis, each process building its own
        current_app.logger.warning("fleet rows not shared through Redis: %s", error)
        return build_rows(conn, time.time())


def redis_client(fleet: Fleet) -> redis.Redis:
    """The app's Redis client (REDIS_URL), with short timeouts: the page must not hang on it."""
    if fleet.client is None:
        fleet.client = redis.Redis.from_url(current_app.config["REDIS_URL"], socket_timeout=1,
                                            socket_connect_timeout=1)
    return fleet.client


def riders_of(conn, rows: list, known: dict[tuple, Rider]) -> dict[tuple, Rider]:
    """The rider of each row's ride (none for a bike not riding), keyed by (bike, ride start).
    A ride's rider never changes: only new rides' riders are read and parsed; the result holds
    the rides in progress only."""
    riders, missing = {}, []
    for row in rows:
        key = (row[SERIAL], row[STARTED])
        rider = known.get(key)
        if rider is None and row[STARTED] is None:
            rider = Rider(None, None, None, fold(row[SERIAL]))
        if rider is None:
            missing.append(key)
        else:
            riders[key] = rider
    if len(missing) > BATCH_RIDERS:  # a first build: one query rather than one per ride
        texts = {(r[0], r[1]): r[2] for r in queries.riders_in_progress(conn)}
    else:
        texts = {key: queries.rider_json_of(conn, *key) for key in missing}
    for key in missing:
        riders[key] = rider_of(key, texts.get(key))
    return riders


def rider_of(key: tuple, rider_json: str | None) -> Rider:
    """A ride's rider as a tile shows it, from its JSON (parsed here, not through live_view's
    cache, which the bike screens need for themselves)."""
    card = live_view.rider_card.__wrapped__(rider_json, key[1]) if rider_json else {}
    return Rider(card.get("first_name"), card.get("name"), card.get("user_id"),
                 fold(f"{key[0]} {card.get('name') or ''}"))


def snapshot() -> Snapshot:
    """The latest snapshot. The first request waits for it, as does the first after a quiet spell
    (a snapshot over MAX_SERVED_AGE_S old); otherwise the first request of a new second starts the
    next one in the background and every request is served the latest at once (at most a second
    or two old), so no viewer waits for a build over the whole fleet."""
    fleet, second = state(), int(time.time())
    current = fleet.snapshot
    if current is None or second - current.second > MAX_SERVED_AGE_S:
        with fleet.lock:  # a build under way ends first, and is fresh enough
            if fleet.snapshot is None or second - fleet.snapshot.second > MAX_SERVED_AGE_S:
                build(fleet, second)
        return fleet.snapshot
    if current.second != second and fleet.lock.acquire(blocking=False):
        app = current_app._get_current_object()
        threading.Thread(target=build_in_background, args=(app, fleet, second), daemon=True).start()
    return current


def build(fleet: Fleet, second: int) -> None:
    """Build the snapshot of `second` from the live store (in an app context)."""
    conn = get_live()
    rows = shared_rows(fleet, conn, second)
    riders = fleet.riders = riders_of(conn, rows, fleet.riders)
    ranks = Counter(map(itemgetter(URGENCY), rows))
    counts = {state: ranks[rank] for rank, state in enumerate(STATES)}
    board = Board(rows, riders)
    fleet.snapshot = Snapshot(second, rows, riders, counts, board=board, places=board.places())


def build_in_background(app, fleet: Fleet, second: int) -> None:
    """build() in a thread of its own, then release the lock its starter took."""
    try:
        with app.app_context():
            try:
                build(fleet, second)
            finally:
                close_live()
    except Exception:  # noqa: BLE001 (a failed build keeps the last snapshot; the next second retries)
        app.logger.exception("the fleet snapshot could not be built")
    finally:
        fleet.lock.release()


def fleet_page(snap: Snapshot, q: str = "", state: str = "", page: int = 1) -> dict:
    """One page of at most PER_PAGE tiles whose serial or rider's name contains q (case and
    accents aside) and whose state is `state` (any when empty); a page past the end is the last."""
    needle, rank = fold(q.strip()), RANK.get(state)
    rows = snap.rows
    if rank is not None:
        rows = [row for row in rows if row[URGENCY] == rank]
    if needle:
        riders = snap.riders
        rows = [row for row in rows if needle in riders[(row[SERIAL], row[STARTED])].search]
    pages = max(1, -(-len(rows) // PER_PAGE))
    page = min(max(page, 1), pages)
    shown = rows[(page - 1) * PER_PAGE:page * PER_PAGE]
    return {"tiles": [tile(row, snap.riders[(row[SERIAL], row[STARTED])]) for row in shown],
            "total": len(rows), "page": page, "pages": pages, "counts": snap.counts,
            "fleet_size": len(snap.rows)}


def tile(row, rider: Rider) -> dict:
    """A bike's tile as the grid shows it (made only for the tiles of the page shown)."""
    return {"bike_serial": row[SERIAL], "riding": row[STARTED] is not None, "state": STATE_OF[row[URGENCY]],
            "first_name": rider.first_name, "name": rider.name, "user_id": rider.user_id,
            "elapsed_s": row[ELAPSED], "heart_rate": row[HEART_RATE], "power": row[POWER],
            "zone": live_view.zone_of(row[HEART_RATE], row[LIMIT])}


class Board(Sequence):
    """The bike screens' leaderboard: the rides in progress that have readings, by energy so far
    (highest first, then serial). Sorted with each snapshot, in the background; an entry (place
    aside) is made only when a screen shows it: a screen shows six of thousands."""

    def __init__(self, rows: list, riders: dict[tuple, Rider]):
        self.rows = [row for row in rows if row[STARTED] is not None and row[ELAPSED] is not None]
        # By serial, then by energy (a stable sort keeps the serial order among equals): itemgetter
        # keys cost a fraction of a lambda's tuples, and this runs over the whole fleet each second.
        self.rows.sort(key=itemgetter(SERIAL))
        self.rows.sort(key=itemgetter(ENERGY), reverse=True)
        self.riders = riders

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self.entry(row) for row in self.rows[index]]
        return self.entry(self.rows[index])

    def entry(self, row) -> dict:
        """A ride's entry: its bike, energy in kJ and its rider's first name."""
        return {"bike_serial": row[SERIAL], "energy_kj": row[ENERGY] / 1000,
                "first_name": self.riders[(row[SERIAL], row[STARTED])].first_name or "Rider"}

    def places(self) -> dict[str, int]:
        """Each bike's place on the board, from 1."""
        return {row[SERIAL]: place for place, row in enumerate(self.rows, 1)}


def rendered(snap: Snapshot, key: tuple, render) -> str:
    """The fragment for `key` in this second, rendered once by `render()` whoever asks."""
    html = snap.pages.get(key)
    if html is None:
        html = snap.pages[key] = render()
    return html
