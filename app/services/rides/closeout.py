"""Closing a ride out: from the live store into the warehouse in one transaction. The job only reads
the live store; the consumer, its only writer, forgets the ride once the warehouse holds it."""
import logging
from contextlib import closing

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
# PostgreSQL types of ride_readings' columns, in COPY order (binary COPY needs them).
COPY_TYPES = ["int8", "int4", "timestamptz", "int2", "int2", "float8", "int2"]


def close_ride(bike_serial: str, started_at: str) -> int | None:
    """Land an ended ride (started_at in the live store's text form); its ride_id, or None. Run
    again (a retry after a crash), it finds the ride landed and changes nothing."""
    landed = _landed_id(bike_serial, store.from_text(started_at))
    if landed is not None:
        report_final.after_closeout(store.from_text(started_at))  # in case the first run stopped short of it
        return landed
    with closing(store.connect_reader(current_app.config["LIVE_DB_PATH"])) as live:
        ride = store.get_ride(live, bike_serial, started_at)
        if ride is None or ride["status"] != "ended":
            log.info("close_ride: nothing to land for %s %s", bike_serial, started_at)
            return None
        rows = store.get_readings(live, bike_serial, started_at)
        alerts_count = queries.count_alerts(live, bike_serial, started_at)
    if not rows:  # nothing to land: the consumer forgets an ended ride without readings
        report_final.after_closeout(store.from_text(started_at))
        return None
    ride_id = _land(ride, readings_frame(rows), alerts_count)
    # The warehouse's commit is the mark that the ride landed: the consumer reads it and forgets the
    # ride in its next batch (app/stream/landed.py). Was it the last ride in progress of a provisional daily report? Then its final rebuild is due.
    report_final.after_closeout(store.from_text(started_at))
    return ride_id


def _landed_id(bike_serial: str, started_at) -> int | None:
    """The warehouse's ride_id of this ride if it has landed already."""
    ride_id = db.session.scalar(sa.select(Ride.ride_id).where(Ride.bike_serial == bike_serial,
                                                              Ride.started_at == started_at))
    db.session.rollback()  # end the read's transaction: the job may wait a while before the next
    return ride_id


def _land(ride: dict, readings: pd.DataFrame, alerts_count: int) -> int:
    """Upsert the rider, insert the ride and its readings, link its alerts: one transaction."""
    started_at = store.from_text(ride["started_at"])
    rider = parse_rider(ride["rider"])
    config = current_app.config
    figures = ride_figures(readings, rider, started_at, config["DELOTON_TZ"], ride["hr_formula"],
                           config["HR_REST_BPM"], alerts_count)
    try:
        _upsert_rider(rider, started_at)
        ride_id, created = _insert_ride(figures, rider["user_id"], ride["bike_serial"], started_at)
        if created:  # an existing ride landed with its readings in the same transaction
            _load_readings(ride_id, readings)
        db.session.execute(sa.update(HrAlert)
                           .where(HrAlert.bike_serial == ride["bike_serial"],
                                  HrAlert.ride_started_at == started_at)
                           .values(ride_id=ride_id))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return ride_id


def _upsert_rider(rider: dict, started_at) -> None:
    """Insert the rider, or update them unless a later ride already gave their details."""
    values = {**rider, "details_from_ride_at": started_at, "updated_at": utcnow()}
    statement = dialect_insert(User).values(**values)
    newer = sa.or_(User.details_from_ride_at.is_(None),
                   User.details_from_ride_at <= statement.excluded.details_from_ride_at)
    changes = {key: statement.excluded[key] for key in values if key != "user_id"}
    db.session.execute(statement.on_conflict_do_update(index_elements=["user_id"], set_=changes,
                                                       where=newer))


def _insert_ride(figures: dict, user_id: int, bike_serial: str, started_at) -> tuple[int, bool]:
    """Insert the ride unless it is there already: (ride_id, whether it was inserted now)."""
    statement = (dialect_insert(Ride)
                 .values(**figures, user_id=user_id, bike_serial=bike_serial, started_at=started_at)
                 .on_conflict_do_nothing(index_elements=["bike_serial", "started_at"])
                 .returning(Ride.ride_id))
    ride_id = db.session.execute(statement).scalar()
    if ride_id is not None:
        return ride_id, True
    existing = db.session.execute(sa.select(Ride.ride_id).where(
        Ride.bike_serial == bike_serial, Ride.started_at == started_at)).scalar_one()
    return existing, False


def _load_readings(ride_id: int, readings: pd.DataFrame) -> None:
    """Load the ride's readings: COPY on PostgreSQL, a batched insert elsewhere."""
    frame = readings[READING_COLUMNS].assign(ride_id=ride_id)
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        copy_readings(connection.connection.driver_connection, frame)
    else:
        db.session.execute(sa.insert(RideReading), frame.to_dict("records"))


def copy_readings(driver_connection, frame: pd.DataFrame) -> None:
    """COPY a frame of readings into ride_readings (binary) through a psycopg 3 connection."""
    columns = ["ride_id", *READING_COLUMNS]
    # Binary COPY skips formatting every value as text: about 4x faster than CSV for a ride.
    rows = zip(*(frame[c].dt.to_pydatetime().tolist() if c == "recorded_at" else frame[c].tolist()
                 for c in columns))
    with driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY ride_readings ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(COPY_TYPES)
            for row in rows:
                copy.write_row(row)

