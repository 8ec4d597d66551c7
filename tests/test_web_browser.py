"""The live pages and staff pages in real headless Chromium, against the app on a real port."""
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from kafka import KafkaProducer
from playwright.sync_api import expect

from app.extensions import db
from app.live import store
from tests.browser import RecordedPage, chromium, serve
from tests.conftest import KAFKA_SERVERS
from tests.factories import (
    STAFF_PASSWORD, START, add_reading, add_ride, add_staff, add_user, FleetFeeder, rider_json,
    start_ride)

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def site(app):
    """The app served on a free port, and a fresh browser context (own storage) per test."""
    with serve(app) as base_url, chromium() as browser:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        pages = []

        def open_page() -> RecordedPage:
            pages.append(RecordedPage(context, base_url))
            return pages[-1]

        yield open_page
        for page in pages:
            assert page.foreign_requests() == []  # nothing leaves the machine
            assert page.errors == []  # no script error, no Content-Security-Policy violation
        context.close()


@pytest.fixture
def live(app):
    conn = store.connect(app.config["LIVE_DB_PATH"])
    yield conn
    conn.close()


def test_fleet_figures_change_without_a_reload(app, site):
    feeder = FleetFeeder(app.config["LIVE_DB_PATH"], {"SN0001": [120, 130], "SN0002": [140]})
    feeder.start()
    try:
        recorded = site()
        page = recorded.goto("/")
        page.evaluate("window.loadedOnce = true")
        elapsed = page.locator('[data-bike="SN0001"] .elapsed')
        first = elapsed.inner_text()
        # expect() polls from Playwright's side: a polled wait_for_function would need eval, which
        # the page's CSP refuses.
        expect(elapsed).not_to_have_text(first, timeout=10000)
        assert page.evaluate("window.loadedOnce") is True  # the same page: no reload
        assert page.locator('[data-bike="SN0002"]').is_visible()
    finally:
        feeder.stop()


def test_bike_page_warns_when_heart_rate_passes_the_limit(site, live):
    start = start_ride(live, "SN0001", rider_json())
    for second in range(1, 6):
        add_reading(live, "SN0001", start, second, 140)
    page = site().goto("/bikes/SN0001")
    assert page.locator(".hr-warning").count() == 0
    page.wait_for_selector('[data-chart="hr"] canvas')
    for second in range(6, 9):
        add_reading(live, "SN0001", start, second, 190)
    warning = page.wait_for_selector(".hr-warning", timeout=10000)
    assert "above your limit" in warning.inner_text()
    # The charts got the new readings too.
    expect(page.locator("[data-live-charts]")).to_have_attribute("data-points", "8", timeout=10000)
    assert page.locator("#live-status").inner_text() == "Warning: heart rate above your limit"


def test_the_switch_shows_recent_rides(app, site, live):
    start_ride(live, "SN0001", rider_json(user_id=7, name="Grace Hopper"))
    with app.app_context():
        add_user(7, "Grace Hopper")
        add_ride(7, "SN0001", START - timedelta(hours=2), seconds=120, power=180.0)
        db.session.commit()
    page = site().goto("/bikes/SN0001")
    page.get_by_role("link", name="Recent rides").click()
    page.wait_for_selector('[data-view="recent"]')
    assert page.url.endswith("view=recent")
    assert "Personal bests of Grace Hopper" in page.inner_text("#panel")
    page.wait_for_selector("[data-ride-chart] canvas")
    page.get_by_role("link", name="Current ride").click()
    page.wait_for_selector('[data-view="current"] #live-figures')


def test_dark_mode_is_remembered(site):
    recorded = site()
    page = recorded.goto("/")
    assert page.evaluate("document.documentElement.dataset.theme") == "light"
    page.get_by_role("button", name="Dark mode").click()
    page.reload()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.get_by_role("button", name="Dark mode").get_attribute("aria-pressed") == "true"


def test_staff_page_refuses_a_visitor_and_serves_a_logged_in_user(app, site):
    with app.app_context():
        add_staff()
    page = site().goto("/staff/alerts")
    assert "/staff/login" in page.url
    page.get_by_label("Username").fill("ops")
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("h1:has-text('Heart-rate alerts')")
    assert page.url.endswith("/staff/alerts")


@pytest.mark.slow
def test_fleet_page_shows_bikes_from_a_real_stream(app, site, kafka_topic):
    """Produce two bikes' lines to Kafka, run the real consumer, watch the fleet page change."""
    env = {**os.environ, "LIVE_DB_PATH": app.config["LIVE_DB_PATH"],
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": app.config["REDIS_URL"]}
    consumer = subprocess.Popen([sys.executable, "consumer.py", "--bootstrap-servers", KAFKA_SERVERS,
                                 "--topic", kafka_topic, "--group-id", f"g-{kafka_topic}"],
                                cwd=ROOT, env={**env, "PYTHONDONTWRITEBYTECODE": "1"})
    producer = KafkaProducer(bootstrap_servers=KAFKA_SERVERS)
    try:
        live_db = Path(app.config["LIVE_DB_PATH"])
        for _ in range(100):  # the consumer creates the live store; the page only reads it
            if live_db.exists():
                break
            time.sleep(0.1)
        page = site().goto("/")
        for second in range(1, 30):
            for serial in ("SN0001", "SN0002"):
                for line in stream_lines(serial, second):
                    producer.send(kafka_topic, key=serial.encode(), value=line)
            producer.flush()
            if second == 3:
                page.wait_for_selector('[data-bike="SN0002"] .elapsed', timeout=20000)
                first = page.inner_text('[data-bike="SN0001"] .elapsed')
            time.sleep(0.2)
        expect(page.locator('[data-bike="SN0001"] .elapsed')).not_to_have_text(first, timeout=20000)
    finally:
        producer.close()
        consumer.terminate()
        consumer.wait(10)


def stream_lines(serial: str, second: int) -> list[bytes]:
    """The Kafka values a bike sends in one second ([SYSTEM] first)."""
    import json

    ts = (START + timedelta(seconds=second)).strftime("%Y-%m-%d %H:%M:%S.%f")
    lines = []
    if second == 1:
        lines.append(f"{ts} mendoza v9: [SYSTEM] data = {json.dumps(rider_json(bike_serial=serial))}")
    lines.append(f"{ts} mendoza v9: [INFO]: Ride - duration = {second}.0; resistance = 40")
    lines.append(f"{ts} mendoza v9: [INFO]: Telemetry - hrt = {100 + second}; rpm = 60; power = 120.5")
    return [json.dumps({"log": line + "\n"}).encode() for line in lines]


def test_the_api_docs_page_works_offline_and_tries_a_call(app, site):
    from app.services.accounts.api_keys import create_api_key

    with app.app_context():
        key = create_api_key("reader", "docs page")
    page = site().goto("/api/docs")
    page.get_by_text("/api/daily").first.wait_for(timeout=15000)
    assert page.get_by_text("/api/leaderboard").count() >= 1
    page.locator("button.authorize").first.click()
    dialog = page.locator(".modal-ux")
    dialog.locator("input").first.fill(key)
    dialog.locator(".auth-btn-wrapper button", has_text="Authorize").click()
    dialog.locator(".auth-btn-wrapper button", has_text="Close").click()
    page.get_by_text("/api/daily").first.click()
    page.get_by_role("button", name="Try it out").first.click()
    page.get_by_role("button", name="Execute").first.click()
    status = page.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=15000)
    assert status.inner_text().strip() == "200"
