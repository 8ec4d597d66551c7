"""Closed rides as the API's JSON, made once per web process: a ride never changes once closed, and
dumping ~30 fields through marshmallow was most of the cost of a page of 50 rides."""
import threading
from collections import OrderedDict

from flask import Response, current_app

from app.blueprints.api.schemas import RideSchema
from app.models import Ride

CAPACITY = 20_000  # rides kept per process, about 1 KB each; the least recently used go first
_schema = RideSchema()
_lock = threading.Lock()
_made: OrderedDict[tuple, str] = OrderedDict()  # (ride_id, closed_at) -> the ride's JSON


def ride_json(ride: Ride) -> str:
    """The ride's JSON, exactly as RideSchema and Flask's JSON settings make it."""
    key = (ride.ride_id, ride.closed_at)  # a ride filed again (deleted, then landed) is a new entry
    with _lock:
        text = _made.get(key)
        if text is not None:
            _made.move_to_end(key)
            return text
    text = current_app.json.dumps(_schema.dump(ride), separators=(",", ":"))
    with _lock:
        _made[key] = text
        if len(_made) > CAPACITY:
            _made.popitem(last=False)
    return text


def json_response(rides: list[Ride] | Ride) -> Response:
    """A 200 holding one ride or a list of rides, as flask-smorest would have sent it."""
    body = ride_json(rides) if isinstance(rides, Ride) else "[" + ",".join(map(ride_json, rides)) + "]"
    return current_app.response_class(body + "\n", mimetype="application/json")
