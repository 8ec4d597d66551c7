"""The report email at a real SMTP server, its signed links, and the archive's login."""
import re
import time
from datetime import date

from itsdangerous import URLSafeTimedSerializer

from app.extensions import db
from app.models import DailyReport
from app.services.report import mail as report_mail, build as reports
from app.services.report.links import SALT
from tests.factories import add_staff, land_march_day, log_in

DAY = date(2026, 3, 10)


def links_in(message) -> list[str]:
    text = message.get_body(("plain",)).get_content()
    return re.findall(r"https://reports\.deloton\.example(/\S+)", text)


def send_report(app, sink):
    land_march_day(app)
    with app.app_context():
        reports.build_report(DAY)
        assert report_mail.email_report(DAY) == "sent"
    [(_, message)] = sink.messages
    return message


def test_the_email_arrives_with_headline_figures_and_working_signed_links(mail_app, smtp):
    message = send_report(mail_app, smtp)
    assert message["To"] == "ceo@deloton.example"
    assert message["Subject"] == "!!WARNING!! Deloton daily report 2026-03-10"
    text = message.get_body(("plain",)).get_content()
    assert "Rides: 5" in text and "Heart-rate alerts: 6" in text and "Busiest hour: 18:00–19:00" in text
    assert "!!WARNING!!" in message.get_body(("html",)).get_content()
    report_path, archive_path = links_in(message)
    client = mail_app.test_client()  # no login
    report = client.get(report_path)
    assert report.status_code == 200 and report.mimetype == "text/html"
    assert "Deloton daily report: Tuesday 10 March 2026" in report.get_data(as_text=True)
    archive = client.get(archive_path)
    page = archive.get_data(as_text=True)
    assert archive.status_code == 200 and "2026-03-10" in page
    trend = client.get(re.search(r'<img src="([^"]+trend\.svg)"', page).group(1))
    assert trend.status_code == 200 and trend.mimetype == "image/svg+xml" and b"<svg" in trend.data
    pdf_path = re.search(r'href="([^"]+/report\.pdf\?download=1)"', page).group(1)
    pdf = client.get(pdf_path)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and "attachment" in pdf.headers["Content-Disposition"]
    with mail_app.app_context():
        assert db.session.get(DailyReport, DAY).emailed_at is not None


def test_an_altered_or_expired_link_is_refused(mail_app, smtp):
    report_path, archive_path = links_in(send_report(mail_app, smtp))
    client = mail_app.test_client()
    token = report_path.rsplit("/", 1)[1]
    altered = report_path[:-len(token)] + token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert client.get(altered).status_code == 403
    # A link for the report cannot be stretched to another one.
    other = report_path + "/2026-03-09/report.html"
    assert client.get(other).status_code == 403
    # Signed with another key (someone guessing the format): refused.
    forged = URLSafeTimedSerializer("not-the-key", salt=SALT).dumps({"scope": "archive"})
    assert client.get(f"/reports/signed/{forged}").status_code == 403
    # Expired: a token signed a day ago with a lifetime of an hour.
    mail_app.config["REPORT_LINK_MAX_AGE_S"] = 3600
    old = OldSerializer(mail_app.config["SECRET_KEY"], salt=SALT).dumps({"scope": "archive"})
    refused = client.get(f"/reports/signed/{old}")
    assert refused.status_code == 403 and "expired" in refused.get_data(as_text=True)
    assert client.get(archive_path).status_code == 200


class OldSerializer(URLSafeTimedSerializer):
    """Signs as if it were a day ago."""

    def make_signer(self, salt=None):
        signer = super().make_signer(salt)
        signer.get_timestamp = lambda: int(time.time()) - 86400
        return signer


def test_the_archive_refuses_a_visitor(app, client):
    land_march_day(app)
    with app.app_context():
        reports.build_report(DAY)
    for url in ("/reports/", "/reports/2026-03-10", "/reports/2026-03-10/report.pdf", "/reports/trend.svg"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login?next=")


def test_the_archive_serves_staff_logged_in_on_the_staff_pages(app, client):
    land_march_day(app)
    with app.app_context():
        reports.build_report(DAY)
        add_staff()
    assert log_in(client).status_code == 302
    page = client.get("/reports/").get_data(as_text=True)
    assert "2026-03-10" in page and "!!WARNING!!" in page and 'href="/reports/"' in page  # the nav's slot
    assert client.get("/reports/trend.svg").mimetype == "image/svg+xml"
    assert "/reports/2026-03-10/report.html" in client.get("/reports/2026-03-10").get_data(as_text=True)
    html = client.get("/reports/2026-03-10/report.html")
    assert html.status_code == 200 and "default-src 'none'" in html.headers["Content-Security-Policy"]
    assert html.headers["X-Frame-Options"] == "SAMEORIGIN"  # shown in the archive's frame
    pdf = client.get("/reports/2026-03-10/report.pdf?download=1")
    assert pdf.data.startswith(b"%PDF") and "attachment" in pdf.headers["Content-Disposition"]
    assert client.get("/reports/2026-02-30").status_code == 404
    assert client.get("/reports/2026-01-01").status_code == 404
