"""The rider-facing pages through the Flask test client: fleet, bike screen states, fragments."""
import gzip
import json
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest

from app.extensions import db
from app.live import store
from app.services.pages import fleet as fleet_view
from app.services.pages import fragment_cache
from app.services.pages import live as live_view
from tests.factories import START, add_reading, add_ride, add_user, end_ride, rider_json, start_ride

LIVE = {"HX-Request": "true", "HX-Target": "live-figures"}


@pytest.fixture
def live(app):
    """A writable connection to the app's live store, as the consumer has it."""
    conn = store.connect(app.config["LIVE_DB_PATH"])
    yield conn
    conn.close()


def ride_with(live, rates, serial="SN0001", **rider):
    """A ride in progress whose readings have these heart rates, one a second."""
    start = start_ride(live, serial, rider_json(bike_serial=serial, **rider))
    for second, rate in enumerate(rates, 1):
        add_reading(live, serial, start, second, rate, rpm=60 + second, power=100.0 + second)
    return start


def test_fleet_lists_riding_idle_and_silent_bikes(client, live):
    ride_with(live, [120, 125, 130], "SN0001", name="Ada Lovelace")
    live.execute("INSERT INTO bikes (bike_serial, last_seen_wall) VALUES ('SN0002', ?)", (time.time(),))
    live.execute("INSERT INTO bikes (bike_serial, last_seen_wall) VALUES ('SN0003', ?)", (time.time() - 60,))
    live.commit()
    html = client.get("/").get_data(as_text=True)
    assert "Ada" in html and "Lovelace" not in html  # first name only on the public fleet page
    assert 'data-bike="SN0001"' in html and "0:03" in html and "103 <small>W" in html
    assert "Idle" in html and "Silent" in html
    assert 'hx-trigger="every 1s"' in html


def test_fleet_poll_returns_only_the_grid(client, live):
    ride_with(live, [120])
    fragment = client.get("/", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.lstrip().startswith("{#") is False and 'id="fleet"' in fragment
    assert "<html" not in fragment


def test_bike_screen_shows_rider_limit_zone_and_energy(client, live):
    ride_with(live, [0, 0, 110, 140, 150], name="Mrs Ada Lovelace", gender="female")
    html = client.get("/bikes/SN0001").get_data(as_text=True)
    assert "Mrs Ada Lovelace" in html and "48 years" in html and "female" in html
    assert "174.4 bpm" in html and "Tanaka" in html  # 208 - 0.7 * 48
    assert 'data-figure="hr">150' in html and "Zone 4 · 86% of limit" in html
    assert 'data-figure="energy">0.5' in html  # (101 + ... + 105) / 1000 kJ
    assert "<html" in html and 'id="live-figures"' in html


def test_a_ride_just_started_has_no_figures_yet(client, live):
    ride_with(live, [], name="Ada Lovelace")
    html = client.get("/bikes/SN0001", headers=LIVE).get_data(as_text=True)
    assert "Ada Lovelace" in html and 'data-figure="elapsed">0:00' in html
    assert 'data-figure="hr">–' in html


def test_live_fragment_is_small_and_changes_with_new_readings(client, live):
    start = ride_with(live, [120, 121])
    first = client.get("/bikes/SN0001", headers=LIVE).get_data(as_text=True)
    add_reading(live, "SN0001", start, 3, 133, power=250.0)
    second = client.get("/bikes/SN0001", headers=LIVE).get_data(as_text=True)
    assert "<html" not in first and first.strip().startswith("<div id=\"live-figures\"")
    assert 'data-figure="hr">121' in first and 'data-figure="hr">133' in second
    assert "250 <small>W" in second


CHROMIUM_ENCODINGS = "gzip, deflate, br, zstd"  # what Chromium asks for


def test_a_poll_from_the_cache_is_the_same_fragment_gzipped_when_the_browser_takes_gzip(client, live):
    ride_with(live, [120, 121])
    plain = client.get("/bikes/SN0001", headers={**LIVE, "Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and 'data-figure="hr">121' in plain.get_data(as_text=True)
    for asked, coding in [("gzip", "gzip"), (CHROMIUM_ENCODINGS, "gzip")]:
        for _ in range(2):  # compressed once, then served from the cache: the same bytes both times
            packed = client.get("/bikes/SN0001", headers={**LIVE, "Accept-Encoding": asked})
            assert packed.headers.get("Content-Encoding") == coding
            body = packed.get_data()
            assert (gzip.decompress(body) if coding else body) == plain.get_data()
            assert packed.headers["Cache-Control"] == "no-store" and "Content-Security-Policy" in packed.headers
            assert {"HX-Request", "Accept-Encoding"} <= {v.strip() for v in packed.headers["Vary"].split(",")}


def test_a_poll_for_figures_the_screen_has_is_answered_not_modified(client, live):
    start = ride_with(live, [120, 121])
    first = client.get("/bikes/SN0001", headers={**LIVE, "Accept-Encoding": "gzip"})
    etag = first.headers["ETag"]
    again = client.get("/bikes/SN0001", headers={**LIVE, "Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    other = client.get("/bikes/SN0001", headers={**LIVE, "Accept-Encoding": "identity", "If-None-Match": etag})
    assert other.status_code == 200 and 'data-figure="hr">121' in other.get_data(as_text=True)
    add_reading(live, "SN0001", start, 3, 133)
    new = client.get("/bikes/SN0001", headers={**LIVE, "Accept-Encoding": "gzip", "If-None-Match": etag})
    assert new.status_code == 200 and new.headers["ETag"] != etag
    assert 'data-figure="hr">133' in gzip.decompress(new.get_data()).decode()


def test_figures_summed_poll_by_poll_are_those_of_the_whole_ride(client, live, monkeypatch):
    frozen = time.time()  # one fleet snapshot, so one leaderboard, for both pages compared
    monkeypatch.setattr(fleet_view, "time", SimpleNamespace(time=lambda: frozen, monotonic=time.monotonic,
                                                            sleep=time.sleep))
    start = ride_with(live, [])
    rates = [0, 95, 120, 0, 0, 140, 150, 165, 181, 0, 130, 110]
    for second, rate in enumerate(rates, 1):  # a screen polling as the readings come in
        add_reading(live, "SN0001", start, second, rate, rpm=50 + second, power=90.5 + 3 * second)
        client.get("/bikes/SN0001", headers=LIVE)
    polled = client.get("/bikes/SN0001").get_data(as_text=True)
    live_view._sums.clear()  # a process that has seen none of it reads the ride whole
    fragment_cache._entries.clear()
    assert client.get("/bikes/SN0001").get_data(as_text=True) == polled
    assert 'data-figure="energy">1.3' in polled  # 12 x 90.5 + 3 x 78 = 1,320 J


def test_a_fractional_limit_is_shown_as_it_counts(client, live):
    # The limit is 174.4: 175 is over it, and 104 bpm is 59.6 % of it, zone 1.
    ride_with(live, [150, 175])
    html = client.get("/bikes/SN0001", headers=LIVE).get_data(as_text=True)
    assert "175 bpm is over 174.4 bpm" in html and "limit <strong>174.4 bpm</strong>" in html
    ride_with(live, [150, 104], "SN0002")
    html = client.get("/bikes/SN0002", headers=LIVE).get_data(as_text=True)
    assert "Zone 1 · 59% of limit" in html and 'role="alert"' not in html


def test_heart_rate_above_the_limit_shows_a_warning(client, live):
    ride_with(live, [150, 170, 181])
    html = client.get("/bikes/SN0001", headers=LIVE).get_data(as_text=True)
    assert 'role="alert"' in html and "Heart rate above your limit" in html
    assert "181 bpm is over 174.4 bpm" in html
    assert "alert this ride" not in html
    live.execute("INSERT INTO alerts VALUES ('SN0001', ?, 3, ?, 181, 174.4)", (store.to_text(START), "x"))
    live.commit()
    html = client.get("/bikes/SN0001", headers=LIVE).get_data(as_text=True)
    assert "1 heart-rate alert this ride (an email is on its way)." in html


def test_no_hand_contact_for_more_than_ten_seconds_asks_to_hold(client, live):
    start = ride_with(live, [120] + [0] * 10)
    assert "Hold the handlebars" not in client.get("/bikes/SN0001", headers=LIVE).get_data(as_text=True)
    add_reading(live, "SN0001", start, 12, 0)
    html = client.get("/bikes/SN0001", headers=LIVE).get_data(as_text=True)
    assert "Hold the handlebars" in html and 'data-figure="hr">–' in html


def test_a_silent_bike_is_marked(client, live):
    ride_with(live, [120])
    live.execute("UPDATE bikes SET last_seen_wall = ?", (time.time() - 30,))
    live.commit()
    html = client.get("/bikes/SN0001", headers=LIVE).get_data(as_text=True)
    assert "Bike silent" in html


def test_no_ride_in_progress_shows_the_last_ride(app, client, live):
    start = ride_with(live, [120, 130, 140], name="Ada Lovelace")
    end_ride(live, "SN0001", start)
    html = client.get("/bikes/SN0001").get_data(as_text=True)
    assert "No ride in progress" in html and "Ada Lovelace" in html and "0:03" in html
    live.execute("DELETE FROM rides")  # the closeout moved it to the warehouse
    live.commit()
    with app.app_context():
        add_user(7, "Grace Hopper")
        add_ride(7, "SN0001", START - timedelta(hours=1), seconds=90, power=200.0)
        db.session.commit()
    html = client.get("/bikes/SN0001").get_data(as_text=True)
    assert "Grace Hopper" in html and "1:30" in html and "18.0 <small>kJ" in html


def test_recent_rides_show_the_bike_and_rider_rides_and_personal_bests(app, client, live):
    ride_with(live, [120], user_id=7, name="Grace Hopper")
    with app.app_context():
        add_user(7, "Grace Hopper")
        for hours, seconds, power in ((5, 600, 150.0), (4, 300, 250.0), (3, 120, 100.0)):
            add_ride(7, "SN0009", START - timedelta(hours=hours), seconds=seconds, power=power)
        db.session.commit()
    page = client.get("/bikes/SN0001?view=recent").get_data(as_text=True)
    panel = client.get("/bikes/SN0001?view=recent", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" in page and "<html" not in panel and 'data-view="recent"' in panel
    assert "Personal bests of Grace Hopper" in panel
    assert "10:00" in panel and "250 <small>W" in panel and "90.0 <small>kJ" in panel
    assert panel.count('data-ride-chart=') == 3  # the rider's three rides (none on this bike)


def test_chart_series_are_incremental_and_restart_with_a_new_ride(client, live):
    ride_with(live, [120, 0, 130])
    data = client.get("/bikes/SN0001/series.json?after=1").get_json()
    assert data["points"] == [[2, None, 102.0, 62], [3, 130, 103.0, 63]]
    assert data["limit"] == pytest.approx(174.4)


def test_finished_ride_series_and_unknown_ones(app, client):
    with app.app_context():
        add_user(7, "Grace Hopper")
        ride = add_ride(7, "SN0009", START, seconds=3)
        db.session.commit()
        ride_id = ride.ride_id
    assert len(client.get(f"/rides/{ride_id}/series.json").get_json()["points"]) == 3
    assert client.get("/rides/999999/series.json").status_code == 404


def test_a_rider_named_script_is_shown_as_text(client, live):
    ride_with(live, [120], name="<script>alert('x')</script> Smith")
    for url in ("/", "/bikes/SN0001"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "&lt;script&gt;" in html


def test_unknown_bike_and_bad_view_are_clear_errors(client, live):
    ride_with(live, [120])
    assert client.get("/bikes/NOPE").status_code == 404
    assert client.get("/bikes/SN0001?view=everything").status_code == 400


def test_pages_allow_only_this_origin(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    html = response.get_data(as_text=True)
    assert "<script>" not in html  # no inline script: the CSP would refuse it


def test_the_fleet_page_works_on_the_embedded_sqlite_warehouse(embedded_app):
    conn = store.connect(embedded_app.config["LIVE_DB_PATH"])
    start = start_ride(conn, "SN0005", rider_json(bike_serial="SN0005"))
    add_reading(conn, "SN0005", start, 1, 120)
    conn.close()
    client = embedded_app.test_client()
    assert 'data-bike="SN0005"' in client.get("/").get_data(as_text=True)
    assert json.loads(client.get("/bikes/SN0005/series.json").data)["points"]


@pytest.mark.parametrize("after", ["9223372036854775808", "-99999999999999999999", "2147483648",
                                   "-2", "abc", "١"])
def test_a_chart_series_with_an_impossible_after_is_a_json_400(client, live, after):
    ride_with(live, [120])
    response = client.get(f"/bikes/SN0001/series.json?after={after}")
    assert response.status_code == 400
    assert "after" in response.get_json()["message"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_finished_ride_series_beyond_64_bits_is_a_json_404(client):
    response = client.get("/rides/9223372036854775808/series.json")
    assert response.status_code == 404 and response.get_json()["code"] == 404
    assert "Content-Security-Policy" in response.headers
