"""What a ride page shows beyond the ride and its rider (rides_query): its alerts, its zones in bpm."""
import sqlalchemy as sa

from app.domain.figures import ZONE_BOUNDS
from app.extensions import db
from app.models import HrAlert, Ride


def ride_alerts(ride: Ride) -> list[HrAlert]:
    """The ride's heart-rate alerts in order (linked by ride_id, or by bike and start before closeout linked them)."""
    same_ride = sa.or_(HrAlert.ride_id == ride.ride_id,
                       sa.and_(HrAlert.bike_serial == ride.bike_serial,
                               HrAlert.ride_started_at == ride.started_at))
    return list(db.session.scalars(db.select(HrAlert).where(same_ride).order_by(HrAlert.duration_s)))


def zones(ride: Ride) -> list[dict]:
    """Each zone's heart-rate range (from the ride's limit) and the seconds spent in it."""
    limit = ride.hr_limit_bpm
    edges = [None, *(limit * bound if limit else None for bound in ZONE_BOUNDS), None]
    total = sum(ride.hr_zone_seconds.values())
    return [{"zone": i, "low": edges[i - 1], "high": edges[i], "seconds": ride.hr_zone_seconds[f"z{i}"],
             "share": ride.hr_zone_seconds[f"z{i}"] / total if total else 0.0} for i in range(1, 6)]
