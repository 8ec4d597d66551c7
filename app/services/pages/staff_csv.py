"""The staff tables as CSV: the page's query with its filters and sort, every row (no paging)."""
from collections.abc import Iterator

from app.extensions import db
from app.services.pages.staff import with_rider_names

BATCH = 500  # rows fetched at a time: a long export never holds the whole table in memory

RIDE_HEADER = ["ride_id", "started_at", "rider", "user_id", "gender", "bike_serial", "duration_s",
               "avg_heart_rate", "avg_power_w", "energy_kj", "alerts"]
RIDER_HEADER = ["user_id", "name", "gender", "date_of_birth", "city", "email", "rides", "last_ride_at"]
ALERT_HEADER = ["alert_id", "raised_at", "rider", "user_id", "bike_serial", "heart_rate", "hr_limit_bpm",
                "email_status", "recipient", "ride_id", "acknowledged_by", "acknowledged_at",
                "acknowledgement_note"]


def _iso(moment) -> str | None:
    """An aware time as ISO 8601 with its offset (UTC), or None."""
    return moment.isoformat() if moment is not None else None


def _batches(query) -> Iterator[list]:
    """The query's rows, a batch at a time."""
    yield from db.session.execute(query.execution_options(yield_per=BATCH)).partitions()


def ride_rows(query) -> Iterator[list]:
    """One list of cells per ride of rides_query."""
    for batch in _batches(query):
        for ride, name, gender in batch:
            yield [ride.ride_id, _iso(ride.started_at), name, ride.user_id, gender, ride.bike_serial,
                   ride.duration_s, ride.avg_heart_rate, ride.avg_power, ride.energy_kj, ride.alerts_count]


def rider_rows(query) -> Iterator[list]:
    """One list of cells per rider of riders_query."""
    for batch in _batches(query):
        for user, rides, last_ride_at, _last_ride_id in batch:
            yield [user.user_id, user.name, user.gender, user.date_of_birth, user.city, user.email,
                   rides or 0, _iso(last_ride_at)]


def alert_rows(query) -> Iterator[list]:
    """One list of cells per alert of alerts_query, riders of rides in progress named too."""
    for batch in _batches(query):
        for alert, name, acknowledged_by in with_rider_names(batch):
            yield [alert.alert_id, _iso(alert.raised_at), name, alert.user_id, alert.bike_serial,
                   alert.heart_rate, alert.hr_limit_bpm, alert.status, alert.recipient, alert.ride_id,
                   acknowledged_by, _iso(alert.acknowledged_at), alert.acknowledgement_note]
