"""Finished rides from the warehouse: a bike's and a rider's recent rides and personal bests."""
from app.extensions import db
from app.models import Ride, RideReading

RECENT_LIMIT = 5
BESTS = (("Longest ride", Ride.duration_s, "duration"),
         ("Highest average power", Ride.avg_power, "watts"),
         ("Most energy", Ride.energy_kj, "kj"))


def recent_rides_of_bike(bike_serial: str, limit: int = RECENT_LIMIT) -> list[Ride]:
    """The bike's latest finished rides, newest first."""
    query = (db.select(Ride).where(Ride.bike_serial == bike_serial)
             .order_by(Ride.started_at.desc()).limit(limit))
    return list(db.session.scalars(query))


def recent_rides_of_rider(user_id: int, limit: int = RECENT_LIMIT) -> list[Ride]:
    """The rider's latest finished rides on any bike, newest first."""
    query = (db.select(Ride).where(Ride.user_id == user_id)
             .order_by(Ride.started_at.desc()).limit(limit))
    return list(db.session.scalars(query))


def personal_bests(user_id: int) -> list[dict]:
    """The rider's longest ride, highest average power and most energy, with the ride of each."""
    bests = []
    for label, column, unit in BESTS:
        ride = db.session.scalars(db.select(Ride).where(Ride.user_id == user_id)
                                  .order_by(column.desc(), Ride.started_at.desc()).limit(1)).first()
        if ride is not None:
            bests.append({"label": label, "value": getattr(ride, column.key), "unit": unit,
                          "ride": ride})
    return bests


def ride_series(ride_id: int) -> dict | None:
    """A finished ride's readings for its small chart, or None when the ride is unknown."""
    ride = db.session.get(Ride, ride_id)
    if ride is None:
        return None
    rows = db.session.execute(
        db.select(RideReading.duration_s, RideReading.heart_rate, RideReading.power, RideReading.rpm)
        .where(RideReading.ride_id == ride_id).order_by(RideReading.duration_s)).all()
    return {"started_at": ride.started_at.isoformat(), "limit": ride.hr_limit_bpm,
            "points": [[d, hr or None, p, rpm] for d, hr, p, rpm in rows]}
