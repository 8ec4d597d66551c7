"""DELETE /api/ride/<id> leaves a trace: an audit row, a log line, the staff page, and a note on the report."""
import logging
import re
from datetime import date

from app.extensions import db
from app.models import HrAlert, Ride, RideDeletion, RideReading
from app.services.accounts.api_keys import create_api_key
from app.services.report import build as reports
from app.services.report.links import report_link
from tests.factories import JANE, add_alerts, add_staff, at, HrAlertFactory, land, land_march_day, log_in

DAY = date(2026, 3, 10)


def jane_ride(app) -> int:
    """The ride of Jane in the March fixture day, with a heart-rate alert raised during it."""
    with app.app_context():
        ride = db.session.scalars(db.select(Ride).where(Ride.user_id == JANE["user_id"],
                                                        Ride.started_at == at("2026-03-09 18:10:00"))).one()
        HrAlertFactory(bike_serial=ride.bike_serial, ride_started_at=ride.started_at, duration_s=30,
                       ride_id=ride.ride_id, user_id=ride.user_id, raised_at=at("2026-03-09 18:10:30"),
                       heart_rate=190, hr_limit_bpm=180.0, status="sent", recipient=None)
        db.session.commit()
        return ride.ride_id


def admin_key(app) -> tuple[str, str]:
    """A new admin key (and its public prefix) named 'cleanup script'."""
    with app.app_context():
        key = create_api_key("admin", "cleanup script")
    return key, key.split("_")[1]


def test_a_delete_is_audited_logged_and_shown_to_staff(app, client, caplog):
    land_march_day(app)
    ride_id = jane_ride(app)
    key, prefix = admin_key(app)
    with caplog.at_level(logging.INFO, logger="app.services.rides.deletes"):
        response = client.delete(f"/api/ride/{ride_id}", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 204
    with app.app_context():
        [row] = db.session.scalars(db.select(RideDeletion)).all()
        assert (row.ride_id, row.bike_serial, row.started_at) == (ride_id, "SN0002", at("2026-03-09 18:10:00"))
        assert (row.key_name, row.key_prefix, row.user_id, row.rider_name) == ("cleanup script", prefix, 200,
                                                                              "Mrs Jane Doe")
        assert (row.readings_deleted, row.alerts_kept) == (120, 1)
        # What a delete removes and what it keeps.
        assert db.session.get(Ride, ride_id) is None
        assert db.session.scalar(db.select(db.func.count()).select_from(RideReading)
                                 .where(RideReading.ride_id == ride_id)) == 0
        kept = db.session.scalars(db.select(HrAlert).where(HrAlert.bike_serial == "SN0002")).one()
        assert kept.ride_id is None
    [record] = [r for r in caplog.records if r.name == "app.services.rides.deletes"]
    assert f"ride {ride_id} deleted by API key 'cleanup script' ({prefix}...)" in record.getMessage()

    with app.app_context():
        add_staff()
    log_in(client)
    nav = client.get("/staff/").get_data(as_text=True)
    assert 'href="/staff/deletes"' in nav
    page = client.get("/staff/deletes").get_data(as_text=True)
    assert "cleanup script" in page and prefix in page and "SN0002" in page and "Mrs Jane Doe" in page
    assert "2026-03-09 18:10:00 UTC" in page


def test_an_unknown_ride_or_a_reader_key_deletes_nothing_and_records_nothing(app, client):
    land(app, "SN0001", at("2026-03-10 09:30:00"), JANE, 10)
    key, _ = admin_key(app)
    with app.app_context():
        reader = create_api_key("reader", "dashboard")
        ride_id = db.session.scalar(db.select(Ride.ride_id))
    assert client.delete("/api/ride/999999", headers={"Authorization": f"Bearer {key}"}).status_code == 404
    assert client.delete(f"/api/ride/{ride_id}", headers={"Authorization": f"Bearer {reader}"}).status_code == 403
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(RideDeletion)) == 0
        assert db.session.get(Ride, ride_id) is not None


def test_a_report_that_counted_a_deleted_ride_says_so_when_next_viewed(app, client):
    land_march_day(app)
    ride_id = jane_ride(app)
    with app.app_context():
        reports.build_report(DAY)
        signed = report_link(DAY).split("://", 1)[1].split("/", 1)[1]
        add_staff()
    assert "deleted" not in client.get("/" + signed).get_data(as_text=True)
    key, prefix = admin_key(app)
    client.delete(f"/api/ride/{ride_id}", headers={"Authorization": f"Bearer {key}"})

    note = "Since this report was built, 1 ride it counted was deleted"
    html = client.get("/" + signed).get_data(as_text=True)  # the email's link, no login
    assert note in html and f"Ride {ride_id} (bike SN0002" in html and f"cleanup script ({prefix}…)" in html
    log_in(client)
    view = client.get(f"/reports/{DAY.isoformat()}").get_data(as_text=True)
    assert note in view
    assert note in client.get(f"/reports/{DAY.isoformat()}/report.html").get_data(as_text=True)
    # Rebuilt, the report no longer counts the ride, so there is nothing to say.
    with app.app_context():
        reports.build_report(DAY)
    assert note not in client.get("/" + signed).get_data(as_text=True)
