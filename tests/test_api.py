"""Every endpoint and error path of the REST API, over rides landed by the real closeout code."""
from datetime import datetime, timezone

import pytest

from app.services.accounts.api_keys import create_api_key
from app.services.rides.closeout import close_ride
from tests.factories import RIDER, put_ride, reading

MAY_1 = datetime(2026, 5, 1, 9, 0, tzinfo=timezone.utc)      # 10:00 in London
MAY_2 = datetime(2026, 5, 2, 23, 30, tzinfo=timezone.utc)    # 00:30 on 3 May in London
OTHER = {**RIDER, "user_id": 4527, "name": "Mr Stuart Austin", "gender": "male",
         "address": "Flat 3, 9 Grove Road, Worcester, WR4V 7TA"}


def land(app, bike, started_at, rider, readings):
    """Put an ended ride in the live store and close it out with the real job's service."""
    with app.app_context():
        start = put_ride(app.config["LIVE_DB_PATH"], bike, started_at, rider, readings)
        return close_ride(bike, start)


@pytest.fixture
def rides(app):
    """Three rides of two riders on two London dates."""
    first = land(app, "SD1", MAY_1, RIDER, [reading(d, MAY_1, heart_rate=0 if d < 3 else 130,
                                                    power=90.123) for d in range(1, 61)])
    second = land(app, "SD2", MAY_1.replace(hour=10), OTHER,
                  [reading(d, MAY_1.replace(hour=10), power=200.0) for d in range(1, 121)])
    third = land(app, "SD1", MAY_2, RIDER, [reading(d, MAY_2, heart_rate=150) for d in range(1, 31)])
    return first, second, third


@pytest.fixture
def reader(app):
    with app.app_context():
        return {"Authorization": f"Bearer {create_api_key('reader', 'tests')}"}


@pytest.fixture
def admin(app):
    with app.app_context():
        return {"Authorization": f"Bearer {create_api_key('admin', 'tests')}"}


def test_a_ride_has_every_figure_as_numbers_and_times_with_offset(client, rides, reader):
    body = client.get(f"/api/ride/{rides[0]}", headers=reader).get_json()
    assert body["ride_id"] == rides[0] and body["user_id"] == 100 and body["bike_serial"] == "SD1"
    assert body["started_at"] == "2026-05-01T09:00:00+00:00"
    assert body["ride_date"] == "2026-05-01"
    assert body["duration_s"] == 60 and body["readings_count"] == 60
    assert body["avg_heart_rate"] == 130 and body["min_heart_rate"] == 130
    assert body["avg_power"] == 90.12 and isinstance(body["energy_kj"], float)
    assert body["energy_kj"] == round(90.123 * 60 / 1000, 2)
    assert set(body["hr_zone_seconds"]) == {"z1", "z2", "z3", "z4", "z5"}
    assert sum(body["hr_zone_seconds"].values()) == 58
    assert "readings" not in body


def test_expand_readings_lists_each_second(client, rides, reader):
    body = client.get(f"/api/ride/{rides[2]}?expand=readings", headers=reader).get_json()
    assert [r["duration_s"] for r in body["readings"]] == list(range(1, 31))
    assert body["readings"][0] == {"duration_s": 1, "recorded_at": "2026-05-02T23:30:01.500000+00:00",
                                   "heart_rate": 150, "rpm": 60, "power": 100.0, "resistance": 30}


def test_unknown_ids_are_404_with_a_message(client, rides, reader):
    for path in ("/api/ride/999999", "/api/rider/424242", "/api/rider/424242/rides"):
        response = client.get(path, headers=reader)
        assert response.status_code == 404
        body = response.get_json()
        assert body["code"] == 404 and body["status"] == "Not Found" and "No ri" in body["message"]


def test_an_id_in_other_than_ascii_digits_is_not_found(client, rides, reader):
    # Arabic-Indic and mathematical digits are digits to Python: one ride must have one address.
    ride = str(rides[0])
    assert client.get(f"/api/ride/{ride}", headers=reader).status_code == 200
    for spelling in ("".join(chr(0x660 + int(d)) for d in ride), "".join(chr(0x1D7CE + int(d)) for d in ride)):
        assert client.get(f"/api/ride/{spelling}", headers=reader).status_code == 404


def test_an_id_with_leading_zeros_is_not_found(client, rides, reader):
    ride = str(rides[0])
    for path in (f"/api/ride/0{ride}", f"/api/ride/000{ride}", "/api/rider/0100", "/api/rider/0100/rides"):
        assert client.get(path, headers=reader).status_code == 404, path
    assert client.get(f"/api/ride/{ride}", headers=reader).status_code == 200


def test_an_integer_argument_in_other_than_ascii_digits_is_a_422_that_names_it(client, rides, reader):
    # int() reads "𝟏" and " 2" as 1 and 2; the OpenAPI document promises an integer.
    assert client.get("/api/rides?page=1&page_size=2", headers=reader).status_code == 200
    for query, name in [("page=\U0001D7CF", "page"), ("page_size=\u0662", "page_size"),
                        ("page_size=%202", "page_size"), ("page_size=1_0", "page_size"),
                        ("min_duration_s=\U0001D7CE", "min_duration_s"),
                        ("user_id=\u0661", "user_id"), ("min_avg_power=\u0661", "min_avg_power"),
                        ("min_avg_heart_rate=\uFF11", "min_avg_heart_rate"),
                        ("min_energy_kj=1_0", "min_energy_kj"), ("min_avg_power=%201", "min_avg_power"),
                        ("min_avg_power=nan", "min_avg_power"), ("min_avg_power=infinity", "min_avg_power")]:
        response = client.get(f"/api/rides?{query}", headers=reader)
        assert response.status_code == 422, query
        assert name in response.get_json()["message"], query


def test_a_bad_expand_is_a_422_that_names_the_parameter(client, rides, reader):
    response = client.get(f"/api/ride/{rides[0]}?expand=everything", headers=reader)
    assert response.status_code == 422
    assert "expand" in response.get_json()["message"]


def test_delete_needs_an_admin_key_and_removes_the_readings(app, client, rides, reader, admin):
    assert client.delete(f"/api/ride/{rides[0]}").status_code == 401
    refused = client.delete(f"/api/ride/{rides[0]}", headers=reader)
    assert refused.status_code == 403 and "admin" in refused.get_json()["message"]
    assert client.delete(f"/api/ride/{rides[0]}", headers=admin).status_code == 204
    assert client.get(f"/api/ride/{rides[0]}", headers=reader).status_code == 404
    assert client.delete(f"/api/ride/{rides[0]}", headers=admin).status_code == 404
    from app.extensions import db
    from app.models import RideReading
    with app.app_context():
        left = db.session.scalar(db.select(db.func.count()).select_from(RideReading)
                                 .where(RideReading.ride_id == rides[0]))
    assert left == 0


def test_a_rider_has_details_age_and_totals(client, rides, reader):
    body = client.get("/api/rider/100", headers=reader).get_json()
    assert body["name"] == "Steven Pearce" and body["gender"] == "male"
    assert body["postcode_area"] == "E"
    assert body["rides_count"] == 2
    assert body["total_duration_s"] == 90
    assert body["avg_heart_rate"] == round((58 * 130 + 30 * 150) / 88, 2)
    assert body["first_ride_at"] == "2026-05-01T09:00:00+00:00"
    assert body["last_ride_at"] == "2026-05-02T23:30:00+00:00"
    assert isinstance(body["age_years"], int) and body["age_band"]


def test_contact_and_body_details_need_a_pii_or_admin_key(app, client, rides, reader, admin):
    with app.app_context():
        pii = {"Authorization": f"Bearer {create_api_key('pii', 'tests')}"}
    personal = {"email", "date_of_birth", "address_line1", "address_line2", "city", "postcode",
                "height_cm", "weight_kg", "first_name", "last_name", "title"}
    as_reader = client.get("/api/rider/4527", headers=reader)
    assert personal.isdisjoint(as_reader.get_json())
    assert as_reader.get_json()["name"] == "Mr Stuart Austin"
    for headers in (pii, admin):
        response = client.get("/api/rider/4527", headers=headers)
        body = response.get_json()
        assert body["title"] == "Mr" and body["address_line2"] == "9 Grove Road"
        assert body["email"] and body["date_of_birth"]
        assert response.headers["Cache-Control"] == "no-store"
    assert as_reader.headers["Cache-Control"] == "no-store"
    # A pii key reads, but cannot delete.
    assert client.delete(f"/api/ride/{rides[0]}", headers=pii).status_code == 403


def test_a_riders_rides_are_newest_first(client, rides, reader):
    body = client.get("/api/rider/100/rides", headers=reader).get_json()
    assert [ride["ride_id"] for ride in body] == [rides[2], rides[0]]


def test_daily_takes_both_date_spellings_and_is_oldest_first(client, rides, reader):
    for date in ("01-05-2026", "2026-05-01"):
        body = client.get(f"/api/daily?date={date}", headers=reader).get_json()
        assert [ride["ride_id"] for ride in body] == [rides[0], rides[1]]
    # 23:30 UTC on 2 May is 00:30 on 3 May in London: the ride belongs to 3 May.
    late = client.get("/api/daily?date=03-05-2026", headers=reader).get_json()
    assert [ride["ride_id"] for ride in late] == [rides[2]]


@pytest.mark.parametrize("bad", ["31-02-2026", "yesterday", "", "2026-13-01"])
def test_bad_dates_are_refused_with_a_message(client, rides, reader, bad):
    response = client.get(f"/api/daily?date={bad}", headers=reader)
    assert response.status_code == 422
    assert "DD-MM-YYYY" in response.get_json()["message"]


def test_lists_paginate_with_an_x_pagination_header(client, rides, reader):
    response = client.get("/api/rides?page_size=2&page=1", headers=reader)
    assert len(response.get_json()) == 2
    assert '"total": 3' in response.headers["X-Pagination"]
    second = client.get("/api/rides?page_size=2&page=2", headers=reader).get_json()
    assert len(second) == 1


@pytest.mark.parametrize("query", ["page_size=0", "page_size=501", "page=0", "page_size=abc"])
def test_page_sizes_out_of_range_are_refused(client, rides, reader, query):
    response = client.get(f"/api/rides?{query}", headers=reader)
    assert response.status_code == 422
    assert response.get_json()["message"].startswith("Invalid request parameters")


def test_rides_filter_by_rider_bike_dates_and_minimum_figures(client, rides, reader):
    def ids(query):
        return [ride["ride_id"] for ride in client.get(f"/api/rides?{query}", headers=reader).get_json()]

    assert ids("user_id=4527") == [rides[1]]
    assert ids("bike_serial=SD1") == [rides[2], rides[0]]
    assert ids("date_from=02-05-2026") == [rides[2]]
    assert ids("date_to=2026-05-01") == [rides[1], rides[0]]
    assert ids("min_duration_s=100") == [rides[1]]
    assert ids("min_avg_power=150") == [rides[1]]
    assert client.get("/api/rides?min_avg_power=-5", headers=reader).status_code == 422


def test_no_stack_trace_or_sql_in_any_error(client, reader):
    response = client.get("/api/ride/99999999999999999999999", headers=reader)
    text = response.get_data(as_text=True)
    assert response.status_code in (404, 422)
    assert "Traceback" not in text and "SELECT" not in text


@pytest.mark.parametrize("query", ["page=9223372036854775807", "page=4294968", "cursor=1-1&page=5000000"])
def test_an_absurd_page_number_is_refused_not_a_500(client, rides, reader, query):
    response = client.get(f"/api/rides?{query}", headers=reader)
    assert response.status_code == 422
    assert response.get_json()["errors"] == {"query": {"page": ["Must be at most 4294967."]}}
    assert response.headers["Cache-Control"] == "no-store"


def test_leaderboards_rank_riders_and_rides_with_filters(app, client, rides, reader):
    energy = client.get("/api/leaderboard?metric=total_energy&period=all", headers=reader).get_json()
    assert energy["unit"] == "kJ" and energy["label"] == "Total energy"
    assert [e["user_id"] for e in energy["entries"]] == [4527, 100]
    assert [e["rank"] for e in energy["entries"]] == [1, 2]
    assert energy["entries"][0]["value"] == round(200.0 * 120 / 1000, 2)
    longest = client.get("/api/leaderboard?metric=longest_ride", headers=reader).get_json()
    assert longest["entries"][0]["ride_id"] == rides[1] and longest["entries"][0]["value"] == 120
    women = client.get("/api/leaderboard?metric=rides&gender=female", headers=reader).get_json()
    assert women["entries"] == []


def test_a_leaderboard_period_counts_back_from_today(app, client, reader):
    from datetime import timedelta
    now = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(seconds=2)
    land(app, "SD9", now, RIDER, [reading(d, now) for d in range(1, 11)])
    land(app, "SD9", now - timedelta(days=40), RIDER,
         [reading(d, now - timedelta(days=40)) for d in range(1, 11)])
    counts = {period: client.get(f"/api/leaderboard?metric=rides&period={period}",
                                 headers=reader).get_json()["entries"][0]["value"]
              for period in ("day", "week", "month", "all")}
    assert counts == {"day": 1, "week": 1, "month": 1, "all": 2}


@pytest.mark.parametrize("query", ["metric=speed", "metric=rides&period=year", "period=day",
                                   "metric=rides&limit=0", "metric=rides&age_band=teen"])
def test_bad_leaderboard_parameters_are_refused(client, reader, query):
    response = client.get(f"/api/leaderboard?{query}", headers=reader)
    assert response.status_code == 422
    assert response.get_json()["message"].startswith("Invalid request parameters")


@pytest.mark.parametrize("path", ["/api/leaderboard?metric=rides&gender=a%00b",
                                  "/api/rides?bike_serial=SD%001", "/staff/login?next=%00",
                                  "/bikes/SD%00x", "/api/ride/SD%00"])
def test_a_nul_character_in_a_parameter_is_a_400_not_a_500(client, reader, path):
    response = client.get(path, headers=reader)
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)


@pytest.mark.parametrize("token", ["dlk_\x00\x00\x00\x00\x00\x00\x00\x00_abc", "dlk_ABCDEF12_abc",
                                   "dlk_12345678\x00_abc", "dlk_1234567g_abc"])
def test_a_key_of_the_wrong_form_is_unknown_even_with_a_nul_in_it(client, rides, token):
    # PostgreSQL refuses a NUL in a parameter: such a key must never reach the database.
    response = client.get("/api/rides", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and "WWW-Authenticate" in response.headers


def test_decimal_filters_take_plain_decimals_and_exponents(client, rides, reader):
    for query in ("min_avg_power=1.5", "min_avg_power=%2B1", "min_avg_power=.5", "min_energy_kj=1e-3"):
        assert client.get(f"/api/rides?{query}", headers=reader).status_code == 200, query


@pytest.mark.parametrize("method, path", [("GET", "/api/nope"), ("POST", "/api/rides"),
                                          ("GET", "/api/ride/99999999999999999999"), ("GET", "/api/rides%00")])
def test_answers_no_route_gave_under_api_are_not_kept_either(client, reader, method, path):
    response = client.open(path, method=method, headers=reader)
    assert response.status_code in (400, 404, 405) and response.headers["Cache-Control"] == "no-store"


def test_the_resistance_leaderboards_by_name(app, client, reader):
    land(app, "SD3", MAY_1, RIDER, [reading(d, MAY_1, resistance=170 if d <= 15 else 30) for d in range(1, 61)])
    land(app, "SD4", MAY_1, OTHER, [reading(d, MAY_1, resistance=60) for d in range(1, 61)])
    high = client.get("/api/leaderboard?metric=high_resistance_time", headers=reader).get_json()
    assert high["unit"] == "s" and high["label"] == "Time at high resistance (150 or more)"
    assert [(e["user_id"], e["value"]) for e in high["entries"]] == [(100, 15)]
    average = client.get("/api/leaderboard?metric=avg_resistance", headers=reader).get_json()
    assert [(e["user_id"], e["value"]) for e in average["entries"]] == [(100, 65.0), (4527, 60.0)]
