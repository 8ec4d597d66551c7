"""Ride figures (docs/specification.md#ride-figures) from known readings, computed by hand."""
import math
from datetime import date, datetime, timezone

import pytest

from app.domain.figures import readings_frame, ride_figures
from app.domain.rider import parse_rider

START = datetime(2022, 7, 6, 23, 29, 35, tzinfo=timezone.utc)
# Born 1978-09-04 (273715200000 ms): 43 on 2022-07-06.
RIDER = parse_rider({"user_id": 1, "name": "Ann Lee", "gender": "female", "address": "1 A St,Leeds,LS1 1AA",
                     "date_of_birth": 273715200000})


def frame(*rows):
    """Readings (duration_s, heart_rate, rpm, power, resistance), one second apart."""
    return readings_frame([(d, f"2022-07-06 23:29:{35 + d:02d}.5+00:00", hr, rpm, power, res)
                           for d, hr, rpm, power, res in rows])


def figures(readings, rider=RIDER, started_at=START, formula="tanaka", tz="Europe/London"):
    return ride_figures(readings, rider, started_at, tz, formula, 60, alerts_count=2)


def test_known_readings_give_the_hand_computed_figures():
    readings = frame((1, 0, 0, 0.0, 0), (2, 90, 50, 100.0, 20), (3, 120, 70, 200.5, 40),
                     (4, 150, 80, 300.0, 40), (5, 0, 10, 20.0, 10))
    result = figures(readings)
    limit = 208 - 0.7 * 43
    assert result["duration_s"] == 5 and result["readings_count"] == 5
    assert result["ended_at"] == datetime(2022, 7, 6, 23, 29, 40, 500000, tzinfo=timezone.utc)
    assert result["ride_date"] == date(2022, 7, 7)  # 00:29 in London
    assert result["avg_heart_rate"] == 120 and result["min_heart_rate"] == 90
    assert result["max_heart_rate"] == 150
    assert result["avg_power"] == pytest.approx(620.5 / 5) and result["max_power"] == 300.0
    assert result["avg_rpm"] == 42 and result["max_rpm"] == 80
    assert result["avg_resistance"] == 22 and result["max_resistance"] == 40
    assert result["energy_kj"] == pytest.approx(0.6205)
    assert result["calories_kcal"] == pytest.approx(0.6205 / (4.184 * 0.24))
    assert result["age_years"] == 43 and result["age_band"] == "35-44"
    assert result["hr_limit_bpm"] == pytest.approx(limit) and result["hr_formula"] == "tanaka"
    # 90/177.9 = 0.51 -> z1, 120/177.9 = 0.67 -> z2, 150/177.9 = 0.84 -> z4
    assert [result[f"hr_zone_z{i}_s"] for i in range(1, 6)] == [1, 1, 0, 1, 0]
    xs = [(hr - 60) / (limit - 60) for hr in (90, 120, 150)]
    assert result["trimp"] == pytest.approx(sum(x * 0.86 * math.exp(1.67 * x) for x in xs) / 60)
    assert result["alerts_count"] == 2


def test_a_ride_without_hand_contact_has_no_heart_rate_figures():
    result = figures(frame((1, 0, 30, 50.0, 10), (2, 0, 30, 50.0, 10)))
    assert result["avg_heart_rate"] is None and result["min_heart_rate"] is None
    assert result["max_heart_rate"] == 0 and result["trimp"] == 0.0
    assert [result[f"hr_zone_z{i}_s"] for i in range(1, 6)] == [0, 0, 0, 0, 0]


def test_zone_edges_and_trimp_clamp_at_the_limit():
    rider = {**RIDER, "gender": "male", "date_of_birth": date(1982, 7, 6)}  # 40 today: limit 180
    # 108/180 = 0.6 exactly -> z2; 162/180 = 0.9 exactly -> z5; 200 above the limit -> z5, x = 1
    result = figures(frame((1, 107, 0, 0.0, 0), (2, 108, 0, 0.0, 0), (3, 162, 0, 0.0, 0),
                           (4, 200, 0, 0.0, 0)), rider=rider)
    assert result["hr_limit_bpm"] == 180
    assert [result[f"hr_zone_z{i}_s"] for i in range(1, 6)] == [1, 1, 0, 0, 2]
    xs = [(107 - 60) / 120, 48 / 120, 102 / 120, 1.0]
    assert result["trimp"] == pytest.approx(sum(x * 0.64 * math.exp(1.92 * x) for x in xs) / 60)


@pytest.mark.parametrize("born, age, band", [(date(1982, 7, 6), 40, "35-44"),
                                             (date(1982, 7, 7), 39, "35-44"),
                                             (date(2004, 7, 6), 18, "18-24"),
                                             (date(2004, 7, 7), 17, "under 18"),
                                             (date(1967, 7, 6), 55, "55+")])
def test_age_counts_the_birthday_on_the_utc_date_of_the_start(born, age, band):
    result = figures(frame((1, 100, 0, 0.0, 0)), rider={**RIDER, "date_of_birth": born})
    assert (result["age_years"], result["age_band"]) == (age, band)


@pytest.mark.parametrize("formula, gender, limit", [("fox", "male", 180), ("nes", "male", 211 - 0.64 * 40),
                                                    ("gulati", "female", 206 - 0.88 * 40),
                                                    ("gulati", "male", 180)])
def test_the_chosen_formula_gives_the_limit_and_is_stored(formula, gender, limit):
    rider = {**RIDER, "gender": gender, "date_of_birth": date(1982, 7, 6)}
    result = figures(frame((1, 100, 0, 0.0, 0)), rider=rider, formula=formula)
    assert result["hr_limit_bpm"] == pytest.approx(limit) and result["hr_formula"] == formula


def test_a_ride_without_readings_is_refused():
    with pytest.raises(ValueError):
        figures(frame())
