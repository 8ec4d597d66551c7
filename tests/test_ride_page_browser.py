"""A ride page in real Chromium: from the staff list to the zone-shaded chart, the downloads, the
rider's signed link in a browser with no login, and axe-core light and dark (screenshots too)."""
import os
from pathlib import Path

import pytest
from garmin_fit_sdk import Decoder, Stream
from playwright.sync_api import expect

from app.extensions import db
from tests.browser import RecordedPage, axe_violations, chromium, serve
from tests.recorded_ride_landing import land_recorded_ride
from tests.factories import STAFF_PASSWORD, add_staff

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("RIDEPAGE_SCREENSHOTS", "/tmp/ridepage"))
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def ride_id(app):
    """The recorded 498-second ride landed through the pipeline, and a staff account."""
    ride_id, _ = land_recorded_ride(app)
    with app.app_context():
        add_staff()
        db.session.commit()
    return ride_id


@pytest.fixture
def browser_at(app):
    """A browser and the app's base URL; new_page(**context options) opens a page in a fresh context."""
    with serve(app) as base_url, chromium() as browser:
        pages = []

        def new_page(**options) -> RecordedPage:
            context = browser.new_context(**{"viewport": {"width": 1200, "height": 900},
                                             "accept_downloads": True, **options})
            pages.append(RecordedPage(context, base_url))
            return pages[-1]

        yield new_page
        for page in pages:
            assert page.foreign_requests() == []  # nothing leaves the machine
            assert page.errors == []  # no script error, no Content-Security-Policy violation


def log_in(recorded: RecordedPage) -> None:
    page = recorded.goto("/staff/login")
    page.get_by_label("Username").fill("ops")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("h1:has-text('Today')")


def band_colours(page) -> int:
    """How many colours fill at least 12 px running down the heart-rate chart's plot, near its left
    edge (the zone bands; a plain chart has one background there)."""
    return page.evaluate("""() => {
        const canvas = document.querySelector('[data-chart="hr"] canvas');
        const ctx = canvas.getContext('2d');
        const x = Math.round(canvas.width * 0.12);
        const column = ctx.getImageData(x, 0, 1, canvas.height).data;
        const runs = new Set(); let run = 0, last = '';
        for (let y = 0; y < canvas.height; y++) {
            const px = column.slice(y * 4, y * 4 + 4).join(',');
            run = px === last ? run + 1 : 1; last = px;
            if (run >= 12 && px !== '0,0,0,0') runs.add(px);
        }
        return runs.size; }""")


def test_staff_open_a_ride_from_the_list_see_its_zones_and_download_it(ride_id, browser_at):
    staff = browser_at()
    log_in(staff)
    page = staff.goto("/staff/rides")
    page.get_by_role("link", name="07 Jul 2022 00:29").click()  # the start in DELOTON_TZ
    expect(page.get_by_role("heading", name="Ride of Steven Pearce")).to_be_visible()
    charts = page.locator("[data-ride-page-charts]")
    expect(charts).to_have_attribute("data-points", "498", timeout=10000)
    expect(page.locator('[data-chart="power"] canvas')).to_be_visible()
    assert band_colours(page) >= 3  # the heart rate is drawn over the zones' colours
    assert page.locator(".zone-table tbody tr").count() == 5

    with page.expect_download() as download:
        page.get_by_role("link", name="FIT file").click()
    assert download.value.suggested_filename.startswith(f"deloton-ride-{ride_id}-20220706-232935")
    fit = Path(download.value.path()).read_bytes()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(fit))).read()
    assert errors == [] and len(messages["record_mesgs"]) == 498

    link = page.locator("#rider-link").input_value()
    rider = browser_at()  # another browser profile: no staff login
    rider_page = rider.goto(link.removeprefix("http://localhost:5000"))
    expect(rider_page.get_by_role("heading", name="Ride of Steven")).to_be_visible()
    assert rider_page.get_by_role("link", name="Staff").count() == 0
    expect(rider_page.locator("[data-ride-page-charts]")).to_have_attribute("data-points", "498", timeout=10000)
    with rider_page.expect_download() as download:
        rider_page.get_by_role("link", name="TCX file").click()
    assert b"<Trackpoint>" in Path(download.value.path()).read_bytes()




@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_ride_pages_pass_axe(app, ride_id, browser_at, theme):
    with app.test_request_context():
        from app.services.rides.links import ride_token
        rider_path = f"/r/{ride_token(ride_id)}"
    # The pages' CSP refuses axe's injected script: this context bypasses it (axe only reads).
    staff = browser_at(bypass_csp=True, color_scheme=theme)
    log_in(staff)
    found = {}
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in (("staff", f"/rides/{ride_id}"), ("rider", rider_path)):
        page = staff.goto(path)
        expect(page.locator("[data-ride-page-charts]")).to_have_attribute("data-points", "498", timeout=10000)
        assert page.evaluate("document.documentElement.dataset.theme") == theme
        found[name] = axe_violations(page)
        page.screenshot(path=str(SHOTS / f"ride-{name}-{theme}.png"), full_page=True)
    phone = browser_at(bypass_csp=True, color_scheme=theme, viewport=PHONE)
    page = phone.goto(rider_path)
    expect(page.locator("[data-ride-page-charts]")).to_have_attribute("data-points", "498", timeout=10000)
    found["rider on a phone"] = axe_violations(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scroll
    page.screenshot(path=str(SHOTS / f"ride-rider-phone-{theme}.png"), full_page=True)
    assert {name: v for name, v in found.items() if v} == {}
