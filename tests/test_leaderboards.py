"""Leaderboards: the same answers on PostgreSQL and on the embedded SQLite warehouse."""
from datetime import date, datetime, timedelta, timezone

import pytest

from app.extensions import db
from app.services.rides.leaderboards import METRICS, Filters, leaderboard, period_filters
from tests.factories import add_ride, add_user

DAY = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(params=["app", "embedded_app"])
def warehouse(request):
    """An app context on each warehouse (PostgreSQL, SQLite) with three riders' rides."""
    app = request.getfixturevalue(request.param)
    with app.app_context():
        add_user(1, "Grace Hopper")
        add_user(2, "Ada Lovelace", gender="female")
        add_user(3, "Alan Turing")
        add_ride(1, "SN1", DAY, seconds=100, hr=150, power=200.0, rpm=80)
        add_ride(1, "SN1", DAY + timedelta(hours=1), seconds=300, hr=130, power=100.0, rpm=60)
        add_ride(2, "SN2", DAY - timedelta(days=10), seconds=200, hr=160, power=250.0, rpm=90,
                 age_band="25-34")
        add_ride(3, "SN3", DAY, seconds=50, hr=170, power=400.0, rpm=100, resistance=170)
        db.session.commit()
        yield app


def names(rows):
    return [row["name"] for row in rows]


def test_rides_completed_per_rider(warehouse):
    rows = leaderboard("rides")
    assert rows[0] == {"rank": 1, "user_id": 1, "name": "Grace Hopper", "value": 2}
    assert [row["value"] for row in rows] == [2, 1, 1]


def test_rider_totals_and_weighted_averages(warehouse):
    assert leaderboard("total_energy")[0]["value"] == pytest.approx(50.0)  # Ada: 250 W * 200 s
    assert leaderboard("total_time")[0] == {"rank": 1, "user_id": 1, "name": "Grace Hopper", "value": 400}
    grace = [row for row in leaderboard("avg_power") if row["user_id"] == 1][0]
    assert grace["value"] == pytest.approx((200 * 100 + 100 * 300) / 400)  # a mean over seconds
    assert names(leaderboard("avg_cadence")) == ["Alan Turing", "Ada Lovelace", "Grace Hopper"]


def test_per_ride_boards_name_the_ride(warehouse):
    best_hr = leaderboard("max_avg_hr")[0]
    assert best_hr["name"] == "Alan Turing" and best_hr["value"] == 170 and best_hr["bike_serial"] == "SN3"
    assert leaderboard("longest_ride")[0]["value"] == 300
    assert leaderboard("max_power", limit=2)[1]["name"] == "Ada Lovelace"


def test_filters_by_gender_age_band_and_period(warehouse):
    assert names(leaderboard("rides", Filters(gender="female"))) == ["Ada Lovelace"]
    assert names(leaderboard("rides", Filters(age_band="25-34"))) == ["Ada Lovelace"]
    week = period_filters("7d", DAY.date())
    assert "Ada Lovelace" not in names(leaderboard("rides", week))
    assert week == Filters(date_from=date(2026, 11, 14), date_to=date(2026, 11, 20))
    assert names(leaderboard("rides", period_filters("today", date(2030, 1, 1)))) == []


def test_every_metric_runs_and_unknown_ones_are_refused(warehouse):
    for metric in METRICS:
        assert leaderboard(metric), metric
    with pytest.raises(ValueError, match="metric must be one of"):
        leaderboard("fastest")
    with pytest.raises(ValueError, match="period must be one of"):
        period_filters("forever", DAY.date())


def test_resistance_boards(warehouse):
    """Average resistance over all a rider's seconds; seconds at resistance 150 or more."""
    add_user(4, "Mary Jackson", gender="female")
    add_ride(4, "SN4", DAY, seconds=30, resistance=170)
    add_ride(4, "SN4", DAY + timedelta(hours=2), seconds=90, resistance=30)
    add_ride(3, "SN3", DAY + timedelta(hours=3), seconds=20, resistance=150)
    db.session.commit()
    board = leaderboard("avg_resistance")
    assert names(board) == ["Alan Turing", "Mary Jackson", "Grace Hopper", "Ada Lovelace"]
    assert board[1]["value"] == pytest.approx((170 * 30 + 30 * 90) / 120)  # a mean over seconds
    high = leaderboard("high_resistance_time")
    # 150 counts as high; riders who never reached it are not on the board.
    assert [(row["name"], row["value"]) for row in high] == [("Alan Turing", 70), ("Mary Jackson", 30)]
    assert leaderboard("high_resistance_time", Filters(gender="female")) == [
        {"rank": 1, "user_id": 4, "name": "Mary Jackson", "value": 30}]
