"""Leaderboards over the warehouse: portable SQLAlchemy (SQLite and PostgreSQL), shared with the API."""
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Ride, RideReading, User


@dataclass(frozen=True)
class Period:
    """A leaderboard period: its name on the staff pages and in the API, its label, its length."""

    key: str                # the staff pages' ?period= (and the services')
    api_name: str           # the API's ?period=
    label: str
    days_before: int | None  # the period starts this many days before today; None: all time


# Every leaderboard period, said once: the API, the staff pages and the services read it.
PERIODS = {period.key: period for period in (Period("today", "day", "Today", 0),
                                            Period("7d", "week", "Last 7 days", 6),
                                            Period("30d", "month", "Last 30 days", 29),
                                            Period("all", "all", "All time", None))}
API_PERIODS = {period.api_name: period.key for period in PERIODS.values()}

# Resistance at or above this is "high": the top setting seen in the recordings of the bikes
# (151 and 170, tests/data); the analytics views (migration 0006) use the same threshold.
HIGH_RESISTANCE = 150


def _weighted(column) -> sa.ColumnElement:
    """A rider's mean of a per-ride mean, weighted by each ride's readings (a mean over seconds)."""
    return sa.func.sum(column * Ride.readings_count) / sa.func.nullif(sa.func.sum(Ride.readings_count), 0)


def _high_resistance_seconds() -> sa.ColumnElement:
    """A ride's seconds at high resistance (one reading a second), counted from its readings."""
    return (sa.select(sa.func.count()).select_from(RideReading)
            .where(RideReading.ride_id == Ride.ride_id, RideReading.resistance >= HIGH_RESISTANCE)
            .scalar_subquery())


@dataclass(frozen=True)
class Metric:
    """One leaderboard: a per-rider aggregate or a per-ride figure, and how to show it."""

    label: str
    per: str  # "rider" or "ride"
    unit: str
    expression: object
    above_zero: bool = False  # leave out riders whose value is 0 (nobody is "top" with none)


METRICS = {
    "rides": Metric("Rides completed", "rider", "rides", sa.func.count(Ride.ride_id)),
    "total_energy": Metric("Total energy", "rider", "kJ", sa.func.sum(Ride.energy_kj)),
    "total_time": Metric("Total riding time", "rider", "s", sa.func.sum(Ride.duration_s)),
    "avg_power": Metric("Average power", "rider", "W", _weighted(Ride.avg_power)),
    "avg_cadence": Metric("Average cadence", "rider", "rpm", _weighted(Ride.avg_rpm)),
    "avg_resistance": Metric("Average resistance", "rider", "", _weighted(Ride.avg_resistance)),
    "high_resistance_time": Metric(f"Time at high resistance ({HIGH_RESISTANCE} or more)", "rider", "s",
                                   sa.func.sum(_high_resistance_seconds()), above_zero=True),
    "max_avg_hr": Metric("Highest average heart rate in a ride", "ride", "bpm", Ride.avg_heart_rate),
    "longest_ride": Metric("Longest ride", "ride", "s", Ride.duration_s),
    "max_power": Metric("Highest power", "ride", "W", Ride.max_power),
}


@dataclass(frozen=True)
class Filters:
    """Who and when a leaderboard covers; None means no restriction."""

    gender: str | None = None
    age_band: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def period_filters(period: str, today: date, **others) -> Filters:
    """Filters for a named period (today, 7d, 30d, all) ending today."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    days = PERIODS[period].days_before
    return Filters(date_from=None if days is None else today - timedelta(days=days),
                   date_to=None if days is None else today, **others)


def _where(query, filters: Filters):
    """Apply the filters to a query that joins rides and users."""
    if filters.gender:
        query = query.where(User.gender == filters.gender)
    if filters.age_band:
        query = query.where(Ride.age_band == filters.age_band)
    if filters.date_from:
        query = query.where(Ride.ride_date >= filters.date_from)
    if filters.date_to:
        query = query.where(Ride.ride_date <= filters.date_to)
    return query


def leaderboard(metric: str, filters: Filters = Filters(), limit: int = 10) -> list[dict]:
    """The top riders (or rides) for a metric, best first, each with its rank and value."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {', '.join(METRICS)}")
    spec = METRICS[metric]
    value = spec.expression.label("value")
    if spec.per == "rider":
        query = (sa.select(User.user_id, User.name, value).join(Ride, Ride.user_id == User.user_id)
                 .group_by(User.user_id, User.name))
        if spec.above_zero:
            query = query.having(spec.expression > 0)
    else:
        query = (sa.select(User.user_id, User.name, value, Ride.ride_id, Ride.started_at,
                           Ride.bike_serial)
                 .join(Ride, Ride.user_id == User.user_id).where(spec.expression.is_not(None)))
    query = _where(query, filters).order_by(value.desc(), User.user_id).limit(limit)
    rows = db.session.execute(query).mappings().all()
    return [{"rank": rank, **row, "value": _number(row["value"])} for rank, row in enumerate(rows, 1)]


def _number(value) -> float | int | None:
    """A plain number (Decimal from PostgreSQL's sums becomes float)."""
    if value is None or isinstance(value, int):
        return value
    return float(value)
