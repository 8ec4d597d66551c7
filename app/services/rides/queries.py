"""Reads of the warehouse for the API and the pages: rides, readings, riders, recent rides, bests."""
from datetime import date

from app.domain.rider import age_band, age_years
from app.extensions import db
from app.models import Ride, RideReading, User
from app.services.clock import today_local

# Columns of `users` that keep the warehouse's books rather than describe the rider.
BOOKKEEPING_COLUMNS = ("details_from_ride_at", "first_seen_at", "updated_at")
RIDER_FIELDS = tuple(column.key for column in User.__table__.columns if column.key not in BOOKKEEPING_COLUMNS)
# What any key may read about a rider; the rest (contact and body details) needs a role made for it.
PUBLIC_RIDER_FIELDS = ("user_id", "name", "gender", "age_years", "age_band", "postcode_area")


def get_ride_or_none(ride_id: int) -> Ride | None:
    """One ride by id."""
    return db.session.get(Ride, ride_id)


def ride_values(ride: Ride) -> dict:
    """A ride's columns and its zone seconds as a plain dict."""
    values = {column.key: getattr(ride, column.key) for column in Ride.__table__.columns}
    return {**values, "hr_zone_seconds": ride.hr_zone_seconds}


def ride_readings(ride_id: int) -> list[dict]:
    """The ride's readings in duration order, as plain dicts."""
    rows = db.session.scalars(db.select(RideReading).where(RideReading.ride_id == ride_id)
                              .order_by(RideReading.duration_s))
    return [{"duration_s": r.duration_s, "recorded_at": r.recorded_at, "heart_rate": r.heart_rate,
             "rpm": r.rpm, "power": r.power, "resistance": r.resistance} for r in rows]


def filtered_rides(filters: dict):
    """A SELECT of rides, newest first, narrowed by the API's filters."""
    query = db.select(Ride).order_by(Ride.started_at.desc(), Ride.ride_id.desc())
    conditions = {
        "user_id": lambda v: Ride.user_id == v,
        "bike_serial": lambda v: Ride.bike_serial == v,
        "date_from": lambda v: Ride.ride_date >= v,
        "date_to": lambda v: Ride.ride_date <= v,
        "min_duration_s": lambda v: Ride.duration_s >= v,
        "min_avg_power": lambda v: Ride.avg_power >= v,
        "min_energy_kj": lambda v: Ride.energy_kj >= v,
        "min_avg_heart_rate": lambda v: Ride.avg_heart_rate >= v,
    }
    for name, value in filters.items():
        if value is not None and name in conditions:
            query = query.where(conditions[name](value))
    return query


def rides_on(day: date):
    """A SELECT of the rides whose ride_date is `day`, oldest first."""
    return db.select(Ride).where(Ride.ride_date == day).order_by(Ride.started_at, Ride.ride_id)


def after(query, started_at, ride_id: int, newest_first: bool):
    """The rides of `query` that come after (started_at, ride_id) in its order: a keyset page.

    Written as a range on started_at plus a tie-break, so the started_at indexes serve it."""
    if newest_first:
        return query.where(Ride.started_at <= started_at,
                           db.or_(Ride.started_at < started_at, Ride.ride_id < ride_id))
    return query.where(Ride.started_at >= started_at,
                       db.or_(Ride.started_at > started_at, Ride.ride_id > ride_id))


def get_rider_or_none(user_id: int) -> User | None:
    """One rider by id."""
    return db.session.get(User, user_id)


def rider_fields(rider) -> dict:
    """The rider's stored details and their age today (`rider` a User or a row of its columns)."""
    fields = {name: getattr(rider, name) for name in RIDER_FIELDS}
    fields["age_years"] = age_years(rider.date_of_birth, today_local())
    fields["age_band"] = age_band(fields["age_years"])
    return fields


def rider_with_totals(user_id):
    """A SELECT of the rider (every column of `users`) and their totals over all their rides, one
    indexed query on `users` and `rides` whatever their history (no row for an unknown rider);
    `user_id` may be a bound parameter, so that the statement is built once.

    avg_heart_rate is over all their heart-rate readings (hr > 0): each ride keeps the mean of its
    own such readings and how many there were, so their weighted mean is the mean over every one."""
    weighted = Ride.avg_heart_rate.is_not(None)
    hr_sum = db.func.sum(Ride.avg_heart_rate * Ride.hr_readings_count).filter(weighted)
    hr_count = db.func.sum(Ride.hr_readings_count).filter(weighted)
    return (db.select(User, db.func.count(Ride.ride_id).label("rides_count"),
                      db.func.coalesce(db.func.sum(Ride.energy_kj), 0.0).label("total_energy_kj"),
                      db.func.coalesce(db.func.sum(Ride.duration_s), 0).label("total_duration_s"),
                      db.func.min(Ride.started_at).label("first_ride_at"),
                      db.func.max(Ride.started_at).label("last_ride_at"),
                      (hr_sum / db.func.nullif(hr_count, 0)).label("avg_heart_rate"))
            .outerjoin(Ride, Ride.user_id == User.user_id).where(User.user_id == user_id)
            .group_by(User.user_id))


def rider_totals(row) -> dict:
    """The totals of a row of rider_with_totals, as plain numbers and times."""
    return {"rides_count": row.rides_count, "total_energy_kj": float(row.total_energy_kj),
            "total_duration_s": int(row.total_duration_s), "first_ride_at": row.first_ride_at,
            "last_ride_at": row.last_ride_at,
            "avg_heart_rate": None if row.avg_heart_rate is None else float(row.avg_heart_rate)}


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
