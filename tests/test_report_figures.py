"""The report's figures on fixture days landed by the real closeout code: every number, every edge."""
from datetime import date, datetime, timezone

import pandas as pd
import pytest

from app.services.report import build as reports
from app.services.report.figures import latest_report_date, report_dates, report_window
from tests.factories import ALEX, JANE, OMAR, RIDER, add_alerts, at, land, land_march_day

LONDON = "Europe/London"


def figures_of(report: dict) -> dict:
    return {row["key"]: row for row in report["figures"]}


def test_every_figure_of_a_fixture_day_against_the_previous_day_and_the_week(app):
    land_march_day(app)
    with app.app_context():
        report = reports.compose(date(2026, 3, 10))
    figures = figures_of(report)
    today = {key: row["value"] for key, row in figures.items()}
    # The rides at 16:45:00 on the 9th and at 16:44:59 on the 10th are in; 16:45:00 on the 10th is not.
    assert today == {"rides": 5, "riders": 4, "new_riders": 2, "riding_time_s": 240, "avg_ride_s": 48,
                     "energy_kj": 41, "calories_kcal": pytest.approx(41 / (4.184 * 0.24), abs=0.01),
                     # Weighted by hr readings: Alex's ride had no hand contact and counts for nothing.
                     "avg_heart_rate": pytest.approx((60 * 120 + 120 * 150 + 20 * 120 + 30 * 120) / 230, abs=0.01),
                     "alerts": 6, "max_power": 300, "longest_ride_s": 120, "busiest_hour_rides": 2}
    assert {key: row["previous"] for key, row in figures.items() if key in ("rides", "riding_time_s", "new_riders")} \
        == {"rides": 1, "riding_time_s": 30, "new_riders": 1}
    # 7-day average: the 7 windows before, days without rides counting as zero rides.
    assert figures["rides"]["week_avg"] == pytest.approx(2 / 7, abs=0.01)
    assert figures["avg_ride_s"]["week_avg"] == 60  # the mean of the days that had rides: 30 s and 90 s
    # The tone is the news by the figure's meaning: more rides good, shorter rides and more alerts bad.
    assert figures["rides"]["vs_previous"] == {"delta": 4.0, "pct": 400.0, "direction": "up", "tone": "good"}
    assert figures["avg_ride_s"]["vs_week"] == {"delta": -12.0, "pct": -20.0, "direction": "down", "tone": "bad"}
    assert figures["alerts"]["vs_previous"] == {"delta": 6.0, "pct": None, "direction": "up", "tone": "bad"}
    assert figures["avg_heart_rate"]["vs_previous"]["tone"] == "neutral"  # up, but neither good nor bad
    assert report["busiest_hour"] == {"label": "18:00–19:00", "rides": 2}
    assert report["highest_power"]["rider"] == "Steven Pearce" and report["longest_ride"]["rider"] == "Jane Doe"
    assert [(r["rider"], r["rides"], r["energy_kj"]) for r in report["top_riders"]] == [
        ("Jane Doe", 1, 24.0), ("Steven Pearce", 2, 15.0), ("Omar Said", 1, 1.0), ("Alex Kim", 1, 1.0)]
    assert report["warning"] is True


def test_the_summary_is_written_from_the_days_figures(app):
    land_march_day(app)
    with app.app_context():
        summary = reports.compose(date(2026, 3, 10))["summary"]
        quiet = reports.compose(date(2026, 3, 9))["summary"]
    assert summary[0] == "5 rides by 4 riders (2 new), 4.0 min of riding in all."
    assert "Total energy rose 1267 % on the previous day (3.0 kJ to 41.0 kJ)." in summary
    assert "The busiest hour was 18:00–19:00 with 2 rides started." in summary
    assert "Top rider: Jane Doe, 24.0 kJ over 1 ride." in summary
    assert summary[-1].startswith("Needs attention: 6 heart-rate alerts were raised")
    assert quiet[0] == "1 ride by 1 rider (1 new), 0.5 min of riding in all."
    assert quiet[-1] == "No heart-rate alerts were raised."


def test_a_day_with_no_rides_says_so(app):
    with app.app_context():
        report = reports.compose(date(2026, 1, 10))
    assert report["empty"] and report["charts"] == [] and report["busiest_hour"] is None
    assert report["summary"][0] == ("No rides were recorded between Fri 09 Jan 2026 16:45 GMT and "
                                    "Sat 10 Jan 2026 16:45 GMT.")
    assert figures_of(report)["rides"]["value"] == 0 and figures_of(report)["avg_ride_s"]["value"] is None


def test_a_window_across_the_spring_clock_change_is_23_hours(app):
    # 2026-03-29: clocks go forward at 01:00 GMT. The window is 28th 16:45 GMT to 29th 16:45 BST (15:45Z).
    land(app, "SN0001", at("2026-03-28 16:44:59"), RIDER, 10)   # previous report
    land(app, "SN0002", at("2026-03-28 16:45:00"), JANE, 20)    # first instant
    land(app, "SN0003", at("2026-03-29 01:30:00"), OMAR, 30)    # 02:30 BST
    land(app, "SN0004", at("2026-03-29 15:44:59"), ALEX, 40)    # 16:44:59 BST: last second
    land(app, "SN0005", at("2026-03-29 15:45:00"), ALEX, 50)    # 16:45 BST: the next report
    add_alerts(app, at("2026-03-28 16:44:59"), at("2026-03-28 16:45:00"), at("2026-03-29 15:45:00"))
    with app.app_context():
        report = reports.compose(date(2026, 3, 29))
    start, end = report["window"]
    assert (end.astimezone(timezone.utc) - start).total_seconds() == 23 * 3600
    figures = figures_of(report)
    assert (figures["rides"]["value"], figures["riding_time_s"]["value"], figures["alerts"]["value"]) == (3, 90, 1)
    assert figures["rides"]["previous"] == 1
    assert report["summary"][0].startswith("3 rides") and "GMT and Sun 29 Mar 2026 16:45 BST" in report["window_label"]


def test_a_window_across_the_autumn_clock_change_is_25_hours(app):
    # 2026-10-25: clocks go back at 02:00 BST. The window is 24th 16:45 BST (15:45Z) to 25th 16:45 GMT.
    land(app, "SN0001", at("2026-10-24 15:44:59"), RIDER, 10)   # previous report
    land(app, "SN0002", at("2026-10-24 15:45:00"), JANE, 20)
    land(app, "SN0003", at("2026-10-25 00:30:00"), OMAR, 30)    # 01:30 BST
    land(app, "SN0006", at("2026-10-25 01:30:00"), OMAR, 30)    # 01:30 GMT, the repeated hour
    land(app, "SN0004", at("2026-10-25 16:44:59"), ALEX, 40)
    land(app, "SN0005", at("2026-10-25 16:45:00"), ALEX, 50)
    with app.app_context():
        report = reports.compose(date(2026, 10, 25))
    start, end = report["window"]
    assert (end.astimezone(timezone.utc) - start).total_seconds() == 25 * 3600
    assert figures_of(report)["rides"]["value"] == 4
    # Both 01:30s fall in the local hour 01:00, which the clock shows twice.
    assert report["busiest_hour"] == {"label": "01:00–02:00", "rides": 2}


@pytest.mark.parametrize("moment, expected", [
    ("2026-03-29 15:44:59", date(2026, 3, 29)), ("2026-03-29 15:45:00", date(2026, 3, 30)),
    ("2026-03-28 16:45:00", date(2026, 3, 29)), ("2026-10-25 16:44:59", date(2026, 10, 25)),
    ("2026-10-25 16:45:00", date(2026, 10, 26)), ("2026-10-24 15:45:00", date(2026, 10, 25))])
def test_report_dates_put_each_time_in_its_window(moment, expected):
    when = at(moment)
    [found] = report_dates(pd.Series([when]), LONDON)
    start, end = report_window(expected, LONDON)
    assert found == expected and start <= when < end


def test_the_default_report_is_the_latest_window_that_has_closed():
    assert latest_report_date(datetime(2026, 6, 1, 15, 44, 59, tzinfo=timezone.utc), LONDON) == date(2026, 5, 31)
    assert latest_report_date(datetime(2026, 6, 1, 15, 45, tzinfo=timezone.utc), LONDON) == date(2026, 6, 1)
