"""Deleting a ride through the API: the ride and its readings go, its alerts stay, an audit row records it."""
import logging

import sqlalchemy as sa

from app.extensions import db
from app.models import ApiKey, HrAlert, Ride, RideDeletion, RideReading, User

log = logging.getLogger(__name__)


def delete_ride(ride_id: int, key: ApiKey) -> RideDeletion | None:
    """Delete the ride (readings cascade, alerts keep a NULL ride) and record who did it, in one
    transaction; the audit row, or None when there is no such ride."""
    try:
        ride = db.session.scalars(sa.select(Ride).where(Ride.ride_id == ride_id).with_for_update()).first()
        if ride is None:
            db.session.rollback()
            return None
        deletion = audit_row(ride, key)
        db.session.add(deletion)
        db.session.execute(sa.delete(Ride).where(Ride.ride_id == ride_id))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    log.warning("ride %s deleted by API key %r (%s...): bike %s, started %s, rider %s; %s readings deleted, "
                "%s alerts kept", deletion.ride_id, deletion.key_name, deletion.key_prefix, deletion.bike_serial,
                deletion.started_at.isoformat(), deletion.user_id, deletion.readings_deleted, deletion.alerts_kept)
    return deletion


def audit_row(ride: Ride, key: ApiKey) -> RideDeletion:
    """The audit record of deleting `ride` with `key`, with what goes and what stays."""
    readings = db.session.scalar(sa.select(sa.func.count()).where(RideReading.ride_id == ride.ride_id))
    alerts = db.session.scalar(sa.select(sa.func.count()).where(HrAlert.ride_id == ride.ride_id))
    rider = db.session.get(User, ride.user_id)
    return RideDeletion(key_id=key.key_id, key_name=key.name, key_prefix=key.key_prefix, ride_id=ride.ride_id,
                        bike_serial=ride.bike_serial, started_at=ride.started_at, ride_closed_at=ride.closed_at,
                        user_id=ride.user_id, rider_name=rider.name if rider else None,
                        readings_deleted=readings, alerts_kept=alerts)


def list_deletions():
    """A SELECT of every recorded delete, newest first (for the staff page)."""
    return sa.select(RideDeletion).order_by(RideDeletion.deleted_at.desc(), RideDeletion.deletion_id.desc())
