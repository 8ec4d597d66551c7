"""A bike's cockpit in real Chromium: one screen at 1280x800 and on a phone, the zone-shaded heart-rate
chart in minutes, pacing against the rider's best and last rides, the live leaderboard, and the
ride-end summary shown until the next rider starts."""
import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import event

from app.extensions import db
from tests import factories as lw
from tests.test_web_screens import PHONE, box_of, browse, live  # noqa: F401 (fixtures)
from tests.factories import add_ride, add_user

SCREENS = {"laptop": {"viewport": {"width": 1280, "height": 800}}, "phone": PHONE}


def riding(live, serial="SN0001", seconds=150, user_id=100, name="Steven Pearce", power=150.0,
           heart_rate=130, started_at=lw.START) -> str:
    """A ride in progress with `seconds` readings at a steady power."""
    start = lw.start_ride(live, serial, lw.rider_json(user_id=user_id, name=name, bike_serial=serial),
                          started_at)
    for second in range(1, seconds + 1):
        lw.add_reading(live, serial, start, second, heart_rate, power=power)
    return start


def earlier_rides(app, user_id=100, name="Steven Pearce"):
    """The rider's best ride (most energy, 200 W) six days ago and last ride (100 W) two days ago."""
    with app.app_context():
        add_user(user_id, name)
        add_ride(user_id, "SN0009", lw.START - timedelta(days=6), seconds=600, power=200.0)
        add_ride(user_id, "SN0009", lw.START - timedelta(days=2), seconds=300, power=100.0)
        db.session.commit()


def colourful_share(png: bytes) -> float:
    """The share of an image's pixels with a clear colour (not white, grey or black)."""
    hsv = Image.open(io.BytesIO(png)).convert("HSV").tobytes()
    saturation = hsv[1::3]
    return sum(s > 15 for s in saturation) / len(saturation)


@pytest.mark.browser
@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("heart_rate, notice", [(130, None), (190, ".hr-warning"), (0, ".notice-hold")])
def test_the_cockpit_fits_one_screen_with_everything_on_it(app, browse, live, screen, heart_rate, notice):
    earlier_rides(app)
    start = riding(live, heart_rate=heart_rate)
    if heart_rate > 174.4:  # above the limit long enough for the consumer to raise an alert
        live.execute("INSERT INTO alerts VALUES ('SN0001', ?, 3, ?, ?, 174.4)", (start, "x", heart_rate))
        live.commit()
    riding(live, "SN0002", seconds=20, user_id=101, name="Ada Lovelace")
    page = browse(**SCREENS[screen]).goto("/bikes/SN0001")
    expect(page.locator("[data-live-charts]")).to_have_attribute("data-points", re.compile("[1-9]"))
    # The rider's name, large; the figures; the averages and maxima; zones; the chart; pacing.
    name = page.locator(".cockpit-name")
    expect(name).to_have_text("Steven Pearce")
    assert float(name.evaluate("el => getComputedStyle(el).fontSize")[:-2]) >= 22
    if notice is None:
        expect(page.locator('[data-figure="hr"]')).to_contain_text("130")
        expect(page.locator(".figure-hr .figure-sub")).to_contain_text("% of limit")
    else:  # the warning or the notice is on screen, and whole
        expect(page.locator(notice)).to_be_visible()
        box = box_of(page, notice)
        assert box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"]
    for figure in ("power", "rpm", "elapsed", "energy"):
        expect(page.locator(f'[data-figure="{figure}"]')).to_be_visible()
    expect(page.locator('[data-stat="power"]')).to_contain_text("150 W")
    expect(page.locator(".zone-list li")).to_have_count(5)
    expect(page.locator('[data-pace="best"]')).to_be_visible()
    # Nothing below the fold and nothing off the side: the page does not scroll at all.
    size = page.evaluate("""() => ({bottom: document.getElementById('panel').getBoundingClientRect().bottom,
        height: innerHeight, scroll: document.documentElement.scrollWidth, width: innerWidth})""")
    assert size["bottom"] <= size["height"] and size["scroll"] <= size["width"]


@pytest.mark.browser
def test_the_heart_rate_chart_shades_its_zones_and_counts_minutes(app, browse, live):
    riding(live, seconds=150)
    page = browse(viewport={"width": 1280, "height": 800}).goto("/bikes/SN0001")
    expect(page.locator("[data-live-charts]")).to_have_attribute("data-points", "150")
    chart = page.locator('[data-chart="hr"] .uplot')
    expect(chart).to_have_attribute("data-time-ticks", "0:30 1 1:30 2 2:30")
    # The five zones are painted under the line: most of the plot is coloured, not only the line.
    share = colourful_share(page.screenshot(clip=box_of(page, '[data-chart="hr"] canvas')))
    assert share > 0.4


@pytest.mark.browser
def test_a_flat_heart_rate_keeps_the_zones_on_the_chart(app, browse, live):
    riding(live, seconds=30, heart_rate=183)
    page = browse(viewport={"width": 1280, "height": 800}).goto("/bikes/SN0001")
    expect(page.locator("[data-live-charts]")).to_have_attribute("data-points", "30")
    limit = page.evaluate("fetch('/bikes/SN0001/series.json').then(r => r.json()).then(d => d.limit)")
    chart = page.locator('[data-chart="hr"] .uplot')
    # The y axis was 182.8-183 (one "182.9" tick) and the zone bands vanished: it now reaches from
    # half the limit up past the limit and the heart rate, so every zone's band is on it.
    low, high = map(float, chart.get_attribute("data-y-scale").split())
    assert high - low >= 20
    assert low <= 0.5 * limit and high >= max(183, limit) + 5
    assert colourful_share(page.screenshot(clip=box_of(page, '[data-chart="hr"] canvas'))) > 0.4


@pytest.mark.browser
def test_pacing_compares_with_the_best_and_last_ride_and_ranks_the_rides_in_progress(app, browse, live):
    earlier_rides(app)
    start = riding(live, seconds=60)  # 9.0 kJ at 1:00; the best had 12.0 kJ, the last 6.0 kJ
    riding(live, "SN0002", seconds=60, user_id=101, name="Ada Lovelace", power=200.0)  # 12.0 kJ
    page = browse(viewport={"width": 1280, "height": 800}).goto("/bikes/SN0001")
    best, last = page.locator('[data-pace="best"]'), page.locator('[data-pace="last"]')
    expect(best).to_contain_text("−3.0 kJ behind")
    expect(best).to_contain_text("12.0 kJ at 1:00")
    expect(last).to_contain_text("+3.0 kJ ahead")
    expect(page.locator(".pace-place")).to_contain_text("2nd of 2 riding now")
    expect(page.locator(".live-board li.me")).to_contain_text("Steven")
    # Steven pedals harder for 30 s: he passes Ada, live, on the same screen.
    for second in range(61, 91):
        lw.add_reading(live, "SN0001", start, second, 130, power=400.0)
    expect(page.locator(".pace-place")).to_contain_text("1st of 2 riding now", timeout=10000)
    expect(best).to_contain_text("+3.0 kJ ahead")  # 21.0 kJ at 1:30 against 18.0 kJ
    page.reload()
    expect(page.locator(".pace-place")).to_contain_text("1st of 2 riding now")


@pytest.mark.browser
def test_the_ride_summary_stays_until_the_next_rider_starts(app, browse, live):
    earlier_rides(app)
    start = riding(live, seconds=400, power=250.0)  # 100.0 kJ: less time and energy than the best ride
    page = browse(viewport={"width": 1280, "height": 800}).goto("/bikes/SN0001")
    expect(page.locator(".cockpit-name")).to_have_text("Steven Pearce")
    lw.end_ride(live, "SN0001", start)
    summary = page.locator(".ride-summary")
    expect(summary).to_contain_text("Steven Pearce", timeout=10000)
    expect(summary.locator('[data-total="time"]')).to_have_text("6:40")
    expect(summary.locator('[data-total="energy"]')).to_contain_text("100.0")
    # Against the last ride (5:00, 30.0 kJ); of the personal bests (10:00, 120 kJ, 200 W) it beats
    # only the average power.
    expect(summary.locator(".summary-last")).to_contain_text("+1:40")
    expect(summary.locator(".summary-last")).to_contain_text("+70.0 kJ")
    expect(summary.locator(".pb-badge")).to_have_text(["Personal best: highest average power"])
    expect(summary.locator(".zone-list li.z3 .zone-time")).not_to_have_text("0:00")
    size = page.evaluate("() => document.getElementById('panel').getBoundingClientRect().bottom")
    assert size <= 800
    page.reload()
    expect(page.locator(".ride-summary")).to_contain_text("Steven Pearce")
    # The next rider starts: the cockpit is back, with the new name and the chart.
    riding(live, seconds=3, user_id=101, name="Ada Lovelace", started_at=lw.START + timedelta(hours=1))
    expect(page.locator(".cockpit-name")).to_have_text("Ada Lovelace", timeout=10000)
    expect(page.locator('[data-chart="hr"] canvas')).to_be_visible()


def test_a_first_ride_gets_its_own_badge_and_no_comparison(app, client, live):
    start = riding(live, seconds=5)
    lw.end_ride(live, "SN0001", start)
    html = client.get("/bikes/SN0001").get_data(as_text=True)
    assert 'data-badge="first"' in html and "first ride" in html and 'data-vs-last="no"' in html


def test_comparison_rides_are_read_once_per_ride_not_every_second(app, client, live):
    earlier_rides(app)
    riding(live, seconds=10)
    statements = []
    with app.app_context():
        engine = db.engine
    listen = lambda *args: statements.append(args[2])  # noqa: E731 (the statement's text)
    event.listen(engine, "before_cursor_execute", listen)
    try:
        pages = [client.get("/bikes/SN0001", headers={"HX-Request": "true", "HX-Target": "live-figures"})
                 .get_data(as_text=True) for _ in range(5)]
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert all('data-pace="best"' in page and "−0.5 kJ" in page for page in pages)  # 1.5 against 2.0
    assert sum("ride_readings" in sql for sql in statements) == 2  # the best and the last ride, once
