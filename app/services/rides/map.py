"""Rides on a map of the UK by riders' postcode area: an offline SVG built on the server.

The areas' outlines and centroids are shipped in app/static/data (source and licence in its
README.md). Nothing is fetched: no tiles, no request off the machine.
"""
import csv
import json
import math
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from markupsafe import Markup, escape

from app.extensions import db
from app.models import Ride, User

DATA = Path(__file__).resolve().parents[2] / "static" / "data"
SCALE = 40.0  # SVG units per degree of latitude
# Equirectangular projection: a degree of longitude is cos(54 deg) of a degree of latitude,
# true around the middle of Great Britain.
X_FACTOR = math.cos(math.radians(54))
WEST, NORTH = -8.7, 60.9  # the map's top-left corner (degrees)
WIDTH, HEIGHT = round((1.9 - WEST) * X_FACTOR * SCALE), round((NORTH - 49.8) * SCALE)
LEVELS = 5  # heat-map shades
# Light colours as SVG attributes (the daily report and its PDF use them); the web pages' stylesheet
# overrides them with the palette's light and dark colours through the classes.
HEAT_FILLS = ("#e4e8ed", "#cfe0f3", "#9cc2e8", "#5e98d3", "#2a6fb8", "#0b4a8c")
DOT_FILL, OUTLINE, TEXT = "#c62828", "#ffffff", "#1b1b1b"


@dataclass(frozen=True)
class Area:
    """A postcode area: its code, name and centroid on the map."""

    code: str
    name: str
    x: float
    y: float


def project(latitude: float, longitude: float) -> tuple[float, float]:
    """Map coordinates (SVG units, y down) of a point."""
    return (round((longitude - WEST) * X_FACTOR * SCALE, 1), round((NORTH - latitude) * SCALE, 1))


@lru_cache(maxsize=1)
def areas() -> dict[str, Area]:
    """Every area on the map by code."""
    with open(DATA / "postcode_areas.csv", newline="") as source:
        return {row["area"]: Area(row["area"], row["name"],
                                  *project(float(row["latitude"]), float(row["longitude"])))
                for row in csv.DictReader(source)}


@lru_cache(maxsize=1)
def outlines() -> dict[str, str]:
    """Each area's outline as SVG path data."""
    rings = json.loads((DATA / "postcode_areas.json").read_text())
    return {code: " ".join("M" + " ".join("%s,%s" % project(lat, lon) for lon, lat in ring) + "Z"
                           for ring in parts)
            for code, parts in rings.items()}


def level(count: int, top: int) -> int:
    """The shade 0 (none) to LEVELS (the busiest area) of a count."""
    return 0 if not count or not top else max(1, math.ceil(LEVELS * count / top))


def legend_ranges(top: int) -> list[tuple[int, str]]:
    """(shade, "from-to rides") for each shade that some count can have."""
    ranges = []
    for shade in range(1, LEVELS + 1):
        low, high = math.floor((shade - 1) * top / LEVELS) + 1, math.floor(shade * top / LEVELS)
        if low <= high:
            ranges.append((shade, f"{low}" if low == high else f"{low}–{high}"))
    return ranges


def area_rows(counts: dict) -> list[dict]:
    """Areas by count, busiest first, with their names; riders with no known area as "Unknown"."""
    known = areas()
    rows = [{"code": code or "?", "name": known[code].name if code in known else
             ("Not on the map" if code else "Unknown postcode"), "count": count,
             "on_map": code in known}
            for code, count in counts.items() if count]
    return sorted(rows, key=lambda row: (-row["count"], row["code"]))


def map_svg(counts: dict, title: str, dots: bool = False, backdrop: bool = True) -> Markup:
    """The map: areas shaded by count (a heat map), or a dot per area sized by count (dots);
    without the backdrop, the dots alone (to lay over a backdrop drawn once)."""
    counts = {code: n for code, n in counts.items() if n}
    top = max(counts.values(), default=0)
    shapes = []
    for code, path in outlines().items() if backdrop else ():
        shade = 0 if dots else level(counts.get(code, 0), top)
        label = f"{code} {areas()[code].name}: {counts.get(code, 0)}"
        shapes.append(f'<path class="area heat-{shade}" d="{path}" fill="{HEAT_FILLS[shade]}" '
                      f'stroke="{OUTLINE}" stroke-width="0.6"><title>{escape(label)}</title></path>')
    # Dots too on the heat map, so that London's small areas can be seen; big ones drawn first.
    shapes += [_dot(areas()[code], n, None if dots else level(n, top))
               for code, n in sorted(counts.items(), key=lambda c: -c[1]) if code in areas()]
    description = "; ".join(f"{row['code']} {row['name']}: {row['count']}" for row in area_rows(counts)[:10])
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="uk-map" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="{_id(title)}-t {_id(title)}-d">'
        f'<title id="{_id(title)}-t">{escape(title)}</title>'
        f'<desc id="{_id(title)}-d">{escape(description or "No rides.")}</desc>'
        + "".join(shapes) + ("" if dots else _legend(top)) + "</svg>")


def _dot(area: Area, count: int, shade: int | None) -> str:
    """A dot at the area's centroid, its surface proportional to the count: red for rides in
    progress, or in the area's shade on the heat map."""
    if shade is None:
        radius, look = round(3 + 3 * math.sqrt(count), 1), f'class="dot" fill="{DOT_FILL}" stroke="{OUTLINE}"'
    else:
        radius, look = round(2 + 1.5 * math.sqrt(count), 1), \
            f'class="bubble heat-{shade}" fill="{HEAT_FILLS[shade]}" stroke="{TEXT}"'
    return (f'<circle {look} cx="{area.x}" cy="{area.y}" r="{radius}" fill-opacity="0.85" '
            f'stroke-width="0.8">'
            f'<title>{escape(area.code)} {escape(area.name)}: {count}</title></circle>')


def _legend(top: int) -> str:
    """The shades and the counts they stand for, in the sea west of Shetland (top left)."""
    if not top:
        return ""
    items = [f'<text class="legend" x="4" y="12" font-size="11" fill="{TEXT}">Rides</text>']
    for i, (shade, label) in enumerate(legend_ranges(top)):
        y = 18 + i * 16
        items.append(f'<rect class="heat-{shade}" x="4" y="{y}" width="12" height="12" '
                     f'fill="{HEAT_FILLS[shade]}" stroke="{TEXT}" stroke-width="0.5"/>'
                     f'<text class="legend" x="20" y="{y + 10}" font-size="11" fill="{TEXT}">{label}</text>')
    return "<g>" + "".join(items) + "</g>"


def _id(title: str) -> str:
    """An id for the title, unique enough on a page with a map or two."""
    return "map-" + "".join(c if c.isalnum() else "-" for c in title.lower())[:40]


def heat_map_svg(counts_by_area: dict) -> Markup:
    """The heat map of rides by postcode area, as the daily report shows it."""
    return map_svg(counts_by_area, "Rides by the rider's postcode area")


def ride_counts(*conditions) -> dict:
    """Rides per rider's postcode area (None: unknown) among the rides matching the conditions."""
    query = (sa.select(User.postcode_area, sa.func.count(Ride.ride_id))
             .join(User, User.user_id == Ride.user_id).where(*conditions).group_by(User.postcode_area))
    return dict(db.session.execute(query).all())


def counts_between_dates(date_from: date | None, date_to: date | None) -> dict:
    """Rides per area with a ride date in [date_from, date_to] (None: no bound)."""
    conditions = [Ride.ride_date >= date_from] if date_from else []
    return ride_counts(*conditions, *([Ride.ride_date <= date_to] if date_to else []))


def counts_started_between(start: datetime, end: datetime) -> dict:
    """Rides per area started in [start, end)."""
    return ride_counts(Ride.started_at >= start, Ride.started_at < end)


def report_map(window: tuple[datetime, datetime]) -> Markup:
    """The daily report's heat map of the rides started in its window, with the busiest areas in
    words under it (what the PDF's reader, or a screen reader, gets instead of the picture)."""
    counts = counts_started_between(*window)
    busiest = ", ".join(f"{row['code']} {row['name']} {row['count']}" for row in area_rows(counts)[:10])
    return heat_map_svg(counts) + Markup("<p>Rides by area, busiest first: %s.</p>") % busiest


def live_counts(fleet: list[dict]) -> Counter:
    """Rides in progress per area, from the fleet (app/services/pages/live.py fleet())."""
    return Counter(bike["rider"].get("postcode_area") for bike in fleet
                   if bike["riding"] and bike["state"] == "riding")
