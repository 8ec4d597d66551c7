"""Riders' details parsed as docs/specification.md#ride-figures says, from real [SYSTEM] lines too."""
import json
import re
from datetime import date

import pytest

from app.domain.rider import age_band, age_years, hr_limit_bpm, parse_rider
from tests.stream_helpers import DATA

SNIPPETS = DATA / "recorded-snippets-2022-10-03.log"


def recorded_riders() -> dict[int, dict]:
    """The [SYSTEM] JSON objects of the recorded snippets, by user id."""
    found = re.findall(r"\[SYSTEM\] data = (\{.*\})", SNIPPETS.read_text(encoding="utf-8"))
    return {rider["user_id"]: rider for rider in map(json.loads, found)}


@pytest.mark.parametrize("name, title, first, last", [
    ("Steven Pearce", None, "Steven", "Pearce"),
    ("Mr Stuart Austin", "Mr", "Stuart", "Austin"),
    ("Dr. Ann Marie Smith-Jones", "Dr.", "Ann Marie", "Smith-Jones"),
    ("prof Zoë Ångström", "prof", "Zoë", "Ångström"),
    ("Cher", None, None, "Cher"),
    ("Miss Cher", "Miss", None, "Cher"),
])
def test_names_split_into_title_first_and_last(name, title, first, last):
    rider = parse_rider({"user_id": 1, "name": name, "address": "1 A St,Leeds,LS1 1AA"})
    assert (rider["name"], rider["title"], rider["first_name"], rider["last_name"]) == (name, title, first, last)


@pytest.mark.parametrize("address, parts", [
    ("0 Simpson locks,Wilkinsonshire,E68 8SH", ("0 Simpson locks", None, "Wilkinsonshire", "E68 8SH", "E")),
    ("Flat 1, 2 High St , Worcester, wr4v 7ta", ("Flat 1", "2 High St", "Worcester", "WR4V 7TA", "WR")),
])
def test_addresses_split_into_their_parts(address, parts):
    rider = parse_rider({"user_id": 1, "name": "A B", "address": address})
    keys = ("address_line1", "address_line2", "city", "postcode", "postcode_area")
    assert tuple(rider[key] for key in keys) == parts


def test_recorded_riders_parse_with_negative_epoch_dates_and_titles():
    riders = recorded_riders()
    old = parse_rider(riders[4526])
    assert riders[4526]["date_of_birth"] == -842140800000
    assert old["date_of_birth"] == date(1943, 4, 26)
    assert (old["address_line1"], old["address_line2"], old["city"], old["postcode_area"]) == (
        "Flat 98y", "Carolyn haven", "East Valeriemouth", "S")
    austin = parse_rider(riders[4527])
    assert (austin["title"], austin["first_name"], austin["last_name"]) == ("Mr", "Stuart", "Austin")
    assert austin["email"] == riders[4527]["email_address"] and austin["postcode"].isupper()


def test_epoch_milliseconds_become_utc_dates_either_side_of_1970():
    rider = parse_rider({"user_id": 1, "name": "A B", "address": "x,y,Z1 1ZZ",
                         "date_of_birth": -86_400_000, "account_create_date": 1647993600000})
    assert rider["date_of_birth"] == date(1969, 12, 31)
    assert rider["account_created_on"] == date(2022, 3, 23)


def test_a_date_that_is_not_a_number_is_left_empty():
    assert parse_rider({"user_id": 1, "name": "A B", "address": "x,y,Z1 1ZZ",
                        "date_of_birth": "soon"})["date_of_birth"] is None


@pytest.mark.parametrize("on, age", [(date(2022, 3, 1), 40), (date(2022, 2, 28), 39), (date(2021, 2, 28), 38)])
def test_age_turns_over_on_the_birthday(on, age):
    assert age_years(date(1982, 3, 1), on) == age


@pytest.mark.parametrize("age, band", [(17, "under 18"), (18, "18-24"), (24, "18-24"), (25, "25-34"),
                                       (44, "35-44"), (54, "45-54"), (55, "55+"), (None, None)])
def test_age_bands(age, band):
    assert age_band(age) == band


def test_an_unknown_formula_is_a_clear_error():
    with pytest.raises(ValueError, match="HR_MAX_FORMULA"):
        hr_limit_bpm(40, "male", "karvonen")
