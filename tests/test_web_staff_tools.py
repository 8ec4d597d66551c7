"""Staff tools: acknowledging alerts, sorted tables, CSV of what the filters show, the rider page."""
import csv
import io
import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import HrAlert, Ride, StaffUser, User
from app.services.pages.csv_export import safe_cell
from tests.factories import add_alert, add_ride, add_staff, add_user, csrf_token, earlier_today, log_in, now


@pytest.fixture
def one_alert(app) -> int:
    """The id of one alert raised today for Grace Hopper."""
    with app.app_context():
        if db.session.get(User, 7) is None:
            add_user(7, "Grace Hopper")
        alert = add_alert(7, "SN0001", earlier_today(seconds=5))
        db.session.commit()
        return alert.alert_id


def acknowledge(client, alert_id: int, note: str = "", next_url: str = "/staff/alerts", token=True):
    """Post the acknowledgement form of an alert."""
    data = {"note": note, "next": next_url}
    if token:
        data["csrf_token"] = csrf_token(client, "/staff/alerts")
    return client.post(f"/staff/alerts/{alert_id}/acknowledge", data=data)


def stored_alert(app, alert_id: int) -> HrAlert:
    """The alert as stored now."""
    with app.app_context():
        return db.session.get(HrAlert, alert_id)


def test_acknowledging_an_alert_records_who_when_and_the_note(app, staff_client, one_alert):
    response = acknowledge(staff_client, one_alert, note="Called the gym: rider is fine")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/alerts"
    alert = stored_alert(app, one_alert)
    with app.app_context():
        ops = db.session.scalars(db.select(StaffUser)).one()
    assert alert.acknowledged_by == ops.staff_id and alert.acknowledged_at is not None
    assert alert.acknowledgement_note == "Called the gym: rider is fine"
    for page in ("/staff/alerts", "/staff/"):
        html = staff_client.get(page).get_data(as_text=True)
        assert "By ops" in html and "Called the gym: rider is fine" in html
        assert f'/staff/alerts/{one_alert}/acknowledge' not in html  # no second form


def test_a_second_acknowledgement_changes_nothing(app, staff_client, one_alert):
    acknowledge(staff_client, one_alert, note="first")
    with app.app_context():
        add_staff("nightshift")
    staff_client.get("/staff/logout")
    other = app.test_client()
    log_in(other, username="nightshift")
    answer = acknowledge(other, one_alert, note="second")
    assert answer.status_code == 302
    assert stored_alert(app, one_alert).acknowledgement_note == "first"
    assert "already acknowledged" in other.get("/staff/alerts").get_data(as_text=True)


def test_an_acknowledgement_needs_the_csrf_token_and_a_short_note(app, staff_client, one_alert):
    assert acknowledge(staff_client, one_alert, token=False).status_code == 400
    too_long = acknowledge(staff_client, one_alert, note="x" * 501)
    assert too_long.status_code == 302
    assert stored_alert(app, one_alert).acknowledged_at is None
    assert "Not acknowledged" in staff_client.get("/staff/alerts").get_data(as_text=True)
    assert staff_client.post("/staff/alerts/99999999999999999999/acknowledge").status_code == 404


def test_an_acknowledgement_never_sends_staff_off_site(staff_client, one_alert):
    response = acknowledge(staff_client, one_alert, next_url="https://evil.example/")
    assert response.headers["Location"] == "/staff/"


@pytest.fixture
def three_rides(app):
    """Three riders with a ride each: energies 4.5, 9.0 and 1.5 kJ."""
    with app.app_context():
        for user_id, name, power, hours in ((7, "Grace Hopper", 150.0, 1), (8, "Ada Lovelace", 300.0, 2),
                                            (9, "=HYPERLINK(\"http://x\")", 50.0, 3)):
            add_user(user_id, name, gender="female" if user_id == 8 else "male")
            add_ride(user_id, f"SN000{user_id}", now() - timedelta(hours=hours), seconds=30, power=power)
        db.session.commit()


def rider_order(html: str) -> list[str]:
    """The riders' names in the order the rides table shows them."""
    return re.findall(r'href="/staff/riders/\d+">([^<]+)</a>', html)


def test_rides_sort_by_a_column_either_way(staff_client, three_rides):
    ascending = staff_client.get("/staff/rides?sort=energy&dir=asc").get_data(as_text=True)
    assert rider_order(ascending)[:2] == ["=HYPERLINK(&#34;http://x&#34;)", "Grace Hopper"]
    assert 'aria-sort="ascending" data-sort="energy"' in ascending
    assert 'aria-sort="none" data-sort="started"' in ascending
    # The header of the sorted column asks for the other direction.
    assert "sort=energy&amp;dir=desc" in ascending
    descending = staff_client.get("/staff/rides?sort=energy&dir=desc").get_data(as_text=True)
    assert rider_order(descending)[0] == "Ada Lovelace"


@pytest.mark.parametrize("query", ["sort=password_hash", "sort=energy;drop table rides", "sort=energy&dir=sideways"])
def test_a_sort_outside_the_whitelist_is_ignored(staff_client, three_rides, query):
    response = staff_client.get("/staff/rides?" + query)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    if "dir=sideways" in query:
        assert 'aria-sort="ascending" data-sort="energy"' in html
    else:  # the default order: newest first
        assert rider_order(html)[0] == "Grace Hopper"
        assert 'aria-sort="descending" data-sort="started"' in html


def test_pager_and_csv_links_keep_filters_and_sort(app, staff_client, three_rides):
    app.config["STAFF_PAGE_SIZE"] = 1
    html = staff_client.get("/staff/rides?gender=male&sort=rider&dir=desc").get_data(as_text=True)
    next_link = re.search(r'href="([^"]+)" rel="next"', html).group(1)
    assert "gender=male" in next_link and "sort=rider" in next_link and "dir=desc" in next_link
    csv_link = re.search(r'href="([^"]+)" download', html).group(1)
    assert csv_link.startswith("/staff/rides.csv?") and "page=" not in csv_link
    assert "gender=male" in csv_link and "sort=rider" in csv_link


def read_csv(response) -> list[dict]:
    """A CSV download's rows as dicts."""
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_rides_csv_has_every_row_the_filters_select_in_the_page_order(app, staff_client, three_rides):
    app.config["STAFF_PAGE_SIZE"] = 1  # the CSV is not paged
    rows = read_csv(staff_client.get("/staff/rides.csv?gender=male&sort=energy&dir=desc"))
    assert [row["rider"] for row in rows] == ["Grace Hopper", "'=HYPERLINK(\"http://x\")"]
    assert rows[0]["energy_kj"] == "4.5" and rows[0]["bike_serial"] == "SN0007"
    folded = read_csv(staff_client.get("/staff/riders.csv?q=LOVELACE"))
    assert [row["name"] for row in folded] == ["Ada Lovelace"] and folded[0]["rides"] == "1"


def test_alerts_csv_carries_the_acknowledgement(app, staff_client, one_alert):
    acknowledge(staff_client, one_alert, note="-1 bpm off, a glitch")
    rows = read_csv(staff_client.get("/staff/alerts.csv?status=sent"))
    assert len(rows) == 1 and rows[0]["rider"] == "Grace Hopper"
    assert rows[0]["acknowledged_by"] == "ops" and rows[0]["acknowledgement_note"] == "'-1 bpm off, a glitch"
    assert read_csv(staff_client.get("/staff/alerts.csv?status=failed")) == []


def test_csv_downloads_need_a_login(client):
    for path in ("/staff/rides.csv", "/staff/riders.csv", "/staff/alerts.csv"):
        assert client.get(path).status_code == 302


@pytest.mark.parametrize("value, cell", [("=1+2", "'=1+2"), ("+44 113", "'+44 113"), ("-x", "'-x"),
                                         ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("Ayşe", "Ayşe"),
                                         (-5, -5), (None, "")])
def test_csv_cells_that_a_spreadsheet_would_run_are_made_text(value, cell):
    assert safe_cell(value) == cell


def test_the_rider_page_shows_details_rides_and_alerts(app, staff_client, three_rides, one_alert):
    html = staff_client.get("/staff/riders/7").get_data(as_text=True)
    assert "Grace Hopper" in html and "rider7@example.com" in html and "SN0007" in html
    assert "SN0008" not in html  # only this rider's rides
    assert f'data-alert="{one_alert}"' in html
    assert staff_client.get("/staff/riders/424242").status_code == 404
    assert staff_client.get("/staff/riders/99999999999999999999").status_code == 404
    # Names link to the rider page, from the rides, riders and alerts tables and the ride page.
    with app.app_context():
        ride_id = db.session.scalar(db.select(Ride.ride_id).where(Ride.user_id == 7))
    for page in ("/staff/rides", "/staff/riders", "/staff/alerts", f"/rides/{ride_id}"):
        assert 'href="/staff/riders/7"' in staff_client.get(page).get_data(as_text=True), page


def test_today_answers_htmx_with_its_fragment(staff_client, one_alert):
    fragment = staff_client.get("/staff/", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert "<html" not in text and 'id="today"' in text and "Grace Hopper" in text
    assert "HX-Request" in fragment.headers["Vary"] and fragment.headers["Cache-Control"] == "no-store"
    page = staff_client.get("/staff/").get_data(as_text=True)
    assert "<html" in page and 'hx-trigger="every 5s"' in page


def test_a_poll_after_the_session_ended_reloads_the_page_to_the_login(client):
    # Not the login page swapped into Today's fragment: htmx reloads the page, which then redirects.
    response = client.get("/staff/", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Refresh"] == "true"
