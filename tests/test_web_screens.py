"""What a rider and staff see in real Chromium: zone bars, the switch, Back, focus, the banner's
pulse, alert names and email status, ride charts, reports, layout, search and accessibility (axe)."""
import io
import re
import time
from contextlib import ExitStack
from datetime import date, timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect

from app.extensions import db
from app.live import store
from tests.browser import RecordedPage, axe_violations, chromium, serve
from tests.factories import (
    STAFF_PASSWORD, START, add_reading, add_ride, add_staff, add_user, earlier_today, FleetFeeder,
    HrAlertFactory, now, rider_json, start_ride)

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}


@pytest.fixture
def browse(app):
    """open(**context options) -> a RecordedPage in a fresh browser context, on the served app.
    Every page must end with no script error, no CSP violation and no request elsewhere."""
    with serve(app) as base_url, chromium() as browser, ExitStack() as contexts:
        pages = []

        def open_page(**options) -> RecordedPage:
            options.setdefault("viewport", {"width": 1280, "height": 900})
            context = browser.new_context(**options)
            contexts.callback(context.close)
            # A stored report is a page of its own with no icon: Chromium asks for /favicon.ico.
            context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
            pages.append(RecordedPage(context, base_url))
            return pages[-1]

        yield open_page
        for page in pages:
            assert page.foreign_requests() == []
            assert page.errors == []


@pytest.fixture
def live(app):
    conn = store.connect(app.config["LIVE_DB_PATH"])
    yield conn
    conn.close()


def ride_above_limit(live, serial="SN0001", seconds=5, **rider) -> str:
    """A ride in progress whose every reading is above the rider's limit (all of it in zone 5)."""
    start = start_ride(live, serial, rider_json(bike_serial=serial, **rider))
    for second in range(1, seconds + 1):
        add_reading(live, serial, start, second, 190)
    return start


def log_in(recorded: RecordedPage, path="/staff/"):
    """Log in through the form; lands on `path`."""
    page = recorded.goto("/staff/login?next=" + path)
    page.get_by_label("Username").fill("ops")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**" + path)
    return page


def box_of(page, selector: str) -> dict:
    """The element's box, read in one go: the figures are replaced every second, at the same place."""
    return page.evaluate("""s => { const r = document.querySelector(s).getBoundingClientRect();
        return {x: r.x, y: r.y, width: r.width, height: r.height}; }""", selector)


def light_share(png: bytes) -> float:
    """The share of an image's pixels that are light (luminance over 200 of 255)."""
    pixels = Image.open(io.BytesIO(png)).convert("L").tobytes()
    return sum(p > 200 for p in pixels) / len(pixels)


# Zone bars ---------------------------------------------------------------------------------------

def test_a_zone_with_no_time_is_drawn_as_an_empty_bar(browse, live):
    ride_above_limit(live)
    page = browse(viewport={"width": 1280, "height": 1600}).goto("/bikes/SN0001")  # zones in view
    expect(page.locator(".zone-list li.z1 .zone-time")).to_have_text("0:00")
    # The empty track is light in the light theme (Chromium painted it #3b3b3b: a full dark bar).
    assert light_share(page.screenshot(clip=box_of(page, ".zone-list li.z1 progress"))) > 0.6
    # The zone with all the time is filled with its colour.
    assert light_share(page.screenshot(clip=box_of(page, ".zone-list li.z5 progress"))) < 0.4


# The switch, Back and the history ----------------------------------------------------------------

def test_the_switch_moves_its_highlight_with_the_panel(app, browse, live):
    ride_above_limit(live)
    page = browse().goto("/bikes/SN0001")
    current, recent = page.locator("#switch-current"), page.locator("#switch-recent")
    expect(current).to_have_attribute("aria-current", "page")
    recent.click()
    page.wait_for_selector('[data-view="recent"]')
    expect(page.locator("#switch-recent")).to_have_attribute("aria-current", "page")
    expect(page.locator("#switch-current")).not_to_have_attribute("aria-current", "page")
    page.locator("#switch-current").click()
    page.wait_for_selector('[data-view="current"] #live-figures')
    expect(page.locator("#switch-current")).to_have_attribute("aria-current", "page")
    expect(page.locator("#switch-recent")).not_to_have_attribute("aria-current", "page")


def test_back_shows_the_whole_page_again(browse, live):
    ride_above_limit(live)
    page = browse().goto("/bikes/SN0001")
    page.locator("#switch-recent").click()
    page.wait_for_selector('[data-view="recent"]')
    # Back between the two views, when htmx has no snapshot of the page (a history-cache miss):
    # the whole page comes back, live, and without a CSP error (the fixture checks the console).
    page.evaluate("sessionStorage.clear()")
    page.go_back()
    page.wait_for_selector('[data-view="current"] #live-figures')
    assert page.url.endswith("/bikes/SN0001")
    expect(page.locator(".site-header")).to_be_visible()  # the page, not the bare panel
    expect(page.locator("#switch-current")).to_have_attribute("aria-current", "page")
    expect(page.locator('[data-chart="hr"] canvas')).to_have_count(1)
    # Leave for the fleet and come Back: the page again.
    page.go_forward()
    page.wait_for_selector('[data-view="recent"]')
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Fleet").click()
    page.wait_for_selector("#fleet")
    page.go_back()
    page.wait_for_selector('[data-view="recent"]')
    expect(page.locator(".site-header")).to_be_visible()
    expect(page.locator("#switch-recent")).to_have_attribute("aria-current", "page")


def test_a_history_restore_request_gets_the_page_and_fragments_stay_out_of_caches(client, live):
    ride_above_limit(live)
    fragment = client.get("/bikes/SN0001?view=recent", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"] and "no-store" in fragment.headers["Cache-Control"]
    restore = client.get("/bikes/SN0001?view=recent",
                         headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True) and 'class="site-header"' in restore.get_data(as_text=True)
    page = client.get("/bikes/SN0001")
    assert "HX-Request" in page.headers["Vary"]


# The fleet: focus and tidy cards -----------------------------------------------------------------

def test_keyboard_focus_stays_on_a_fleet_link_while_the_grid_updates(app, browse):
    feeder = FleetFeeder(app.config["LIVE_DB_PATH"], {"SN0001": [120, 130], "SN0002": [140]})
    feeder.start()
    try:
        page = browse().goto("/")
        link = page.locator("#bike-SN0002")
        page.keyboard.press("Tab")  # the skip link, then the brand, the nav, the theme, the bikes
        for _ in range(10):
            if page.evaluate("document.activeElement.id") == "bike-SN0002":
                break
            page.keyboard.press("Tab")
        expect(link).to_be_focused()
        elapsed = page.locator('[data-bike="SN0001"] .elapsed')
        for _ in range(2):  # two swaps of the grid
            first = elapsed.inner_text()
            expect(elapsed).not_to_have_text(first, timeout=10000)
        expect(page.locator("#bike-SN0002")).to_be_focused()
    finally:
        feeder.stop()


def test_fleet_cards_keep_the_serial_clear_of_the_badge(browse, live):
    for n in range(1, 5):
        ride_above_limit(live, serial=f"SD1252b6f5b5{n}")
    page = browse(viewport={"width": 1280, "height": 900}).goto("/")
    expect(page.locator("li.bike")).to_have_count(4)
    # Read in one go: the grid is replaced every second.
    cards = page.evaluate("""() => [...document.querySelectorAll('li.bike')].map(card => {
        const box = s => card.querySelector(s).getBoundingClientRect();
        return {serial: box('.bike-serial'), badge: box('.badge'),
                labels: [...card.querySelectorAll('.fleet-figures dt')].map(dt => {
                    const r = dt.getBoundingClientRect(); return [r.top, r.height]; })}; })""")
    for card in cards:
        assert card["serial"]["bottom"] <= card["badge"]["top"] or card["serial"]["right"] <= card["badge"]["left"]
        # Time, heart rate and power side by side, no label wrapped to a second line.
        assert len({tuple(label) for label in card["labels"]}) == 1


def test_fleet_search_filters_sorting_and_pages(app, browse, live):
    for n in range(120):  # idle bikes: two pages
        live.execute("INSERT INTO bikes (bike_serial, last_seen_wall) VALUES (?, ?)", (f"ID{n:04d}", time.time()))
    live.commit()
    ride_above_limit(live, serial="ZZ0001", user_id=1, name="Bob Stone")
    hold = start_ride(live, "ZZ0002", rider_json(user_id=2, name="Ayşe Stone", bike_serial="ZZ0002"))
    add_reading(live, "ZZ0002", hold, 1, 0)
    page = browse().goto("/")
    tiles = page.locator("li.bike")
    # By urgency: above the limit, then hold the handlebars, then the idle bikes by serial.
    expect(tiles.nth(0)).to_have_attribute("data-bike", "ZZ0001")
    expect(tiles.nth(0).locator(".badge")).to_have_text("Above the limit")
    expect(tiles.nth(1).locator(".badge")).to_have_text("Hold the handlebars")
    expect(tiles.nth(2)).to_have_attribute("data-bike", "ID0000")
    expect(tiles).to_have_count(100)
    page.get_by_role("link", name="Next").click()
    expect(page.locator(".pager span")).to_have_text("Page 2 of 2 · 122 bikes")
    expect(tiles).to_have_count(22)
    expect(tiles.nth(0)).to_have_attribute("data-bike", "ID0098")
    # Search by the rider's name, accents aside.
    page.get_by_label("Serial or rider").fill("ayse")
    page.get_by_role("button", name="Search").click()
    expect(tiles).to_have_count(1)
    expect(tiles.nth(0)).to_have_attribute("data-bike", "ZZ0002")
    # A state filter; the grid's updates keep the search: a new matching bike appears, no other.
    page.get_by_label("Serial or rider").fill("stone")
    page.get_by_label("State").select_option(label="Above the limit")
    page.get_by_role("button", name="Search").click()
    expect(tiles).to_have_count(1)
    ride_above_limit(live, serial="ZZ0003", user_id=3, name="Cal Stone")
    ride_above_limit(live, serial="ZZ0004", user_id=4, name="Dee Rock")
    expect(tiles).to_have_count(2, timeout=10000)
    assert page.evaluate("[...document.querySelectorAll('li.bike')].map(t => t.dataset.bike)") == ["ZZ0001", "ZZ0003"]


def test_fleet_updates_touch_only_the_tiles_that_changed(app, browse, live):
    for n in range(60):  # enough to scroll
        live.execute("INSERT INTO bikes (bike_serial, last_seen_wall) VALUES (?, ?)", (f"ID{n:04d}", time.time()))
    live.commit()
    feeder = FleetFeeder(app.config["LIVE_DB_PATH"], {"SN0001": [120, 130]})
    feeder.start()
    try:
        page = browse().goto("/")
        page.mouse.wheel(0, 600)
        page.wait_for_function("window.scrollY > 0")
        scrolled = page.evaluate("window.scrollY")
        # Mark every tile's element: the same elements must still be there after updates.
        page.evaluate("document.querySelectorAll('li.bike').forEach(t => { t.kept = true; })")
        elapsed = page.locator('[data-bike="SN0001"] .elapsed')
        for _ in range(2):
            first = elapsed.inner_text()
            expect(elapsed).not_to_have_text(first, timeout=10000)
        assert page.evaluate("[...document.querySelectorAll('li.bike')].every(t => t.kept)")
        assert page.evaluate("window.scrollY") == scrolled
    finally:
        feeder.stop()


# The above-limit banner --------------------------------------------------------------------------

def test_the_above_limit_banner_pulses_on_across_updates(browse, live):
    ride_above_limit(live)
    page = browse().goto("/bikes/SN0001")
    banner = page.locator(".hr-warning")
    expect(banner).to_have_count(1)
    before = page.evaluate("""() => { const el = document.querySelector('.hr-warning');
        el.dataset.old = 'yes'; return el.getAnimations()[0].startTime; }""")
    expect(page.locator(".hr-warning:not([data-old])")).to_have_count(1, timeout=10000)  # replaced
    after = page.evaluate("document.querySelector('.hr-warning').getAnimations()[0].startTime")
    assert after == before  # the same pulse goes on; a restarted one would blink every second


# Alerts: the rider's name for staff, the email's fate for the rider --------------------------------

def alert_of_ride_in_progress(app, start: str, user_id: int, status: str = "sent") -> None:
    """The warehouse's alert of a ride still in progress (its rider not yet in the warehouse)."""
    with app.app_context():
        HrAlertFactory(bike_serial="SN0001", ride_started_at=store.from_text(start), duration_s=3,
                       user_id=user_id, raised_at=earlier_today(minutes=1), heart_rate=190,
                       hr_limit_bpm=174.4, recipient="steven.p@gmail.com", status=status,
                       last_error="cannot email" if status == "failed" else None)
        db.session.commit()


def test_staff_see_the_rider_of_an_alert_raised_during_a_ride_in_progress(app, browse, live):
    start = ride_above_limit(live, user_id=8002, name="Ayşe Yılmaz")
    alert_of_ride_in_progress(app, start, 8002)
    with app.app_context():
        add_staff()
    page = log_in(browse())
    row = page.locator("table tbody tr").first
    expect(row).to_contain_text("Ayşe Yılmaz")
    expect(row).not_to_contain_text("user 8002")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts").click()
    expect(page.locator("table tbody tr").first).to_contain_text("Ayşe Yılmaz")


def test_the_bike_says_when_the_alert_email_failed(app, browse, live):
    start = ride_above_limit(live)
    live.execute("INSERT INTO alerts VALUES ('SN0001', ?, 3, ?, 190, 174.4)", (start, "x"))
    live.commit()
    alert_of_ride_in_progress(app, start, 100, status="failed")
    page = browse().goto("/bikes/SN0001")
    note = page.locator(".alerts-sent")
    expect(note).to_contain_text("could not be sent")
    expect(note).not_to_contain_text("on its way")


# Recent rides, leaderboards and reports ----------------------------------------------------------

def test_recent_ride_charts_are_tall_enough_to_read(app, browse, live):
    start_ride(live, "SN0001", rider_json(user_id=7, name="Grace Hopper"))
    with app.app_context():
        add_user(7, "Grace Hopper")
        add_ride(7, "SN0001", START - timedelta(hours=2), seconds=120, power=180.0)
        db.session.commit()
    page = browse().goto("/bikes/SN0001?view=recent")
    plot = page.locator("[data-ride-chart] .u-over").first
    plot.wait_for()
    assert plot.bounding_box()["height"] >= 100  # it was about 30 px


def test_one_ride_is_one_ride_on_the_leaderboards(app, browse):
    with app.app_context():
        add_user(7, "Grace Hopper")
        add_ride(7, "SN0001", now() - timedelta(hours=2))
        add_staff()
        db.session.commit()
    page = log_in(browse(), "/staff/leaderboards")
    board = page.locator('[data-board="rides"]')
    expect(board).to_contain_text("1 ride")
    expect(board).not_to_contain_text("1 rides")


@pytest.fixture
def stored_report(app):
    """A stored report of a day with no ride (its HTML is built by the real code)."""
    from app.services.report import build as reports

    with app.app_context():
        add_staff()
        reports.build_report(date(2026, 11, 20))
    return "2026-11-20"


def test_the_report_view_shows_the_whole_report_without_its_own_scrollbar(app, browse, stored_report):
    page = log_in(browse(), f"/reports/{stored_report}")
    frame = page.locator("iframe.report-frame")
    expect(page.frame_locator("iframe.report-frame").locator("h1")).to_contain_text("Deloton daily report")
    page.wait_for_load_state("load")
    sizes = frame.evaluate("f => [f.clientHeight, f.contentDocument.documentElement.scrollHeight]")
    assert sizes[1] <= sizes[0]  # the frame is as tall as the report: nothing scrolls inside it


@pytest.mark.parametrize("system, chosen", [("light", "dark"), ("dark", "light")])
def test_the_report_in_the_page_takes_the_theme_chosen_on_the_site(app, browse, stored_report, system, chosen):
    """The framed report follows the site's Dark mode switch, not only the system's setting."""
    background = {"light": "rgb(255, 255, 255)", "dark": "rgb(15, 18, 22)"}
    page = log_in(browse(color_scheme=system), f"/reports/{stored_report}")
    report = page.frame_locator("iframe.report-frame").locator("body")
    expect(report).to_have_css("background-color", background[system])
    page.get_by_role("button", name="Dark mode").click()
    expect(report).to_have_css("background-color", background[chosen])
    page.reload()  # the choice is remembered, and the report shown in it from the start
    expect(page.locator("html")).to_have_attribute("data-theme", chosen)
    expect(report).to_have_css("background-color", background[chosen])


# Staff search and pages --------------------------------------------------------------------------

def test_staff_search_ignores_case_and_accents_and_pages_stay_in_range(app, browse):
    with app.app_context():
        add_user(7, "Ayşe Øztürk")
        add_user(8, "Grace Hopper")
        add_ride(7, "SD1252b6f5b5", now() - timedelta(hours=2))
        add_ride(8, "SN0002", now() - timedelta(hours=3))
        add_staff()
        db.session.commit()
    page = log_in(browse(), "/staff/rides")
    rows = page.locator("table tbody tr")
    for query in ("ayse", "AYSE OZTURK", "Øz"):
        page.get_by_label("Search").fill(query)
        page.get_by_role("button", name="Search").click()
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Ayşe Øztürk")
    page.get_by_label("Search").fill("")
    page.get_by_label("Bike").fill("sd1252")  # part of a serial, any case
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("SD1252b6f5b5")
    page.goto(page.url.split("?")[0] + "?page=99")
    expect(page.locator(".pager")).to_contain_text("Page 1 of 1")
    expect(page.locator(".pager a[rel=prev]")).to_have_count(0)
    page.goto(page.url.split("?")[0] + "?page=99999999999999999999999")
    expect(page.locator("h1")).to_have_text("Rides")  # not a server error
    expect(page.locator(".pager")).to_contain_text("Page 1 of 1")
    page.get_by_label("From").fill("2026-11-20")
    page.get_by_label("To").fill("2026-11-10")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".filters .error")).to_contain_text("To is before From")


def test_staff_lists_answer_a_page_past_any_offset(app, client):
    with app.app_context():
        add_staff()
    from tests.factories import log_in as log_in_client

    log_in_client(client)
    for path in ("/staff/rides", "/staff/riders", "/staff/alerts"):
        response = client.get(path + "?page=99999999999999999999999")
        assert response.status_code == 200 and "Page 1 of 1" in response.get_data(as_text=True)


# Layout: staff figures, the phone header ---------------------------------------------------------

def test_staff_figures_are_not_indented(app, browse, live):
    with app.app_context():
        add_staff()
    page = log_in(browse())
    for dd in page.locator("dl.grid dd").all():
        assert dd.evaluate("el => getComputedStyle(el).marginLeft") == "0px"


@pytest.mark.parametrize("staff", [False, True], ids=["rider", "staff"])
def test_the_header_stays_small_on_a_phone(app, browse, live, staff):
    ride_above_limit(live)
    recorded = browse(**PHONE)
    if staff:
        with app.app_context():
            add_staff()
        page = log_in(recorded, "/staff/rides")
    else:
        page = recorded.goto("/bikes/SN0001")
    assert page.locator(".site-header").bounding_box()["height"] <= 100  # it was 110 and 245 px


# Accessibility: axe-core on the live and staff pages, light and dark ------------------------------



@pytest.mark.parametrize("theme", ["light", "dark"])
def test_live_and_staff_pages_pass_axe(app, browse, live, theme, stored_report):
    ride_above_limit(live)  # riding, above the limit
    quiet = start_ride(live, "SN0002", rider_json(user_id=101, bike_serial="SN0002"))
    add_reading(live, "SN0002", quiet, 1, 120)
    live.execute("UPDATE bikes SET last_seen_wall = 0 WHERE bike_serial = 'SN0002'")  # silent
    live.commit()
    with app.app_context():
        add_user(100, "Steven Pearce")
        add_ride(100, "SN0001", now() - timedelta(hours=2))
        add_ride(100, "SN0003", now() - timedelta(hours=1), power=180.0)  # SN0003's ride summary
        db.session.commit()
    # The pages' CSP refuses axe's injected script: this context bypasses it (axe only reads).
    recorded = browse(bypass_csp=True, color_scheme=theme)
    found = {}
    for path in ("/", "/?q=sn&state=above", "/bikes/SN0001", "/bikes/SN0002", "/bikes/SN0003", "/bikes/SN0001?view=recent",
                 "/staff/login"):
        page = recorded.goto(path)
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.dataset.theme") == theme
        found[path] = axe_violations(page)
    log_in(recorded)
    for path in ("/", "/staff/", "/staff/alerts", "/staff/quarantine", "/staff/rides", "/staff/riders",
                 "/staff/leaderboards", "/staff/deletes", "/reports/", f"/reports/{stored_report}",
                 f"/reports/{stored_report}/report.html"):
        page = recorded.goto(path)
        page.wait_for_load_state("load")
        found[path] = axe_violations(page)
    assert {path: v for path, v in found.items() if v} == {}


def test_the_report_file_has_a_main_landmark(browse, stored_report):
    page = log_in(browse(bypass_csp=True), f"/reports/{stored_report}/report.html")
    expect(page.get_by_role("main")).to_have_count(1)


def test_the_archive_trend_shows_both_lines_and_more_alerts_read_as_bad_news(app, browse):
    from app.services.report import build as reports
    from tests.factories import add_alerts, at

    add_alerts(app, at("2026-11-20 10:00:00"), at("2026-11-20 10:01:00"))  # none the day before
    with app.app_context():
        add_staff()
        reports.build_report(date(2026, 11, 19))
        reports.build_report(date(2026, 11, 20))
    page = log_in(browse(bypass_csp=True), "/reports/2026-11-20/report.html")
    change = page.locator('tr[data-figure="alerts"] td').nth(3)
    expect(change).to_contain_text("▲")
    red, green, blue = map(int, re.findall(r"\d+", change.evaluate("el => getComputedStyle(el).color"))[:3])
    assert red > 150 and green < 80 and blue < 80  # red (bad news), not green
    page.goto(page.url.split("/reports/")[0] + "/reports/trend.svg")
    assert page.locator("g.axis.y2").count() == 0  # one axis: no line hidden on a second one
    expect(page.locator("g.series path.line")).to_have_count(2)  # rides and riding time
    # The legend lies inside the picture (its bottom was cut off under the slanted dates).
    legend = page.evaluate("""() => { const svg = document.documentElement, back = svg.getScreenCTM().inverse();
        return [...svg.querySelectorAll('.legends text')].map(text => { const b = text.getBBox();
            const corner = new DOMPoint(b.x + b.width, b.y + b.height).matrixTransform(back.multiply(text.getScreenCTM()));
            return [text.textContent, corner.x <= svg.viewBox.baseVal.width, corner.y <= svg.viewBox.baseVal.height]; }); }""")
    assert legend == [["Rides", True, True], ["Riding time (h)", True, True]]
