"""Closed rides as the API's JSON, made once per web process: a ride never changes once closed, and
loading ~30 columns into ORM objects and dumping them through marshmallow was most of the CPU of a
request. A request reads only each ride's id and closing time, and loads only the rides not yet made."""
import threading
from collections import OrderedDict
from datetime import datetime

from flask import Response, current_app

from app.blueprints.api import reads, statements
from app.blueprints.api.schemas import RideSchema
from app.extensions import db
from app.models import Ride

CAPACITY = 20_000  # rides kept per process, about 1 KB each; the least recently used go first
_schema = RideSchema()
_lock = threading.Lock()
_made: OrderedDict[tuple, str] = OrderedDict()  # (ride_id, closed_at) -> the ride's JSON


def _remembered(keys: list[tuple]) -> dict[tuple, str | None]:
    """The JSON made already of each ride (None for those not made), under one hold of the lock."""
    found = {}
    with _lock:
        for key in keys:
            text = found[key] = _made.get(key)
            if text is not None:
                _made.move_to_end(key)
    return found


def _remember(ride: Ride) -> str:
    """Make a ride's JSON, exactly as RideSchema and Flask's JSON settings make it, and keep it."""
    text = current_app.json.dumps(_schema.dump(ride), separators=(",", ":"))
    with _lock:
        _made[(ride.ride_id, ride.closed_at)] = text  # a ride filed again is a new entry
        if len(_made) > CAPACITY:
            _made.popitem(last=False)
    return text


def closing_time(ride_id: int) -> datetime | None:
    """When a ride was closed, i.e. which version of it is current (None: no such ride)."""
    return reads.scalar(statements.RIDE_CLOSED_AT, {"ride_id": ride_id})


def load_rides(ride_ids: list[int]) -> list[Ride]:
    """The rides with these ids, every column, as (unsaved) Ride objects to dump."""
    found = reads.rows(db.select(Ride.__table__).where(Ride.ride_id.in_(ride_ids)))
    return [Ride(**row._mapping) for row in found]


def rides_json(keys: list[tuple[int, datetime]]) -> list[str]:
    """The JSON of the rides named by (ride_id, closed_at), in that order; one query for those
    this process has not made yet (a ride deleted meanwhile is left out)."""
    texts = _remembered(keys)
    missing = [ride_id for (ride_id, _), text in texts.items() if text is None]
    if missing:
        for ride in load_rides(missing):
            texts[(ride.ride_id, ride.closed_at)] = _remember(ride)
    return [texts[key] for key in keys if texts.get(key) is not None]


def json_response(texts: list[str], many: bool = True) -> Response:
    """A 200 holding a list of rides (or one), as flask-smorest would have sent it."""
    body = "[" + ",".join(texts) + "]" if many else texts[0]
    return current_app.response_class(body + "\n", mimetype="application/json")
