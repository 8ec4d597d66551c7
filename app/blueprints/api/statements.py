"""The API's SQL statements, built once with bound parameters and reused by every request.

SQLAlchemy keeps a statement's compiled form, but a statement built afresh per request pays for
its construction and for working out its cache key each time, which cost more CPU than the query's
own round trip; a statement built once (per shape of list: which filters, page or cursor) does not."""
from functools import lru_cache
from typing import Callable

import sqlalchemy as sa

from app.extensions import db
from app.models import Ride, User
from app.services.rides import queries as rides_query

PAGE_OFFSET, PAGE_LIMIT = "page_offset", "page_limit"
CURSOR_STARTED_AT, CURSOR_RIDE_ID = "cursor_started_at", "cursor_ride_id"

RIDE_CLOSED_AT = sa.select(Ride.closed_at).where(Ride.ride_id == sa.bindparam("ride_id"))
RIDER_EXISTS = sa.select(User.user_id).where(User.user_id == sa.bindparam("user_id"))
RIDER_WITH_TOTALS = rides_query.rider_with_totals(sa.bindparam("user_id"))


def _bound(names: tuple[str, ...]) -> dict:
    return {name: sa.bindparam(name) for name in names}


@lru_cache(maxsize=256)
def page(list_query: Callable[[dict], sa.Select], names: tuple[str, ...]) -> sa.Select:
    """Keys of a page by number, with the list's total (a window count) on every row.

    `list_query(filters)` builds the list from its filters; `names` are the filters given."""
    keys = list_query(_bound(names)).with_only_columns(Ride.ride_id, Ride.closed_at, Ride.started_at)
    return (keys.add_columns(db.func.count().over().label("total"))
            .offset(sa.bindparam(PAGE_OFFSET)).limit(sa.bindparam(PAGE_LIMIT)))


@lru_cache(maxsize=256)
def count(list_query: Callable[[dict], sa.Select], names: tuple[str, ...]) -> sa.Select:
    """How many rides the list holds (for a page past its end, which has no row to carry it)."""
    return db.select(db.func.count()).select_from(list_query(_bound(names)).order_by(None).subquery())


@lru_cache(maxsize=256)
def after(list_query: Callable[[dict], sa.Select], names: tuple[str, ...], newest_first: bool,
          ) -> sa.Select:
    """Keys of the page that starts after a cursor (keyset: no OFFSET, no count)."""
    keys = list_query(_bound(names)).with_only_columns(Ride.ride_id, Ride.closed_at, Ride.started_at)
    return (rides_query.after(keys, sa.bindparam(CURSOR_STARTED_AT), sa.bindparam(CURSOR_RIDE_ID),
                              newest_first).limit(sa.bindparam(PAGE_LIMIT)))
