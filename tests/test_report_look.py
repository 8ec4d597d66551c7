"""The report as the CEO sees it: charts in the site's colours, changes coloured by whether they are good
news, the provisional/final mark on top, "1 ride", no PDF page mostly empty (pages looked at as pictures),
and the HTML in real Chromium with axe-core, light and dark (screenshots into CEOREPORT_SCREENSHOTS)."""
import os
import re
import subprocess
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pygal
import pytest
from PIL import Image
from playwright.sync_api import expect

from app.extensions import db
from app.services.report import mail as report_mail, build as reports
from app.services.report.charts import GENDER_COLOURS, ZONE_COLOURS
from app.services.report.links import report_link
from tests.browser import RecordedPage, axe_violations, chromium, serve
from tests.factories import OMAR, at, land, land_typical_day, put_ride, reading

DAY = date(2026, 3, 12)  # land_typical_day's report
SHOTS = Path(os.environ.get("CEOREPORT_SCREENSHOTS", "/tmp/ceoreport"))
APP_CSS = Path(__file__).resolve().parent.parent / "app" / "static" / "css" / "app.css"


def build(app, report_date: date = DAY):
    with app.app_context():
        stored = reports.build_report(report_date)
        db.session.expunge(stored)
        return stored


def pdf_pages(pdf: bytes, tmp_path, name: str) -> list[Path]:
    """The PDF's pages as PNG pictures (also kept in SHOTS to be looked at)."""
    (tmp_path / "report.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(tmp_path / "report.pdf"), str(tmp_path / name)], check=True)
    pages = sorted(tmp_path.glob(f"{name}-*.png"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    for old in SHOTS.glob(f"{name}-*.png"):
        old.unlink()
    for page in pages:
        Image.open(page).save(SHOTS / page.name)
    return pages


def content_reach(png: Path) -> float:
    """How far down the page's body (inside the margins that hold the running header and page number)
    the content reaches: 0 for a blank page, about 1 for a full one."""
    page = Image.open(png).convert("L")
    width, height = page.size
    top, bottom = int(height * 0.06), int(height * 0.94)
    ink = page.crop((0, top, width, bottom)).point(lambda v: 255 if v < 235 else 0)
    box = ink.getbbox()
    return 0 if box is None else box[3] / (bottom - top)


def page_text(pdf: bytes, tmp_path, page: int) -> str:
    (tmp_path / "report.pdf").write_bytes(pdf)
    return subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(tmp_path / "report.pdf"), "-"],
                          check=True, capture_output=True, text=True).stdout


def test_a_typical_day_fills_two_pdf_pages_each_marked_final_at_the_top(app, tmp_path):
    land_typical_day(app)
    stored = build(app)
    pages = pdf_pages(stored.pdf, tmp_path, "report-final-page")
    assert len(pages) == 2
    # Neither page is mostly empty: the content runs at least two thirds of the way down each.
    assert [reach > 0.66 for reach in map(content_reach, pages)] == [True, True]
    for page in (1, 2):
        assert page_text(stored.pdf, tmp_path, page).lstrip().startswith("FINAL")


def test_a_provisional_report_says_so_at_the_top_of_every_pdf_page_and_of_the_email(app, tmp_path):
    land_typical_day(app)
    readings = [reading(d, at("2026-03-12 16:30:00"), heart_rate=140, power=150.0) for d in range(1, 61)]
    put_ride(app.config["LIVE_DB_PATH"], "SN0009", at("2026-03-12 16:30:00"), OMAR, readings, status="open")
    stored = build(app)
    assert stored.status == "provisional"
    pages = pdf_pages(stored.pdf, tmp_path, "report-provisional-page")
    assert all(content_reach(page) > 0.5 for page in pages)
    first = page_text(stored.pdf, tmp_path, 1).lstrip()
    assert first.startswith("PROVISIONAL") and "PROVISIONAL. 1 ride was still in progress" in first
    assert all(page_text(stored.pdf, tmp_path, n).lstrip().startswith("PROVISIONAL") for n in range(2, len(pages) + 1))
    with app.test_request_context():
        message = report_mail.compose_email(stored, "ceo@deloton.example")
    assert message.subject == "Deloton daily report 2026-03-12 (provisional)"
    assert message.body.startswith("PROVISIONAL: 1 ride was still in progress at 16:45 and is not counted yet.")
    assert re.match(r"<!doctype html>\s*<html lang=\"en\">\s*<body[^>]*>\s*<p[^>]*><strong>PROVISIONAL:</strong>",
                    message.html)


def test_the_charts_are_drawn_in_the_sites_colours_not_pygals(app):
    land_typical_day(app)
    html = build(app).html
    # The zone colours are the live screens' own (app.css, light theme).
    light = APP_CSS.read_text().split("}", 1)[0]
    assert tuple(re.search(rf"--z{n}: (#\w+)", light)[1] for n in range(1, 6)) == ZONE_COLOURS
    [zones] = [svg for svg in re.findall(r"<svg.*?</svg>", html, re.S) if "Time in heart-rate zones" in svg]
    assert re.findall(r'style="fill: (#\w+)', zones) == list(ZONE_COLOURS)
    for colour in pygal.style.DefaultStyle.colors:
        assert colour.lower() not in html.lower()
    assert "stroke-dasharray:4,4" not in html.replace(" ", "")  # no dashed gridlines


def test_a_day_of_one_ride_says_one_ride_not_one_rides(app):
    land(app, "SN0001", at("2026-03-12 09:30:00"), OMAR, 60)
    stored = build(app)
    with app.test_request_context():
        message = report_mail.compose_email(stored, "ceo@deloton.example")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", stored.html)) + message.body + message.html
    assert "1 ride by 1 rider (1 new)" in text and "with 1 ride started" in text and "over 1 ride." in text
    assert re.search(r"Busiest hour 09:00–10:00 1 ride started", text)
    assert not re.search(r"\b1 (rides|riders|heart-rate alerts)\b", text)
    assert message.body.startswith("FINAL: every ride of the window is counted.")


def theme_colours(theme: str) -> dict:
    """The good-news and bad-news colours of the report's light and dark themes, as Chromium gives them."""
    return {"light": {"good": "rgb(30, 122, 67)", "bad": "rgb(179, 38, 30)"},
            "dark": {"good": "rgb(95, 208, 142)", "bad": "rgb(255, 107, 107)"}}[theme]


def rgb(hex_colour: str) -> str:
    return "rgb({}, {}, {})".format(*(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)))


BAR_FILLS = """title => [...document.querySelectorAll('svg')]
    .filter(svg => svg.querySelector('.title')?.textContent.startsWith(title))
    .flatMap(svg => [...svg.querySelectorAll('.series rect')].map(rect => getComputedStyle(rect).fill))"""


@pytest.mark.browser
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_report_in_chromium_passes_axe_with_its_colours_and_mark(app, theme):
    land_typical_day(app)
    build(app)
    with app.test_request_context():
        path = urlsplit(report_link(DAY)).path
    SHOTS.mkdir(parents=True, exist_ok=True)
    with serve(app) as base_url, chromium() as browser:
        # As served (with its Content-Security-Policy): nothing fetched, no error.
        served = RecordedPage(browser.new_context(color_scheme=theme), base_url)
        served.goto(path).wait_for_load_state("load")
        assert served.errors == [] and served.foreign_requests() == []
        # axe-core is injected, so this page bypasses the report's CSP (axe only reads).
        recorded = RecordedPage(browser.new_context(bypass_csp=True, color_scheme=theme,
                                                    viewport={"width": 1200, "height": 900}), base_url)
        page = recorded.goto(path)
        assert page.locator("main").count() == 1
        mark = page.locator("[data-status]")
        expect(mark).to_be_visible()
        expect(mark).to_have_text(re.compile(r"^Final\. Every ride of the window is counted"))
        assert mark.bounding_box()["y"] < page.locator("h1").bounding_box()["y"]
        # More rides is good news (green), more heart-rate alerts bad news (red), both going up.
        colours = theme_colours(theme)
        for figure, tone in (("rides", "good"), ("alerts", "bad")):
            cell = page.locator(f"[data-figure={figure}] td[data-tone]").first
            expect(cell).to_have_attribute("data-tone", tone)
            expect(cell).to_have_css("color", colours[tone])
        assert page.evaluate(BAR_FILLS, "Time in heart-rate zones") == [rgb(c) for c in ZONE_COLOURS]
        assert set(page.evaluate(BAR_FILLS, "Average ride length")) == {rgb(c) for c in GENDER_COLOURS.values()}
        page.screenshot(path=str(SHOTS / f"report-{theme}.png"), full_page=True)
        assert axe_violations(page) == []
        phone = RecordedPage(browser.new_context(bypass_csp=True, color_scheme=theme,
                                                 viewport={"width": 390, "height": 844}), base_url)
        page = phone.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
        page.screenshot(path=str(SHOTS / f"report-phone-{theme}.png"), full_page=True)
        assert axe_violations(page) == []


def test_the_report_html_has_no_id_twice(app, caplog):
    """Every id in the report is its own (pygal named each chart's legend entries alike)."""
    land_typical_day(app)
    html = build(app).html
    ids = re.findall(r"""\sid=["']([^"']+)["']""", html)
    assert len(ids) > 10  # the charts' and the map's
    assert sorted(i for i in set(ids) if ids.count(i) > 1) == []
    assert not [r.getMessage() for r in caplog.records if "defined twice" in r.getMessage()]  # WeasyPrint


@pytest.mark.browser
@pytest.mark.parametrize("theme", ["light", "dark"])
def test_a_provisional_report_fits_a_phone(app, theme):
    """On a phone the "Still in progress" table scrolls in its own box; the page never sideways."""
    land_typical_day(app)
    readings = [reading(d, at("2026-03-12 16:30:00"), heart_rate=140, power=150.0) for d in range(1, 61)]
    put_ride(app.config["LIVE_DB_PATH"], "SN0009", at("2026-03-12 16:30:00"), OMAR, readings, status="open")
    build(app)
    with app.test_request_context():
        path = urlsplit(report_link(DAY)).path
    with serve(app) as base_url, chromium() as browser:
        phone = RecordedPage(browser.new_context(bypass_csp=True, color_scheme=theme,
                                                 viewport={"width": 390, "height": 844}), base_url)
        page = phone.goto(path)
        region = page.get_by_role("region", name="Still in progress")
        expect(region.get_by_role("cell", name="SN0009")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll
        page.screenshot(path=str(SHOTS / f"report-provisional-phone-{theme}.png"), full_page=True)
        assert axe_violations(page) == []
