"""Closing a ride out: from the live store into the warehouse in one transaction. The job only reads
the live store; the consumer, its only writer, forgets the ride once the warehouse holds it."""
import functools
import itertools
import logging
from contextlib import closing
from datetime import datetime
from typing import NamedTuple

import numpy as np
import pandas as pd
import sqlalchemy as sa
from flask import current_app

from app.domain.figures import READING_COLUMNS, readings_frame, ride_figures
from app.domain.rider import parse_rider
from app.extensions import db, dialect_insert
from app.live import queries, store
from app.models import HrAlert, Ride, RideReading, User, utcnow
from app.services.report import final as report_final

log = logging.getLogger(__name__)
# ride_readings' columns in COPY order, and one row of PostgreSQL's binary COPY format: the field
# count, then each field's byte length and big-endian value (int8, int4, timestamptz as int8
# microseconds since 2000-01-01 UTC, int2, int2, float8, int2).
COPY_FIELDS = {"ride_id": ">i8", "duration_s": ">i4", "recorded_at": ">i8", "heart_rate": ">i2",
               "rpm": ">i2", "power": ">f8", "resistance": ">i2"}
COPY_COLUMNS = list(COPY_FIELDS)
COPY_ROW = np.dtype([("fields", ">i2"), *[pair for name, kind in COPY_FIELDS.items()
                                          for pair in ((f"size_{name}", ">i4"), (name, kind))]])
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
COPY_TRAILER = b"\xff\xff"  # a field count of -1
PG_EPOCH_NAIVE = datetime(2000, 1, 1)  # UTC


def close_ride(bike_serial: str, started_at: str) -> int | None:
    """Land an ended ride (started_at in the live store's text form); its ride_id, or None. Run
    again (a retry after a crash), it finds the ride landed and changes nothing."""
    start = store.from_text(started_at)
    # One warehouse transaction from this check to the landing's commit: one connection checkout
    # (and pool ping) per ride, not one per step. Reading the live store in between never waits.
    landed = _landed_id(bike_serial, start)
    if landed is None:
        with closing(store.connect_reader(current_app.config["LIVE_DB_PATH"])) as live:
            ride = store.get_ride(live, bike_serial, started_at)
            found = ride is not None and ride["status"] == "ended"
            rows = store.get_readings(live, bike_serial, started_at) if found else []
            alerts_count = queries.count_alerts(live, bike_serial, started_at) if rows else 0
        if rows:
            landed = _land(ride, start, readings_frame(rows), alerts_count)
        elif not found:
            log.info("close_ride: nothing to land for %s %s", bike_serial, started_at)
            db.session.rollback()
            return None
    db.session.rollback()  # end the check's transaction (a no-op after the landing's commit)
    # The warehouse's commit is the mark that the ride landed: the consumer reads it and forgets the
    # ride in its next batch (app/stream/landed.py); an ended ride without readings it just forgets.
    # Was it the last ride in progress of a provisional daily report? Then its final rebuild is due.
    # (On a retry this catches up a first run that stopped short of it.)
    report_final.after_closeout(start)
    return landed


def _landed_id(bike_serial: str, started_at) -> int | None:
    """The warehouse's ride_id of this ride if it has landed already."""
    connection = db.session.connection()
    return connection.execute(_statements(connection.dialect.name).landed,
                              {"key_serial": bike_serial, "key_started": started_at}).scalar()


def _land(ride: dict, started_at, readings: pd.DataFrame, alerts_count: int) -> int:
    """Upsert the rider, insert the ride and its readings, link its alerts: one transaction."""
    rider = parse_rider(ride["rider"])
    config = current_app.config
    figures = ride_figures(readings, rider, started_at, config["DELOTON_TZ"], ride["hr_formula"],
                           config["HR_REST_BPM"], alerts_count)
    try:
        connection = db.session.connection()
        statements = _statements(connection.dialect.name)
        connection.execute(_upsert_rider(connection.dialect.name, tuple(rider)),
                           {**rider, "details_from_ride_at": started_at, "updated_at": utcnow()})
        ride_id = connection.execute(statements.insert_ride, {
            **figures, "user_id": rider["user_id"], "bike_serial": ride["bike_serial"],
            "started_at": started_at}).scalar()
        key = {"key_serial": ride["bike_serial"], "key_started": started_at}
        if ride_id is not None:  # inserted now: its readings land in the same transaction
            _load_readings(connection, ride_id, readings)
        else:  # landed by an earlier run since the check
            ride_id = connection.execute(statements.landed, key).scalar_one()
        connection.execute(statements.link_alerts, {**key, "landed_ride_id": ride_id})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return ride_id


class _Statements(NamedTuple):
    """The closeout's statements, built once per process: SQLAlchemy then reuses their compiled
    form, where a statement built per ride costs more CPU to build than to run."""

    landed: sa.Select
    insert_ride: sa.Insert
    link_alerts: sa.Update


@functools.cache
def _statements(dialect: str) -> _Statements:
    """The statements for a warehouse of this dialect (key_serial, key_started: the ride's key)."""
    rides, alerts = Ride.__table__, HrAlert.__table__
    serial = sa.bindparam("key_serial", type_=rides.c.bike_serial.type)
    started = sa.bindparam("key_started", type_=rides.c.started_at.type)
    landed = sa.select(rides.c.ride_id).where(rides.c.bike_serial == serial, rides.c.started_at == started)
    insert_ride = (dialect_insert(rides, dialect).on_conflict_do_nothing(index_elements=["bike_serial", "started_at"])
                   .returning(rides.c.ride_id))
    link_alerts = (sa.update(alerts).where(alerts.c.bike_serial == serial, alerts.c.ride_started_at == started)
                   .values(ride_id=sa.bindparam("landed_ride_id")))
    return _Statements(landed, insert_ride, link_alerts)


@functools.lru_cache(maxsize=8)
def _upsert_rider(dialect: str, columns: tuple[str, ...]) -> sa.Insert:
    """Insert the rider, or update them unless a later ride already gave their details (columns:
    the rider's fields; details_from_ride_at and updated_at come with them)."""
    users = User.__table__
    statement = dialect_insert(users, dialect)
    newer = sa.or_(users.c.details_from_ride_at.is_(None),
                   users.c.details_from_ride_at <= statement.excluded.details_from_ride_at)
    changes = {key: statement.excluded[key] for key in (*columns, "details_from_ride_at", "updated_at")
               if key != "user_id"}
    return statement.on_conflict_do_update(index_elements=["user_id"], set_=changes, where=newer)


def _load_readings(connection, ride_id: int, readings: pd.DataFrame) -> None:
    """Load the ride's readings: COPY on PostgreSQL, a batched insert elsewhere."""
    if connection.dialect.name == "postgresql":
        copy_readings(connection.connection.driver_connection, ride_id, readings)
        return
    columns = [readings[c].dt.to_pydatetime().tolist() if c == "recorded_at" else readings[c].tolist()
               for c in READING_COLUMNS]
    names = ["ride_id", *READING_COLUMNS]
    connection.execute(sa.insert(RideReading.__table__),
                       [dict(zip(names, row)) for row in zip(itertools.repeat(ride_id), *columns)])


def copy_readings(driver_connection, ride_id: int, readings: pd.DataFrame) -> None:
    """COPY one ride's readings into ride_readings (binary) through a psycopg 3 connection."""
    with driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY ride_readings ({', '.join(COPY_COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(binary_copy(ride_id, readings))


def binary_copy(ride_id: int, readings: pd.DataFrame) -> bytes:
    """The ride's readings in PostgreSQL's binary COPY format, built by numpy in one buffer: less CPU
    than psycopg's write_row, row by row."""
    for name in ("duration_s", "heart_rate", "rpm", "resistance"):  # numpy would wrap: refuse instead
        column, bounds = readings[name].to_numpy(), np.iinfo(COPY_FIELDS[name])
        if len(column) and not (bounds.min <= column.min() and column.max() <= bounds.max):
            raise ValueError(f"a reading's {name} is out of the warehouse's range: {column.min()}..{column.max()}")
    rows = np.zeros(len(readings), dtype=COPY_ROW)
    rows["fields"] = len(COPY_COLUMNS)
    for name, kind in COPY_FIELDS.items():
        rows[f"size_{name}"] = np.dtype(kind).itemsize
    rows["ride_id"] = ride_id
    for name in ("duration_s", "heart_rate", "rpm", "power", "resistance"):
        rows[name] = readings[name].to_numpy()
    # Microseconds since PostgreSQL's epoch (2000-01-01 UTC), from the column's UTC datetime64 values.
    since_epoch = readings["recorded_at"].dt.tz_convert(None).to_numpy() - np.datetime64(PG_EPOCH_NAIVE)
    rows["recorded_at"] = since_epoch // np.timedelta64(1, "us")
    return COPY_HEADER + rows.tobytes() + COPY_TRAILER
