"""Staff tools in real Chromium: acknowledging an alert, Today refreshing itself, sorting a table by
its header, the CSV download, and axe-core on the pages that show them, light and dark."""
import csv
import io
from pathlib import Path
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests.browser import RecordedPage, axe_violations, chromium, serve
from tests.test_web_screens import PHONE, browse, log_in  # noqa: F401 (browse: a fixture)
from tests.factories import add_alert, add_ride, add_staff, add_user, earlier_today, now

pytestmark = pytest.mark.browser


def alert_today(app, user_id: int = 7, seconds: int = 30) -> int:
    """An alert raised today for a rider (added to the warehouse if new); its id."""
    from app.models import User

    with app.app_context():
        if db.session.get(User, user_id) is None:
            add_user(user_id, "Grace Hopper" if user_id == 7 else f"Rider {user_id}")
        alert = add_alert(user_id, "SN0001", earlier_today(seconds=seconds))
        db.session.commit()
        return alert.alert_id


def test_staff_acknowledge_an_alert_on_today_with_a_note(app, browse):
    alert_id = alert_today(app)
    with app.app_context():
        add_staff()
    page = log_in(browse())
    note = page.get_by_label("Note on the alert of Grace Hopper")
    note.fill("Called the gym: she is fine")
    # Today keeps refreshing; while a note is being written it waits, and the text stays.
    expect(page.locator("#today")).to_have_attribute("data-refresh", "paused", timeout=15000)
    expect(note).to_have_value("Called the gym: she is fine")
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url("**/staff/")
    row = page.locator(f'tr[data-alert="{alert_id}"]')
    expect(row.locator(".ack-done")).to_contain_text("By ops")
    expect(row.locator(".ack-note")).to_have_text("Called the gym: she is fine")
    expect(page.locator(".flash")).to_contain_text(f"Alert {alert_id} acknowledged")
    expect(row.get_by_role("button", name="Acknowledge")).to_have_count(0)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Alerts").click()
    expect(page.locator(f'tr[data-alert="{alert_id}"] .ack-done')).to_contain_text("By ops")


def test_today_refreshes_itself_and_keeps_focus_and_scroll(app, browse):
    first = alert_today(app, seconds=60)
    with app.app_context():
        add_staff()
    page = log_in(browse(viewport={"width": 1280, "height": 420}))
    expect(page.locator("#today tbody tr")).to_have_count(1)
    page.locator(f"#alert-{first}-bike").focus()
    page.evaluate("window.scrollTo(0, 150)")
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0
    second = alert_today(app, user_id=8, seconds=10)  # raised while the page is open
    expect(page.locator(f'#today tr[data-alert="{second}"]')).to_have_count(1, timeout=15000)
    expect(page.locator("#today [data-figure=alerts]")).to_have_text("2")
    expect(page.locator(f"#alert-{first}-bike")).to_be_focused()
    assert page.evaluate("window.scrollY") == scrolled


@pytest.fixture
def rides_of_three(app):
    """Three riders, one ride each, with energies 4.5 (Grace), 9.0 (Ada) and 1.5 (Ayşe) kJ."""
    with app.app_context():
        for user_id, name, power, hours in ((7, "Grace Hopper", 150.0, 1), (8, "Ada Lovelace", 300.0, 2),
                                            (9, "Ayşe Øztürk", 50.0, 3)):
            add_user(user_id, name)
            add_ride(user_id, f"SN000{user_id}", now() - timedelta(hours=hours), seconds=30, power=power)
        add_staff()
        db.session.commit()


def test_staff_sort_rides_by_a_header_and_download_the_csv(app, browse, rides_of_three):
    page = log_in(browse(), "/staff/rides")
    energy = page.locator("th[data-sort=energy]")
    riders = page.locator("table tbody tr td:nth-child(2)")
    expect(energy).to_have_attribute("aria-sort", "none")
    energy.get_by_role("link", name="Energy").click()
    expect(energy).to_have_attribute("aria-sort", "ascending")
    expect(riders).to_have_text(["Ayşe Øztürk", "Grace Hopper", "Ada Lovelace"])
    energy.get_by_role("link", name="Energy").click()
    expect(energy).to_have_attribute("aria-sort", "descending")
    expect(riders).to_have_text(["Ada Lovelace", "Grace Hopper", "Ayşe Øztürk"])
    # A search keeps the sort; the CSV has what the page shows, in its order, on every page.
    page.get_by_label("Bike").fill("sn000")
    page.get_by_label("Search").fill("E")  # every name has an e, whatever its case or accent
    page.get_by_role("button", name="Search").click()
    expect(energy).to_have_attribute("aria-sort", "descending")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["rider"] for row in rows] == ["Ada Lovelace", "Grace Hopper", "Ayşe Øztürk"]
    # The rider's name leads to the rider page, and on to the ride page.
    page.get_by_role("link", name="Ayşe Øztürk").click()
    expect(page.locator("h1")).to_contain_text("Ayşe Øztürk")
    page.locator("table tbody tr td a").first.click()
    expect(page.locator("h1")).to_contain_text("Ride of Ayşe Øztürk")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_staff_tool_pages_pass_axe(app, browse, rides_of_three, theme):
    alert_today(app, seconds=40)
    acknowledged = alert_today(app, user_id=8, seconds=20)
    with app.app_context():
        from app.models import HrAlert, StaffUser
        from app.services.alerts.delivery import acknowledge_alert

        staff_id = db.session.scalars(db.select(StaffUser.staff_id)).first()
        assert db.session.get(HrAlert, acknowledged) is not None
        acknowledge_alert(acknowledged, staff_id, "Checked")
    recorded = browse(bypass_csp=True, color_scheme=theme)
    log_in(recorded)
    found = {}
    for path in ("/staff/", "/staff/alerts?sort=rider&dir=asc", "/staff/rides?sort=energy&dir=desc",
                 "/staff/riders?sort=rides&dir=desc", "/staff/riders/7"):
        page = recorded.goto(path)
        page.wait_for_load_state("load")
        assert page.evaluate("document.documentElement.dataset.theme") == theme
        found[path] = axe_violations(page)
    assert {path: v for path, v in found.items() if v} == {}


def test_staff_pages_with_an_alert_fit_a_phone(app, browse):
    """On a phone, a page with an alert to acknowledge scrolls its table, never the whole page sideways."""
    alert_today(app)
    with app.app_context():
        add_staff()
    recorded = browse(**PHONE)
    log_in(recorded)
    for path in ("/staff/", "/staff/alerts", "/staff/riders/7"):
        page = recorded.goto(path)
        expect(page.get_by_label("Note on the alert of Grace Hopper")).to_have_count(1)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path


@pytest.mark.parametrize("path, label, value, default", [
    ("/", "State", "above", ""), ("/staff/rides", "Age band", "25-34", ""),
    ("/staff/leaderboards", "Period", "30d", "7d"), ("/staff/map", "Period", "30d", "7d")])
def test_after_back_a_filter_shows_what_the_page_shows(app, browse, path, label, value, default):
    """Choose a filter, show it, go Back: the select says the page's own (unfiltered) value again."""
    with app.app_context():
        add_staff()
    page = log_in(browse(), path)
    select = page.get_by_role("search").get_by_label(label)
    select.select_option(value)
    select.evaluate("el => el.form.requestSubmit()")
    page.wait_for_url(f"**{label.lower().replace(' ', '_')}={value}*")
    expect(page.get_by_role("search").get_by_label(label)).to_have_value(value)
    page.go_back()
    page.wait_for_url(f"**{path}")
    expect(page.get_by_role("search").get_by_label(label)).to_have_value(default)


def test_after_back_from_the_back_forward_cache_the_fleet_filter_shows_the_url(app):
    """A page kept whole by the back/forward cache comes back with its filter reset to its URL's."""
    with serve(app) as base_url, chromium(back_forward_cache=True) as browser:
        recorded = RecordedPage(browser.new_context(), base_url)
        page = recorded.goto("/")
        page.evaluate("window.kept = true")
        page.get_by_label("State").select_option("above")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url("**state=above*")
        page.go_back(wait_until="commit")
        expect(page.get_by_label("State")).to_have_value("")
        assert page.evaluate("window.kept") is True  # the very page, from the cache: not a reload
        assert recorded.errors == []
