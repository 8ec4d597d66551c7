"""Reading the warehouse rows a report needs into pandas frames (the only SQL of the report)."""
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from app.extensions import db
from app.models import HrAlert, Ride, User
from app.services.report.figures import ZONES

RIDE_COLUMNS = [Ride.ride_id, Ride.user_id, Ride.bike_serial, Ride.started_at, Ride.duration_s,
                Ride.energy_kj, Ride.calories_kcal, Ride.avg_heart_rate, Ride.hr_readings_count, Ride.max_power, Ride.age_band,
                *(getattr(Ride, zone) for zone in ZONES), User.gender, User.first_name, User.last_name]


def load_rides(start: datetime, end: datetime) -> pd.DataFrame:
    """Rides started in [start, end) with their rider's gender and name."""
    query = (sa.select(*RIDE_COLUMNS).join(User, User.user_id == Ride.user_id)
             .where(Ride.started_at >= start, Ride.started_at < end).order_by(Ride.started_at))
    rows = db.session.execute(query).all()
    frame = pd.DataFrame(rows, columns=[column.key for column in RIDE_COLUMNS])
    frame["started_at"] = pd.to_datetime(frame["started_at"], utc=True)
    return frame


def load_alert_times(start: datetime, end: datetime) -> pd.Series:
    """When each heart-rate alert raised in [start, end) was raised."""
    query = sa.select(HrAlert.raised_at).where(HrAlert.raised_at >= start, HrAlert.raised_at < end)
    return pd.Series(pd.to_datetime(db.session.scalars(query).all(), utc=True), dtype="datetime64[ns, UTC]")


def load_first_rides(start: datetime, end: datetime) -> pd.Series:
    """The first ride ever (started_at) of each rider who rode in [start, end), indexed by user_id."""
    riders = sa.select(Ride.user_id).where(Ride.started_at >= start, Ride.started_at < end).distinct()
    query = (sa.select(Ride.user_id, sa.func.min(Ride.started_at))
             .where(Ride.user_id.in_(riders)).group_by(Ride.user_id))
    rows = db.session.execute(query).all()
    times = pd.to_datetime([row[1] for row in rows], utc=True)
    return pd.Series(times, index=[row[0] for row in rows], dtype="datetime64[ns, UTC]")
