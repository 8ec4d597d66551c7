"""The stored report: a self-contained HTML file with charts, a PDF with the same figures, rebuilt in place."""
import re
import subprocess
from datetime import date

from app.extensions import db
from app.models import DailyReport
from app.services.report import build as reports
from tests.factories import land_march_day

DAY = date(2026, 3, 10)
# Anything a browser would fetch: src/href/xlink:href attributes, CSS url() and @import.
FETCHES = re.compile(r"""(?:\bsrc|\bhref|xlink:href|\bdata|\baction)\s*=\s*["']?\s*(?!#|data:)[^"'\s>]+|"""
                     r"""url\(\s*["']?(?!#|data:)|@import""", re.I)


def pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_the_html_stands_alone_with_its_charts_and_the_pdf_has_the_same_figures(app, tmp_path):
    land_march_day(app)
    with app.app_context():
        stored = reports.build_report(DAY)
        html, pdf, headline = stored.html, stored.pdf, stored.headline
    assert FETCHES.findall(html) == []
    assert not re.search(r"<(script|link|img|iframe)\b", html, re.I)
    # Five charts (the top riders are a table) and the heat map.
    assert html.count("<svg") == 6 and "Rides started per hour" in html
    # The heat map of riders' postcode areas: every rider of the fixture lives in E (East London).
    assert "Where the riders live" in html and "E East London: 5" in html
    assert html.index("!!WARNING!!") < html.index("<h1>")
    assert headline["rides"] == 5 and headline["busiest_hour"] == "18:00–19:00"
    text = pdf_text(pdf, tmp_path)
    assert pdf.startswith(b"%PDF") and "!!WARNING!!" in text and "Page 1 of" in text
    assert "Where the riders live" in text and "Rides by area, busiest first: E East London 5." in text
    for figure in ("Rides", "Riders", "New riders", "Total energy", "Heart-rate alerts", "Highest power"):
        assert figure in text
    assert re.search(r"Rides\s+5\s+1\b", text) and re.search(r"Total energy\s+41\.0 kJ\s+3\.0 kJ", text)
    assert re.search(r"Heart-rate alerts\s+6\s+0\b", text) and "Jane Doe" in text


def test_building_again_replaces_the_report_for_that_date(app):
    with app.app_context():
        first = reports.build_report(DAY).built_at
    land_march_day(app)
    with app.app_context():
        again = reports.build_report(DAY)
        assert again.built_at > first and again.headline["rides"] == 5
        assert db.session.scalar(db.select(db.func.count()).select_from(DailyReport)) == 1


def test_a_day_without_rides_gives_a_report_that_says_so(app, tmp_path):
    with app.app_context():
        stored = reports.build_report(date(2026, 1, 10))
    assert "No rides were recorded" in stored.html and "<svg" not in stored.html
    assert "No rides were recorded" in pdf_text(stored.pdf, tmp_path)


def test_the_report_command_builds_on_demand_and_stores_the_email_without_a_mail_server(app, runner):
    land_march_day(app)
    result = runner.invoke(args=["deloton", "report", "--date", "2026-03-10"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "report 2026-03-10: 5 rides, 4 riders, 6 heart-rate alerts !!WARNING!!; version 1, final"
    refused = runner.invoke(args=["deloton", "report", "--date", "2026-03-10", "--email"])
    assert refused.exit_code == 1 and "CEO_EMAIL is not set" in refused.output
    app.config["CEO_EMAIL"] = "ceo@deloton.example"
    stored = runner.invoke(args=["deloton", "report", "--date", "2026-03-10", "--email"])
    assert stored.exit_code == 0 and "the email was stored with the report, not sent" in stored.output
    with app.app_context():
        report = db.session.get(DailyReport, DAY)
        assert (report.email_status, report.email_to, report.emailed_at) == ("stored", "ceo@deloton.example", None)
        assert report.email_subject == "!!WARNING!! Deloton daily report 2026-03-10"
        assert "Rides: 5" in report.email_text and "/reports/signed/" in report.email_text
    bad = runner.invoke(args=["deloton", "report", "--date", "10-03-2026"])
    assert bad.exit_code == 2 and "Invalid value for '--date'" in bad.output
