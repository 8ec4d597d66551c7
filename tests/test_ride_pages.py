"""Ride pages: for staff behind the login, for the rider by a signed expiring link, linked from every list."""
import re
import time
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from app.extensions import db
from app.models import HrAlert
from app.services.report.links import report_token
from app.services.rides import links as ride_links
from tests.factories import add_alert, add_ride, add_staff, add_user, earlier_today, log_in


@pytest.fixture
def ride_id(app):
    """A finished ride of today with one alert linked to it, and a staff account."""
    with app.app_context():
        add_user(42, "Maya Osei", gender="female")
        ride = add_ride(42, "SN0042", earlier_today(minutes=30), seconds=90, hr=150, power=180.0, rpm=85)
        alert = add_alert(42, "SN0042", ride.started_at + timedelta(seconds=61), heart_rate=191)
        alert.ride_id, alert.ride_started_at, alert.duration_s = ride.ride_id, ride.started_at, 61
        add_staff()
        db.session.commit()
        return ride.ride_id


def token_for(app, ride_id: int) -> str:
    with app.test_request_context():
        return ride_links.ride_token(ride_id)


def test_staff_ride_page_shows_the_figures_alerts_downloads_and_the_riders_link(app, client, ride_id):
    assert client.get(f"/rides/{ride_id}").status_code == 302  # the login first
    log_in(client)
    html = client.get(f"/rides/{ride_id}").get_data(as_text=True)
    assert "Ride of Maya Osei" in html and "bike SN0042" in html
    assert "1:30" in html and "180 <small>W avg</small>" in html and "150 <small>bpm avg</small>" in html
    assert "191 bpm" in html and "1:01" in html  # the alert, 61 s into the ride
    for fmt in ("csv", "tcx", "fit"):
        assert f'href="/rides/{ride_id}.{fmt}"' in html
    link = re.search(r'id="rider-link"[^>]*value="([^"]+)"', html).group(1)
    assert link.startswith("http://localhost:5000/r/")  # PUBLIC_BASE_URL, ready to send


def test_the_riders_link_opens_the_page_and_files_without_a_login_or_staff_pages(app, client, ride_id):
    token = token_for(app, ride_id)
    response = client.get(f"/r/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Ride of Maya" in html and "Maya Osei" not in html
    assert "/staff/" not in html and "Log out" not in html and "rider42@example.com" not in html
    assert "191 bpm" in html  # the rider sees their alert, without the email delivery
    fit = client.get(f"/r/{token}/ride.fit")
    assert fit.status_code == 200 and fit.mimetype == "application/vnd.ant.fit" and len(fit.data) > 100
    assert client.get(f"/r/{token}/ride.csv").get_data(as_text=True).count("\n") == 91  # header + 90 s


def test_an_altered_expired_or_foreign_link_is_refused_with_a_reason(app, client, ride_id):
    token = token_for(app, ride_id)
    altered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for url in (f"/r/{altered}", f"/r/{altered}/ride.fit"):
        response = client.get(url)
        assert response.status_code == 403 and "This link is not valid." in response.get_data(as_text=True)

    class MonthAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 31 * 24 * 3600  # past the default 30 days

    old = URLSafeTimedSerializer("test-secret", salt=ride_links.SALT, signer=MonthAgo).dumps({"ride": ride_id})
    response = client.get(f"/r/{old}/ride.tcx")
    assert response.status_code == 403 and "This link has expired" in response.get_data(as_text=True)
    app.config["RIDE_LINK_MAX_AGE_DAYS"] = 60  # the setting decides
    assert client.get(f"/r/{old}").status_code == 200
    with app.test_request_context():
        report = report_token(earlier_today(minutes=1).date())  # a report link is no ride link
    assert client.get(f"/r/{report}").status_code == 403


def test_unknown_rides_and_formats_are_404_not_500(app, client, ride_id):
    log_in(client)
    assert client.get("/rides/999999").status_code == 404
    assert client.get("/rides/999999.fit").status_code == 404
    assert client.get(f"/rides/{ride_id}.gpx").status_code == 404
    assert client.get(f"/r/{token_for(app, 999999)}").status_code == 404
    assert client.get(f"/r/{token_for(app, ride_id)}/ride.exe").status_code == 404
    assert client.get("/rides/9223372036854775808").status_code == 404  # past the database's range
    assert client.get("/rides/9223372036854775808.csv").status_code == 404


def ride_links_in(html: str) -> set[str]:
    return set(re.findall(r'href="(/rides/\d+|/r/[^"/]+)"', html))


def test_every_list_links_the_ride_page(app, client, ride_id):
    log_in(client)
    staff_lists = ["/staff/rides", "/staff/riders", "/staff/alerts", "/staff/", "/staff/leaderboards?period=all"]
    for url in staff_lists:
        assert f"/rides/{ride_id}" in ride_links_in(client.get(url).get_data(as_text=True)), url
    # The bike's own screen is public: it links the rider's signed link, not the staff page.
    recent = client.get("/bikes/SN0042?view=recent").get_data(as_text=True)
    (link,) = {href for href in ride_links_in(recent) if href.startswith("/r/")}
    rider = app.test_client()  # a rider has no staff login
    assert "Ride of Maya" in rider.get(link).get_data(as_text=True)


def test_an_alert_of_a_ride_in_progress_shows_no_link_yet(app, client, ride_id):
    with app.app_context():
        add_alert(42, "SN0042", earlier_today(minutes=1), heart_rate=188)
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count()).select_from(HrAlert)) == 2
    log_in(client)
    html = client.get("/staff/alerts").get_data(as_text=True)
    assert html.count(f'href="/rides/{ride_id}"') == 1 and "in progress" in html
