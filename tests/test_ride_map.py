"""Rides on a map of the UK: the shipped areas, the SVG, the counts and the staff map page."""
import re
import time
from datetime import datetime, timedelta, timezone

import pytest

from app.extensions import db
from app.live import store
from app.services.rides import map as ride_map
from tests.factories import (
    add_reading, add_ride, add_user, earlier_today, rider_json, start_ride)

DAY = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
POLL = {"HX-Request": "true"}


def shade_of(svg: str, code: str) -> str:
    """The heat class of an area's outline in the SVG."""
    return re.search(r'<path class="area (heat-\d)"[^>]*><title>' + code + " ", svg).group(1)


def test_the_shipped_areas_cover_great_britain_where_they_belong():
    areas, outlines = ride_map.areas(), ride_map.outlines()
    assert len(areas) == 120 and set(outlines) == set(areas)
    assert areas["LS"].name == "Leeds" and areas["E"].name == "East London"
    # North is up, east is right, and everything lies inside the drawing.
    assert areas["ZE"].y < areas["AB"].y < areas["EH"].y < areas["LS"].y < areas["TR"].y
    assert areas["SA"].x < areas["CF"].x < areas["NR"].x
    assert all(0 < a.x < ride_map.WIDTH and 0 < a.y < ride_map.HEIGHT for a in areas.values())


def test_the_heat_map_shades_areas_by_count_with_a_legend_and_a_text_alternative():
    svg = str(ride_map.heat_map_svg({"LS": 4, "E": 1, "BT": 2, None: 3}))
    assert shade_of(svg, "LS") == "heat-5" and shade_of(svg, "E") == "heat-2"
    assert shade_of(svg, "AB") == "heat-0"
    assert 'role="img"' in svg and "<desc" in svg and "LS Leeds: 4" in svg
    assert ">1<" in svg and ">4<" in svg  # legend: one shade per count up to the busiest area's 4
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing to fetch
    rows = ride_map.area_rows({"LS": 4, "E": 1, "BT": 2, None: 3})
    assert [(r["code"], r["count"], r["on_map"]) for r in rows] == [
        ("LS", 4, True), ("?", 3, False), ("BT", 2, False), ("E", 1, True)]


def test_the_live_map_draws_a_dot_per_area_and_no_legend():
    svg = str(ride_map.map_svg({"LS": 2, "AB": 1}, "Now", dots=True, backdrop=False))
    assert svg.count('<circle class="dot"') == 2 and "<path" not in svg and "Rides</text>" not in svg


@pytest.fixture(params=["app", "embedded_app"])
def warehouse(request):
    """Riders of Leeds, East London and nowhere known, with rides on several days."""
    app = request.getfixturevalue(request.param)
    with app.app_context():
        add_user(1, "Grace Hopper", postcode="LS1 4AP", postcode_area="LS")
        add_user(2, "Ada Lovelace", postcode="E1 6AN", postcode_area="E")
        add_user(3, "Alan Turing")
        add_ride(1, "SN1", DAY)
        add_ride(1, "SN1", DAY - timedelta(days=3))
        add_ride(2, "SN2", DAY)
        add_ride(2, "SN2", DAY - timedelta(days=20))
        add_ride(3, "SN3", DAY)
        db.session.commit()
        yield app


def test_rides_are_counted_by_the_riders_postcode_area(warehouse):
    assert ride_map.counts_between_dates(DAY.date(), DAY.date()) == {"LS": 1, "E": 1, None: 1}
    assert ride_map.counts_between_dates(DAY.date() - timedelta(days=6), DAY.date()) == {
        "LS": 2, "E": 1, None: 1}
    assert ride_map.counts_between_dates(None, None) == {"LS": 2, "E": 2, None: 1}
    assert ride_map.counts_started_between(DAY - timedelta(days=4), DAY) == {"LS": 1}


def riding(live, serial: str, address: str, user_id: int) -> None:
    """A ride in progress on the bike, of a rider living at the address."""
    start = start_ride(live, serial, {**rider_json(user_id=user_id, bike_serial=serial),
                                         "address": address})
    add_reading(live, serial, start, 1, 120)


def test_a_visitor_is_sent_to_the_login(client):
    assert client.get("/staff/map").status_code == 302


def test_the_map_page_shows_the_periods_rides_and_the_rides_in_progress(app, staff_client):
    with app.app_context():
        add_user(1, "Grace Hopper", postcode="LS1 4AP", postcode_area="LS")
        add_user(2, "Ada Lovelace", postcode="E1 6AN", postcode_area="E")
        add_ride(1, "SN1", earlier_today(minutes=30))
        add_ride(2, "SN2", earlier_today(minutes=10))
        add_ride(2, "SN2", earlier_today(minutes=20) - timedelta(days=10))
        db.session.commit()
    live = store.connect(app.config["LIVE_DB_PATH"])
    riding(live, "SN0001", "1 Park Row,Leeds,LS1 5HD", 10)
    riding(live, "SN0002", "2 Wharf St,Leeds,LS2 7EE", 11)
    riding(live, "SN0003", "3 Dock Rd,Aberdeen,AB11 5QN", 12)
    # A bike heard from a minute ago is silent: its ride is not counted as in progress.
    start_ride(live, "SN0004", {**rider_json(user_id=13, bike_serial="SN0004"),
                                           "address": "4 Quay,Truro,TR1 2AA"})
    live.execute("UPDATE bikes SET last_seen_wall = ? WHERE bike_serial = 'SN0004'", (time.time() - 60,))
    live.commit()
    live.close()

    html = staff_client.get("/staff/map").get_data(as_text=True)
    assert 'aria-current="page"' in html and ">Map</a>" in html
    assert 'data-rides="2"' in html  # the last 7 days by default: the ride 10 days ago is left out
    assert '<tr data-area="E"><td>E</td><td>East London</td><td class="num">1</td>' in html
    assert 'data-riding="3"' in html and 'hx-trigger="every 2s"' in html
    assert re.search(r'data-area="LS"><td>LS</td><td>Leeds</td><td class="num">2</td>', html)
    assert 'data-area="TR"' not in html
    month = staff_client.get("/staff/map?period=30d").get_data(as_text=True)
    assert 'data-rides="3"' in month and "last 30 days" in month
    assert 'data-rides="2"' in staff_client.get("/staff/map?period=year").get_data(as_text=True)
    fragment = staff_client.get("/staff/map", headers=POLL).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="live-map"') and "<html" not in fragment
    assert 'data-riding="3"' in fragment and "<path" not in fragment  # the dots only: small
