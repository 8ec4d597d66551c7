"""The analytics schema Tableau reads: its views, and a role that can read only them."""
import uuid
from datetime import datetime, timedelta, timezone

import psycopg
import pytest
from psycopg import errors

from app.extensions import db
from app.services.rides import closeout, leaderboards
from tests.conftest import PG_ADMIN_DSN
from tests.factories import RIDER, put_ride, reading

START = datetime(2022, 7, 6, 23, 29, 35, tzinfo=timezone.utc)
VIEWS = {"rides", "riders", "dates", "daily_summary", "leaderboard_rides_completed",
         "leaderboard_total_energy", "leaderboard_total_riding_time", "leaderboard_avg_heart_rate",
         "leaderboard_longest_ride", "leaderboard_highest_power", "leaderboard_avg_power",
         "leaderboard_avg_cadence", "ride_resistance", "leaderboard_avg_resistance",
         "leaderboard_high_resistance_time"}


@pytest.fixture
def landed(app):
    """Two rides of one rider landed in the warehouse; the second with 4 s at resistance 170."""
    live = app.config["LIVE_DB_PATH"]
    for bike, offset, hr in (("SN0000", 0, 120), ("SN0001", 3, 140)):
        start = START + timedelta(hours=offset)
        readings = [reading(d, start, heart_rate=hr, resistance=170 if offset and d <= 4 else 30)
                    for d in range(1, 11)]
        key = put_ride(live, bike, start, RIDER, readings)
        with app.app_context():
            closeout.close_ride(bike, key)
    return app


@pytest.fixture
def tableau(app):
    """A login in deloton_analytics, as docs/tableau.md tells the operator to make: its DSN."""
    name, password = f"tableau_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}' IN ROLE deloton_analytics")
    database = app.config["SQLALCHEMY_DATABASE_URI"].rsplit("/", 1)[1]
    base = PG_ADMIN_DSN.split("@", 1)[1].rsplit("/", 1)[0]
    yield f"postgresql://{name}:{password}@{base}/{database}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f"DROP ROLE {name}")


def analytics_views(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(db.text(
            "SELECT table_name FROM information_schema.views WHERE table_schema = 'analytics'")))


def test_the_views_tableau_needs_exist_without_contact_details(landed):
    assert analytics_views(landed) == VIEWS
    with landed.app_context():
        columns = set(db.session.scalars(db.text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'analytics'")))
        rows = db.session.execute(db.text(
            "SELECT rider_name, gender, age_band, postcode_area, local_date, local_hour "
            "FROM analytics.rides ORDER BY started_at")).all()
        board = db.session.execute(db.text(
            "SELECT ride_date, rides_completed FROM analytics.leaderboard_rides_completed")).all()
        top_hr = db.session.execute(db.text(
            "SELECT avg_heart_rate FROM analytics.leaderboard_avg_heart_rate LIMIT 1")).scalar()
    assert not columns & {"email", "address_line1", "address_line2", "postcode", "last_name"}
    # 23:29 UTC in July is 00:29 the next day in London.
    assert [tuple(map(str, row)) for row in rows] == [
        ("Steven P.", "male", "35-44", "E", "2022-07-07", "0"),
        ("Steven P.", "male", "35-44", "E", "2022-07-07", "3")]
    assert [(str(day), count) for day, count in board] == [("2022-07-07", 2)]
    assert top_hr == 140


def test_resistance_views_agree_with_the_leaderboards(landed):
    with landed.app_context():
        rides = db.session.execute(db.text(
            "SELECT high_resistance_s, high_resistance_pct, max_resistance FROM analytics.ride_resistance "
            "ORDER BY started_at")).all()
        board = db.session.execute(db.text(
            "SELECT rider_name, high_resistance_s FROM analytics.leaderboard_high_resistance_time")).all()
        top = db.session.execute(db.text(
            "SELECT avg_resistance FROM analytics.leaderboard_avg_resistance LIMIT 1")).scalar()
        service = leaderboards.leaderboard("high_resistance_time")
    assert [(s, float(pct), mx) for s, pct, mx in rides] == [(0, 0.0, 30), (4, 40.0, 170)]
    assert board == [("Steven P.", 4)] and service[0]["value"] == 4
    assert top == (4 * 170 + 6 * 30) / 10


def test_the_tableau_role_reads_every_analytics_view_and_nothing_else(landed, tableau):
    with psycopg.connect(tableau, autocommit=True) as conn:
        for view in sorted(VIEWS):
            assert conn.execute(f"SELECT * FROM analytics.{view}").fetchall()
            assert not conn.execute("SELECT has_table_privilege(%s, 'INSERT, UPDATE, DELETE, TRUNCATE')",
                                    (f"analytics.{view}",)).fetchone()[0]
        for table in ("users", "rides", "ride_readings", "hr_alerts", "api_keys"):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(f"SELECT * FROM public.{table}")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("DELETE FROM public.rides")
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("CREATE VIEW analytics.mine AS SELECT 1")


def test_a_view_added_later_is_readable_by_the_tableau_role(landed, tableau):
    with landed.app_context():
        db.session.execute(db.text("CREATE VIEW analytics.rides_per_bike AS "
                                   "SELECT bike_serial, count(*) AS rides FROM rides GROUP BY 1"))
        db.session.commit()
    try:
        with psycopg.connect(tableau, autocommit=True) as conn:
            assert conn.execute("SELECT rides FROM analytics.rides_per_bike ORDER BY 1").fetchall() == [(1,), (1,)]
    finally:
        with landed.app_context():
            db.session.execute(db.text("DROP VIEW analytics.rides_per_bike"))
            db.session.commit()
