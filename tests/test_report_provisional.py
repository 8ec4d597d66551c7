"""The 16:45 report with rides still in progress: provisional, emailed once, rebuilt final by the last closeout."""
import re
from contextlib import closing
from datetime import date

import pytest

from app.extensions import db
from app.live import store
from app.models import DailyReport
from app.services import jobs
from app.services.report import build as reports
from tests.conftest import make_config
from tests.factories import ALEX, JANE, OMAR, at, land, land_march_day, put_ride, reading
from worker import jobs as worker_jobs
from worker.__main__ import AppWorker

DAY = date(2026, 3, 10)
# Two rides of the 2026-03-10 window still in the live store at 16:45: one still riding, one
# ended and waiting for its closeout.
RIDING = ("SN0007", at("2026-03-10 16:30:00"), OMAR, 60)
WAITING = ("SN0008", at("2026-03-10 16:40:00"), JANE, 30)


def put_in_progress(app, bike, started_at, rider, seconds, status) -> str:
    """A ride left in the live store as the consumer leaves it (open, or ended but not closed out)."""
    readings = [reading(d, started_at, heart_rate=140, power=150.0) for d in range(1, seconds + 1)]
    return put_ride(app.config["LIVE_DB_PATH"], bike, started_at, rider, readings, status=status)


def end_ride(app, bike: str, start: str) -> None:
    """The consumer ends a ride (it then waits for its closeout)."""
    with closing(store.connect(app.config["LIVE_DB_PATH"])) as live, live:
        live.execute("UPDATE rides SET status = 'ended' WHERE bike_serial = ? AND started_at = ?", (bike, start))


def close_out(app, redis_conn, bike: str, start: str) -> None:
    """Queue the ride's real closeout job and let a worker run every queue until they are empty."""
    jobs.enqueue(redis_conn, jobs.close_ride_job(bike, start))
    AppWorker.flask_app = app
    AppWorker(list(jobs.QUEUES), connection=redis_conn).work(burst=True)


def stored(app) -> DailyReport:
    with app.app_context():
        report = db.session.get(DailyReport, DAY)
        db.session.expunge(report)
        return report


def test_the_1645_report_counts_rides_in_progress_and_is_rebuilt_final_when_the_last_closes(
        mail_app, smtp, redis_conn):
    land_march_day(mail_app)
    riding = put_in_progress(mail_app, *RIDING, status="open")
    waiting = put_in_progress(mail_app, *WAITING, status="ended")
    with mail_app.app_context():
        worker_jobs.build_daily_report(DAY.isoformat())

    report = stored(mail_app)
    assert (report.status, report.version, report.in_progress) == ("provisional", 1, 2)
    assert report.headline["rides"] == 5  # finished rides only; the two in progress are listed apart
    assert "Provisional." in report.html and "Still in progress" in report.html
    # The mark comes first, before the title, in the HTML (hence the PDF) and the email.
    assert report.html.index('data-status="provisional"') < report.html.index("<h1>")
    assert "SN0007" in report.html and "Omar Said" in report.html and "riding" in report.html
    assert "SN0008" in report.html and "ended, not yet filed" in report.html
    # 60 s at 150 W and 30 s at 150 W so far: 13.5 kJ over 1.5 minutes.
    assert "2 rides were still in progress at the close (1.5 min, 13.5 kJ so far)" in report.headline["summary"][0]
    [(_, message)] = smtp.messages
    text = message.get_body(("plain",)).get_content()
    assert text.startswith("PROVISIONAL: 2 rides were still in progress at 16:45")
    assert message["Subject"] == "!!WARNING!! Deloton daily report 2026-03-10 (provisional)"
    report_path, archive_path = re.findall(r"https://reports\.deloton\.example(/\S+)", text)
    client = mail_app.test_client()
    assert "Version 1 (provisional)" in client.get(report_path).get_data(as_text=True)

    close_out(mail_app, redis_conn, "SN0008", waiting)  # one of the two has closed: still provisional
    assert (stored(mail_app).status, stored(mail_app).version) == ("provisional", 1)

    end_ride(mail_app, "SN0007", riding)
    close_out(mail_app, redis_conn, "SN0007", riding)  # the last one: the worker rebuilds the report
    report = stored(mail_app)
    assert (report.status, report.version, report.in_progress) == ("final", 2, 0)
    assert report.headline["rides"] == 7 and "Still in progress" not in report.html
    assert len(smtp.messages) == 1  # the email went once, at 16:45
    # The links of that email open the latest version.
    page = client.get(report_path).get_data(as_text=True)
    assert "Version 2 (final)" in page and "Provisional." not in page
    assert page.index('data-status="final"') < page.index("<h1>")
    archive = client.get(archive_path).get_data(as_text=True)
    assert "2, final" in archive
    with mail_app.app_context():  # the 16:45 job run again for the day: rebuilt, not emailed again
        worker_jobs.build_daily_report(DAY.isoformat())
    assert stored(mail_app).version == 3 and len(smtp.messages) == 1


def test_a_report_with_nothing_in_progress_is_final_at_once_and_a_closeout_leaves_it_alone(app, redis_conn):
    land_march_day(app)
    with app.app_context():
        reports.build_report(DAY)
    # A ride of the next window closes: it belongs to no stored report.
    start = put_in_progress(app, "SN0009", at("2026-03-10 17:00:00"), OMAR, 20, status="ended")
    close_out(app, redis_conn, "SN0009", start)
    report = stored(app)
    assert (report.status, report.version, report.in_progress) == ("final", 1, 0)


def test_a_provisional_report_whose_rebuild_was_not_triggered_is_finalised_by_the_next_build(app):
    land_march_day(app)
    start = put_in_progress(app, *WAITING, status="ended")
    with app.app_context():
        reports.build_report(DAY)
    assert stored(app).status == "provisional"
    # The ride leaves the live store without its closeout's trigger (say Redis was down at that moment).
    with closing(store.connect(app.config["LIVE_DB_PATH"])) as live, live:
        live.execute("DELETE FROM readings WHERE bike_serial = ? AND started_at = ?", ("SN0008", start))
        live.execute("DELETE FROM rides WHERE bike_serial = ? AND started_at = ?", ("SN0008", start))
    with app.app_context():
        worker_jobs.build_daily_report("2026-03-11")
    report = stored(app)
    assert (report.status, report.version) == ("final", 2)


def test_the_average_heart_rate_counts_riders_without_a_date_of_birth(app):
    # Jane has a date of birth (so heart-rate zones); Alex has none (no limit, no zones).
    land(app, "SN0002", at("2026-03-10 10:00:00"), JANE, 120, heart_rate=150)
    land(app, "SN0004", at("2026-03-10 11:00:00"), ALEX, 60, heart_rate=100)
    with app.app_context():
        report = reports.build_report(DAY)
        tableau = db.session.execute(db.text("SELECT avg_heart_rate FROM analytics.daily_summary "
                                             "WHERE ride_date = '2026-03-10'")).scalar()
    expected = pytest.approx((120 * 150 + 60 * 100) / 180, abs=0.01)
    assert report.headline["avg_heart_rate"] == expected
    assert tableau == expected  # Tableau's daily summary agrees with the report


RIDE_0003 = ("INSERT INTO rides (ride_id, user_id, bike_serial, started_at, ended_at, ride_date, duration_s, "
             "readings_count, max_heart_rate, avg_power, max_power, avg_rpm, max_rpm, avg_resistance, "
             "max_resistance, energy_kj, calories_kcal, hr_formula, hr_zone_z1_s, hr_zone_z2_s, hr_zone_z3_s, "
             "hr_zone_z4_s, hr_zone_z5_s, trimp, alerts_count, closed_at) VALUES (:id, 1, :bike, :t, :t, "
             "'2026-03-10', 4, 4, 130, 100, 100, 60, 60, 30, 30, 0.4, 0.4, 'tanaka', 0, 1, 0, 0, 0, 0, 0, :t)")


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_the_migration_counts_the_heart_rate_readings_of_existing_rides(backend, empty_pg_database, tmp_path,
                                                                       redis_url, app_factory):
    from flask_migrate import upgrade

    url = empty_pg_database if backend == "postgresql" else f"sqlite:///{tmp_path / 'w.db'}"
    app = app_factory(make_config(url, str(tmp_path / "live.db"), redis_url))
    with app.app_context():
        upgrade(revision="0003")
        t = "2026-03-10 10:00:00+00:00"
        db.session.execute(db.text("INSERT INTO users (user_id, name, first_seen_at, updated_at) "
                                   "VALUES (1, 'Alex Kim', :t, :t)"), {"t": t})
        db.session.execute(db.text(RIDE_0003), {"id": 1, "bike": "SN1", "t": t})
        db.session.execute(db.text(RIDE_0003), {"id": 2, "bike": "SN2", "t": t})  # stored without readings
        db.session.execute(db.text("INSERT INTO ride_readings VALUES (1, :s, :t, :hr, 60, 100, 30)"),
                           [{"s": s, "t": t, "hr": hr} for s, hr in ((1, 0), (2, 130), (3, 120), (4, 0))])
        db.session.commit()
        upgrade()
        counts = dict(db.session.execute(db.text("SELECT ride_id, hr_readings_count FROM rides")).all())
    assert counts == {1: 2, 2: 1}  # from its readings; else from its zone seconds
