"""Letting go of landed rides: the consumer, the live store's only writer, forgets the ended rides
the warehouse already holds (the closeout never writes the live store; docs/stream.md)."""
import logging
import time
from datetime import timezone

import sqlalchemy as sa

from app.live import ingest, store
from app.models import Ride, RideDeletion

log = logging.getLogger(__name__)
CHUNK = 500  # keys per warehouse query


def landed(engine: sa.Engine, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (bike_serial, started_at text) rides the warehouse holds, or held and deleted
    through the API since: the warehouse's commit is the only proof that a ride may be forgotten."""
    by_moment = {(serial, _utc(store.from_text(started_at))): (serial, started_at) for serial, started_at in keys}
    found = set()
    with engine.connect() as connection:
        moments = list(by_moment)
        for start in range(0, len(moments), CHUNK):
            chunk = moments[start:start + CHUNK]
            for model in (Ride, RideDeletion):
                rows = connection.execute(sa.select(model.bike_serial, model.started_at).where(
                    sa.tuple_(model.bike_serial, model.started_at).in_(chunk)))
                found |= {by_moment[serial, _utc(moment)] for serial, moment in rows
                          if (serial, _utc(moment)) in by_moment}
    return found


def _utc(moment):
    """A time as an aware UTC datetime (SQLite may hand it back naive)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


class Forgetter:
    """Every `every_s`, finds the ended rides the consumer may forget: those in the warehouse, and
    those without readings (nothing to land). Reads only; the consumer deletes them in its next
    write transaction."""

    def __init__(self, engine: sa.Engine, every_s: float = 1.0):
        self.engine, self.every_s = engine, every_s
        self.next_look = 0.0

    def due(self, conn: store.Connection) -> list[tuple[str, str]]:
        """The rides to forget now ([] between looks)."""
        if time.monotonic() < self.next_look:
            return []
        self.next_look = time.monotonic() + self.every_s
        ended = ingest.ended_rides(conn)
        if not ended:
            return []
        empty = [(serial, started_at) for serial, started_at, has_readings in ended if not has_readings]
        waiting = [(serial, started_at) for serial, started_at, has_readings in ended if has_readings]
        try:
            found = landed(self.engine, waiting) if waiting else set()
        except sa.exc.SQLAlchemyError as exc:  # the warehouse is down: the rides wait, nothing is lost
            log.warning("cannot ask the warehouse which rides have landed (%s); asking again later", exc)
            found = set()
        return sorted(empty + list(found))
