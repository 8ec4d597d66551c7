"""The alert rule and the heart-rate limit formulas (docs/specification.md), on plain values."""
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.alert_rule import AlertState, advance, next_state
from app.domain.rider import age_years, formula_description, hr_limit_bpm

LIMIT = 180.0


def alerts_raised(readings, limit=LIMIT, alert_after_s=3, cooldown_s=300) -> list[int]:
    """Feed (duration_s, heart_rate) pairs; return the duration_s of every reading that raised one."""
    state, raised = AlertState(), []
    for duration_s, heart_rate in readings:
        state, alert = next_state(state, duration_s, heart_rate, limit, alert_after_s, cooldown_s)
        if alert:
            raised.append(duration_s)
    return raised


def test_a_run_of_two_seconds_above_the_limit_raises_nothing():
    assert alerts_raised([(1, 170), (2, 185), (3, 190), (4, 170)]) == []


def test_the_third_consecutive_second_above_the_limit_raises_one_alert():
    assert alerts_raised([(1, 181), (2, 185), (3, 190), (4, 195), (5, 199)]) == [3]


def test_a_heart_rate_equal_to_the_limit_does_not_exceed():
    assert alerts_raised([(1, 180), (2, 180), (3, 180)]) == []
    assert alerts_raised([(1, 181), (2, 181), (3, 181)], limit=180.4) == [3]


def test_a_heart_rate_of_zero_breaks_the_run():
    assert alerts_raised([(1, 190), (2, 190), (3, 0), (4, 190), (5, 190)]) == []
    assert alerts_raised([(1, 190), (2, 190), (3, 0), (4, 190), (5, 190), (6, 190)]) == [6]


def test_a_missing_second_breaks_the_run():
    assert alerts_raised([(1, 190), (2, 190), (4, 190), (5, 190)]) == []
    assert alerts_raised([(1, 190), (2, 190), (4, 190), (5, 190), (6, 190)]) == [6]


def test_a_second_alert_waits_for_the_cooldown():
    run_at = lambda start: [(start, 190), (start + 1, 190), (start + 2, 190), (start + 3, 150)]
    readings = run_at(10) + run_at(100) + run_at(309) + run_at(313)
    # 12 raises; the runs completing at 102 and 311 are within 300 s of it; 315 is 303 s later.
    assert alerts_raised(readings) == [12, 315]


def test_the_cooldown_counts_from_the_alert_and_is_inclusive():
    readings = [(d, 190) for d in range(1, 400)]
    assert alerts_raised(readings) == [3, 303]


def test_settings_change_the_run_length_and_the_cooldown():
    readings = [(d, 190) for d in range(1, 30)]
    assert alerts_raised(readings, alert_after_s=5, cooldown_s=10) == [5, 15, 25]


def test_a_ride_without_a_limit_never_alerts():
    assert alerts_raised([(d, 240) for d in range(1, 10)], limit=None) == []


def test_a_reading_seen_again_changes_nothing():
    readings = [(1, 190), (2, 190), (2, 190), (3, 190), (3, 190), (1, 190)]
    assert alerts_raised(readings) == [3]


def ride_of(steps) -> list[tuple[int, int]]:
    """(duration_s, heart_rate) readings from (step from the previous second, heart_rate) pairs."""
    readings, duration_s = [], 0
    for step, heart_rate in steps:
        duration_s = max(0, duration_s + step)
        readings.append((duration_s, heart_rate))
    return readings


# Whole rides as the stream may deliver them: mostly the next second, sometimes one repeated, late
# or missing; heart rates around the limit (0 is "no reading"); any run length and cooldown.
READINGS = st.lists(st.tuples(st.sampled_from([1, 1, 1, 1, 2, 0, -2]),
                              st.sampled_from([0, 120, 180, 181, 200])), max_size=60).map(ride_of)
LIMITS = st.one_of(st.none(), st.sampled_from([180.0, 180.5, 150.0]))
RULE_SETTINGS = st.tuples(st.integers(0, 5), st.integers(0, 12))


@given(READINGS, LIMITS, RULE_SETTINGS)
def test_the_consumers_in_place_step_agrees_with_next_state(readings, limit, rule_settings):
    state, in_place = AlertState(), AlertState()
    for duration_s, heart_rate in readings:
        given_state, as_given = state, replace(state)
        state, alert = next_state(given_state, duration_s, heart_rate, limit, *rule_settings)
        assert advance(in_place, duration_s, heart_rate, limit, *rule_settings) == alert
        assert in_place == state
        assert given_state == as_given  # next_state leaves the state it was given alone


def exceeds(heart_rate: int, limit: float | None) -> bool:
    """Above the ride's limit; a heart rate of 0 (no hand contact) never is."""
    return limit is not None and heart_rate > 0 and heart_rate > limit


def alerts_by_definition(readings, limit, alert_after_s, cooldown_s) -> list[int]:
    """The rule as the specification words it, recomputed from the whole ride at each reading."""
    seen, raised = [], []
    for duration_s, heart_rate in readings:
        if seen and duration_s <= seen[-1][0]:
            continue  # already seen, or late
        seen.append((duration_s, heart_rate))
        run = 0  # consecutive seconds above the limit, ending at this reading
        while run < len(seen) and exceeds(seen[-1 - run][1], limit) and seen[-1 - run][0] == duration_s - run:
            run += 1
        if run >= alert_after_s and (not raised or duration_s - raised[-1] >= cooldown_s):
            raised.append(duration_s)
    return raised


@given(READINGS, LIMITS, RULE_SETTINGS)
def test_the_rule_raises_exactly_the_alerts_of_its_definition(readings, limit, rule_settings):
    assert alerts_raised(readings, limit, *rule_settings) == alerts_by_definition(readings, limit,
                                                                                    *rule_settings)


def test_a_birthday_on_the_ride_date_counts():
    born = date(1982, 7, 6)
    assert age_years(born, date(2022, 7, 6)) == 40
    assert age_years(born, date(2022, 7, 5)) == 39
    assert age_years(date(2000, 2, 29), date(2022, 2, 28)) == 21
    assert age_years(date(2000, 2, 29), date(2022, 3, 1)) == 22
    assert age_years(None, date(2022, 7, 6)) is None


@pytest.mark.parametrize("formula, gender, expected", [
    ("tanaka", "male", 180.0), ("tanaka", "female", 180.0),
    ("fox", "male", 180.0), ("fox", "female", 180.0),
    ("gulati", "female", 170.8), ("gulati", "male", 180.0), ("gulati", "other", 180.0),
    ("nes", "male", 185.4), ("nes", "female", 185.4),
])
def test_each_formula_gives_the_contract_limit_at_forty(formula, gender, expected):
    assert hr_limit_bpm(40, gender, formula) == pytest.approx(expected)


def test_a_limit_needs_an_age_and_a_known_formula():
    assert hr_limit_bpm(None, "male") is None
    with pytest.raises(ValueError, match="HR_MAX_FORMULA"):
        hr_limit_bpm(40, "male", "karvonen")


@pytest.mark.parametrize("formula, gender, words", [
    ("tanaka", "male", "208 minus 0.7"), ("fox", "male", "220 minus your age"),
    ("gulati", "female", "206 minus 0.88"), ("gulati", "male", "Tanaka"), ("nes", "female", "211"),
])
def test_the_email_explains_the_formula_used(formula, gender, words):
    assert words in formula_description(formula, gender)
