"""The staff map and the resistance boards in real Chromium: the map live as rides start, the heat
map's period, and axe-core light and dark (screenshots too)."""
import os
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.extensions import db
from app.live import store
from tests.browser import axe_violations
from tests.test_ride_page_browser import PHONE, browser_at, log_in  # noqa: F401
from tests.factories import add_reading, add_ride, add_staff, add_user, earlier_today, rider_json, start_ride

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("MAPRES_SCREENSHOTS", "/tmp/mapres"))


def start_riding(app, serial: str, user_id: int, address: str) -> None:
    """A ride in progress (as the consumer stores it) of a rider living at the address."""
    conn = store.connect(app.config["LIVE_DB_PATH"])
    try:
        start = start_ride(conn, serial, {**rider_json(user_id=user_id, bike_serial=serial),
                                             "address": address})
        add_reading(conn, serial, start, 1, 120)
    finally:
        conn.close()


@pytest.fixture
def bikes_keep_talking(app):
    """The riding bikes are heard from every half second, as a stream keeps them (else a slow
    machine would see them fall silent, and off the live map, mid-test)."""
    stop = threading.Event()

    def hear() -> None:
        conn = store.connect(app.config["LIVE_DB_PATH"])
        while not stop.wait(0.5):
            conn.execute("UPDATE bikes SET last_seen_wall = ? WHERE ride_started_at IS NOT NULL", (time.time(),))
            conn.commit()
        conn.close()

    thread = threading.Thread(target=hear, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(5)


@pytest.fixture
def fleet_and_history(app, bikes_keep_talking):
    """Riders of Leeds, Bristol and East London with today's rides (some at high resistance),
    one ride in progress in Leeds, and a staff account."""
    with app.app_context():
        add_staff()
        for user_id, name, code in ((1, "Grace Hopper", "LS"), (2, "Ada Lovelace", "BS"),
                                    (3, "Alan Turing", "E")):
            add_user(user_id, name, postcode=f"{code}1 1AA", postcode_area=code)
        add_ride(1, "SN1", earlier_today(minutes=50), seconds=120, resistance=170)
        add_ride(1, "SN1", earlier_today(minutes=40), seconds=60, resistance=30)
        add_ride(2, "SN2", earlier_today(minutes=30), seconds=90, resistance=151)
        add_ride(3, "SN3", earlier_today(minutes=20), seconds=60)
        db.session.commit()
    start_riding(app, "SN0001", 10, "1 Park Row,Leeds,LS1 5HD")
    return app


def test_staff_watch_rides_appear_on_the_map_and_pick_the_heat_maps_period(fleet_and_history, browser_at):
    staff = browser_at()
    log_in(staff)
    page = staff.page
    page.get_by_role("link", name="Map").click()
    expect(page.get_by_role("heading", name="Rides on a map")).to_be_visible()
    live = page.locator("#live-map")
    expect(live).to_have_attribute("data-riding", "1")
    expect(page.get_by_role("img", name="Rides in progress now")).to_be_visible()
    # A rider from Aberdeen starts riding: the live map shows it without a reload.
    start_riding(fleet_and_history, "SN0002", 11, "3 Dock Rd,Aberdeen,AB11 5QN")
    expect(live).to_have_attribute("data-riding", "2", timeout=10_000)
    expect(live.locator("tr[data-area='AB']")).to_contain_text("Aberdeen")
    expect(live.locator("circle.dot")).to_have_count(2)
    # The heat map: today's rides, then the last 30 days, from the period menu.
    page.get_by_label("Period").select_option("today")
    page.get_by_role("button", name="Show").click()
    heat = page.locator("#heat-map")
    expect(heat).to_have_attribute("data-rides", "4")
    expect(page.get_by_role("img", name="Rides by postcode area: Today")).to_be_visible()
    expect(page.locator("tr[data-area='LS']").last).to_contain_text("2")
    assert heat.locator("path.area.heat-5").count() == 1  # Leeds, the busiest
    # The resistance boards among the leaderboards.
    page.get_by_role("link", name="Leaderboards").click()
    board = page.locator("[data-board='high_resistance_time']")
    expect(board.get_by_role("heading")).to_have_text("Time at high resistance (150 or more)")
    expect(board.locator("li")).to_have_count(2)
    expect(board.locator("li").first).to_contain_text("Grace Hopper")
    expect(page.locator("[data-board='avg_resistance'] li").first).to_contain_text("Ada Lovelace")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_map_and_leaderboards_pass_axe(fleet_and_history, browser_at, theme):
    SHOTS.mkdir(parents=True, exist_ok=True)
    # The pages' CSP refuses axe's injected script: this context bypasses it (axe only reads).
    staff = browser_at(bypass_csp=True, color_scheme=theme)
    log_in(staff)
    found = {}
    for name, path in (("map", "/staff/map?period=today"), ("leaderboards", "/staff/leaderboards?period=today")):
        page = staff.goto(path)
        assert page.evaluate("document.documentElement.dataset.theme") == theme
        found[name] = axe_violations(page)
        page.screenshot(path=str(SHOTS / f"{name}-{theme}.png"), full_page=True)
    phone = browser_at(bypass_csp=True, color_scheme=theme, viewport=PHONE)
    log_in(phone)
    page = phone.goto("/staff/map?period=today")
    found["map on a phone"] = axe_violations(page)
    page.screenshot(path=str(SHOTS / f"map-phone-{theme}.png"), full_page=True)
    assert found == {"map": [], "leaderboards": [], "map on a phone": []}
