"""What the staff pages show: today at a glance, alerts, quarantine, rides and riders."""
import json
from datetime import date

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.live import queries, store
from app.live.db import get_live
from app.models import HrAlert, Ride, StaffUser, User
from app.services.alerts.counts import count_alerts_raised_on
from app.services.clock import local_day_bounds, today_local
from app.services.pages.live import rider_card
from app.services.pages.table_sort import Sort, apply_sort
from app.services.text_fold import contains_folded

QUARANTINE_SHOWN = 100

# The columns each table may be sorted by (the query string's sort=), and its default order.
ALERT_SORTS = {"raised": HrAlert.raised_at, "rider": User.name, "bike": HrAlert.bike_serial,
               "heart_rate": HrAlert.heart_rate, "limit": HrAlert.hr_limit_bpm,
               "status": HrAlert.status, "acknowledged": HrAlert.acknowledged_at}
ALERT_DEFAULT = Sort("raised", "desc")
RIDE_SORTS = {"started": Ride.started_at, "rider": User.name, "bike": Ride.bike_serial,
              "time": Ride.duration_s, "heart_rate": Ride.avg_heart_rate, "power": Ride.avg_power,
              "energy": Ride.energy_kj, "alerts": Ride.alerts_count}
RIDE_DEFAULT = Sort("started", "desc")
RIDER_SORTS = ("id", "name", "gender", "born", "city", "email", "rides", "last_ride")
RIDER_DEFAULT = Sort("name", "asc")


def today_summary() -> dict:
    """Rides, riders and alerts of today (DELOTON_TZ), and rides in progress right now."""
    today = today_local()
    finished = db.select(sa.func.count(Ride.ride_id), sa.func.count(sa.distinct(Ride.user_id)),
                         sa.func.coalesce(sa.func.sum(Ride.energy_kj), 0)).where(Ride.ride_date == today)
    rides, riders, energy = db.session.execute(finished).one()
    in_progress = queries.count_riding(get_live())
    return {"date": today, "rides": rides, "riders": riders, "energy_kj": float(energy),
            "alerts": count_alerts_raised_on(today), "in_progress": in_progress}


def alerts_query(day: date | None = None, status: str | None = None, sort: Sort = ALERT_DEFAULT,
                 user_id: int | None = None):
    """Alerts with the rider's name and who acknowledged them (newest first unless sorted),
    optionally of one day, one status and one rider."""
    query = (db.select(HrAlert, User.name, StaffUser.username)
             .outerjoin(User, User.user_id == HrAlert.user_id)
             .outerjoin(StaffUser, StaffUser.staff_id == HrAlert.acknowledged_by))
    query = apply_sort(query, ALERT_SORTS, sort, HrAlert.alert_id.desc())
    if user_id is not None:
        query = query.where(HrAlert.user_id == user_id)
    if day is not None:
        start, end = local_day_bounds(day, current_app.config["DELOTON_TZ"])
        query = query.where(HrAlert.raised_at >= start, HrAlert.raised_at < end)
    if status:
        query = query.where(HrAlert.status == status)
    return query


def with_rider_names(rows) -> list[tuple]:
    """(alert, rider name, acknowledged by) rows, naming the rider of a ride still in progress from
    the live store (the warehouse learns of the rider only when the ride is closed out)."""
    named = []
    for alert, name, acknowledged_by in rows:
        if name is None:
            ride = store.get_ride(get_live(), alert.bike_serial, store.to_text(alert.ride_started_at))
            if ride is not None:
                name = rider_card(json.dumps(ride["rider"]), ride["started_at"]).get("name")
        named.append((alert, name, acknowledged_by))
    return named


def quarantine() -> tuple[list[dict], dict[str, int], int]:
    """The latest quarantined messages, the consumer's counters and how many are quarantined."""
    conn = get_live()
    rows = queries.latest_quarantined(conn, QUARANTINE_SHOWN)
    counters = dict(sorted(store.get_counters(conn).items()))
    return rows, counters, queries.count_quarantined(conn)


def rides_query(q: str = "", bike: str = "", gender: str = "", age_band: str = "",
                date_from: date | None = None, date_to: date | None = None,
                sort: Sort = RIDE_DEFAULT, user_id: int | None = None):
    """Rides (newest first unless sorted), searched by rider name or id and filtered by bike,
    gender, age, dates and rider."""
    query = db.select(Ride, User.name, User.gender).join(User, User.user_id == Ride.user_id)
    query = apply_sort(query, RIDE_SORTS, sort, Ride.ride_id.desc())
    if user_id is not None:
        query = query.where(Ride.user_id == user_id)
    if q:
        query = query.where(_rider_matches(q))
    if bike:
        query = query.where(Ride.bike_serial.icontains(bike.strip(), autoescape=True))
    if gender:
        query = query.where(User.gender == gender)
    if age_band:
        query = query.where(Ride.age_band == age_band)
    if date_from:
        query = query.where(Ride.ride_date >= date_from)
    if date_to:
        query = query.where(Ride.ride_date <= date_to)
    return query


def riders_query(q: str = "", gender: str = "", sort: Sort = RIDER_DEFAULT):
    """Riders (by name unless sorted) with their ride count and last ride, searched and filtered."""
    stats = (db.select(Ride.user_id, sa.func.count(Ride.ride_id).label("rides"),
                       sa.func.max(Ride.started_at).label("last_ride_at"))
             .group_by(Ride.user_id).subquery())
    # The id of the rider's latest ride, for the link to its page.
    last_ride_id = (db.select(Ride.ride_id).where(Ride.user_id == User.user_id)
                    .order_by(Ride.started_at.desc()).limit(1).correlate(User).scalar_subquery())
    query = (db.select(User, stats.c.rides, stats.c.last_ride_at, last_ride_id.label("last_ride_id"))
             .outerjoin(stats, stats.c.user_id == User.user_id))
    columns = dict(zip(RIDER_SORTS, (User.user_id, User.name, User.gender, User.date_of_birth,
                                     User.city, User.email, stats.c.rides, stats.c.last_ride_at)))
    query = apply_sort(query, columns, sort, User.user_id)
    if q:
        query = query.where(sa.or_(_rider_matches(q), contains_folded(User.email, q)))
    if gender:
        query = query.where(User.gender == gender)
    return query


def _rider_matches(q: str) -> sa.ColumnElement:
    """A rider whose name contains q (whatever the case and accents), or whose id is q."""
    condition = contains_folded(User.name, q.strip())
    q = q.strip()
    # ASCII digits only ("²" is a digit to str.isdigit) and within a bigint, or no id match at all.
    is_id = q.isascii() and q.isdigit() and len(q) <= 18
    return sa.or_(condition, User.user_id == int(q)) if is_id else condition


def genders() -> list[str]:
    """The genders riders gave, for the filters."""
    return [g for g in db.session.scalars(db.select(User.gender).distinct().order_by(User.gender)) if g]
