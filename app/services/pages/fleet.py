"""The fleet page at any size: one compact snapshot of every bike a second, shared by all viewers,
searched, filtered and paged in memory; and the rendered pages of that second, shared too."""
import threading
import time
from dataclasses import dataclass, field

from flask import current_app

from app.services.pages import live as live_view
from app.services.text_fold import fold

PER_PAGE = 100
# The fleet's order of urgency, with each state's label.
STATES = {"above": "Above the limit", "hold": "Hold the handlebars", "riding": "Riding",
          "idle": "Idle", "silent": "Silent"}
RANK = {state: rank for rank, state in enumerate(STATES)}
MAX_QUERY = 100  # characters of a search

_lock = threading.Lock()
_snapshots: dict[str, "Snapshot"] = {}  # live store -> its latest snapshot
_riders: dict[str, dict[tuple, dict]] = {}  # live store -> (bike, ride start) -> its rider


@dataclass
class Snapshot:
    """Every bike's tile, in order of urgency, as of one wall-clock second (built once a second per
    process, whoever is watching)."""

    second: int
    tiles: list[dict]
    counts: dict[str, int]
    pages: dict[tuple, str] = field(default_factory=dict)  # rendered fragments of this second


def urgent_state(bike: dict, limit: float | None) -> str:
    """above, hold, riding, idle or silent: a riding bike above its rider's limit, or with no hand
    on the sensors (heart rate 0), needs someone's eyes first."""
    if bike["state"] != "riding" or bike["heart_rate"] is None:
        return bike["state"]
    if limit and bike["heart_rate"] > limit:
        return "above"
    return "hold" if bike["heart_rate"] == 0 else "riding"


def build_tiles(riders: dict[tuple, dict]) -> list[dict]:
    """Every bike's tile from the live store (one query), sorted by urgency then serial. `riders`
    holds each ride's rider from the last snapshot (a ride's rider never changes): only the riders
    of new rides are parsed, and it is trimmed to the rides in progress."""
    tiles, seen = [], {}
    for row in live_view.live_db().execute(live_view.FLEET_SQL):
        riding = row["ride_started_at"] is not None
        ride = (row["bike_serial"], row["ride_started_at"])
        rider = riders.get(ride) or rider_of(row)
        seen[ride] = rider
        tile = {"bike_serial": row["bike_serial"], "riding": riding,
                "state": live_view.bike_state(row["last_seen_wall"], riding), **rider,
                "elapsed_s": row["duration_s"], "heart_rate": row["heart_rate"], "power": row["power"],
                "zone": live_view.zone_of(row["heart_rate"], row["hr_limit_bpm"])}
        tile["state"] = urgent_state(tile, row["hr_limit_bpm"])
        tiles.append(tile)
    riders.clear()
    riders.update(seen)
    tiles.sort(key=lambda t: (RANK[t["state"]], t["bike_serial"]))
    return tiles


def rider_of(row) -> dict:
    """A ride's rider as a tile shows it (none for a bike not riding), and the folded text a
    search looks in."""
    card = live_view.rider_card(row["rider_json"], row["ride_started_at"]) if row["rider_json"] else {}
    return {"first_name": card.get("first_name"), "name": card.get("name"), "user_id": card.get("user_id"),
            "search": fold(f"{row['bike_serial']} {card.get('name') or ''}")}


def snapshot() -> Snapshot:
    """The latest snapshot. The first request waits for it; after that, the first request of a new
    second starts the next one in the background and every request is served the latest at once
    (at most a second or two old), so no viewer waits for a build over the whole fleet."""
    path, second = current_app.config["LIVE_DB_PATH"], int(time.time())
    current = _snapshots.get(path)
    if current is None:
        with _lock:
            if path not in _snapshots:
                build(path, second)
        return _snapshots[path]
    if current.second != second and _lock.acquire(blocking=False):
        app = current_app._get_current_object()
        threading.Thread(target=build_in_background, args=(app, path, second), daemon=True).start()
    return current


def build(path: str, second: int) -> None:
    """Build the snapshot of `second` from the live store (in an app context)."""
    tiles = build_tiles(_riders.setdefault(path, {}))
    counts = {state: 0 for state in STATES}
    for tile in tiles:
        counts[tile["state"]] += 1
    _snapshots[path] = Snapshot(second, tiles, counts)


def build_in_background(app, path: str, second: int) -> None:
    """build() in a thread of its own, then release the lock its starter took."""
    try:
        with app.app_context():
            try:
                build(path, second)
            finally:
                live_view.close_live_db()
    except Exception:  # noqa: BLE001 (a failed build keeps the last snapshot; the next second retries)
        app.logger.exception("the fleet snapshot could not be built")
    finally:
        _lock.release()


def fleet_page(snap: Snapshot, q: str = "", state: str = "", page: int = 1) -> dict:
    """One page of at most PER_PAGE tiles whose serial or rider's name contains q (case and
    accents aside) and whose state is `state` (any when empty); a page past the end is the last."""
    needle = fold(q.strip())
    tiles = [t for t in snap.tiles if (not state or t["state"] == state)
             and (not needle or needle in t["search"])]
    pages = max(1, -(-len(tiles) // PER_PAGE))
    page = min(max(page, 1), pages)
    return {"tiles": tiles[(page - 1) * PER_PAGE:page * PER_PAGE], "total": len(tiles),
            "page": page, "pages": pages, "counts": snap.counts, "fleet_size": len(snap.tiles)}


def rendered(snap: Snapshot, key: tuple, render) -> str:
    """The fragment for `key` in this second, rendered once by `render()` whoever asks."""
    html = snap.pages.get(key)
    if html is None:
        html = snap.pages[key] = render()
    return html
