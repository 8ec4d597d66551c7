"""Cursor pagination of the API's ride lists: the next page starts after the last ride seen (no
OFFSET, no count), so page 2,000 costs what page 1 costs."""
from datetime import datetime, timedelta, timezone

from marshmallow import Schema, fields, validate

from app.models import Ride

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MICROSECOND = timedelta(microseconds=1)
# A position in a list: the last ride's start (microseconds since 1970, UTC) and its id. Any value of
# this shape is a valid position, so the document's pattern says exactly what is accepted.
CURSOR_PATTERN = r"^[0-9]{1,16}-[0-9]{1,18}$"
NEXT_CURSOR = "X-Next-Cursor"
CURSOR_HEADERS = {NEXT_CURSOR: {
    "description": "Sent when more rides follow: pass it as `cursor` for the next page.",
    "schema": {"type": "string", "pattern": CURSOR_PATTERN, "example": "1777626000000000-42"}}}


class CursorArgsSchema(Schema):
    """?cursor= of the ride lists."""

    cursor = fields.String(validate=validate.Regexp(CURSOR_PATTERN), metadata={
        "description": "The `X-Next-Cursor` of the previous page: the page after it, at the cost of "
                       "a first page (`page` is then ignored, and no X-Pagination is sent)."})


def encode(ride: Ride) -> str:
    """The cursor of the position just after `ride`."""
    return f"{(ride.started_at - EPOCH) // MICROSECOND}-{ride.ride_id}"


def decode(cursor: str) -> tuple[datetime, int]:
    """The (started_at, ride_id) a cursor names (its shape is checked by CursorArgsSchema)."""
    micros, ride_id = cursor.split("-")
    return EPOCH + int(micros) * MICROSECOND, int(ride_id)
