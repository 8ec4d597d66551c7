"""deliver_hr_alert in the app: no mail server, the override, escaping, the ride link, today's count."""
from datetime import date, datetime, timezone

import pytest

from app.extensions import db
from app.models import HrAlert
from app.services.alerts.counts import alerts_warning_today, count_alerts_raised_on
from app.services.alerts.delivery import deliver_hr_alert
from tests.factories import alert_kwargs, RideFactory, UserFactory
from tests.conftest import make_config, truncate_all
from tests.smtp_sink import SmtpSink, parts


@pytest.fixture
def make_app(app_factory, migrated_pg, tmp_path, redis_url):
    """Build the PostgreSQL-backed app with some settings changed."""

    def build(**overrides):
        app = app_factory(make_config(migrated_pg, str(tmp_path / "live.db"), redis_url, **overrides))
        truncate_all(app)
        return app

    return build


def only_alert() -> HrAlert:
    """The one hr_alerts row."""
    return db.session.scalars(db.select(HrAlert)).one()


def test_without_a_mail_server_the_email_is_stored_not_lost(app):
    with app.app_context():
        assert deliver_hr_alert(**alert_kwargs()) == "stored"
        assert deliver_hr_alert(**alert_kwargs()) == "stored"
        alert = only_alert()
        assert alert.status == "stored" and alert.recipient == "steven.p@gmail.com"
        assert "Hello Steven," in alert.body_text and "Hello Steven," in alert.body_html
        assert alert.subject.startswith("Heart-rate alert: 187 bpm")


def test_the_embedded_sqlite_warehouse_stores_the_alert_once(embedded_app):
    with embedded_app.app_context():
        deliver_hr_alert(**alert_kwargs())
        deliver_hr_alert(**alert_kwargs())
        assert only_alert().status == "stored"


def test_a_rider_name_with_markup_is_escaped_in_the_html_part(app):
    with app.app_context():
        deliver_hr_alert(**alert_kwargs(name="<script>alert(1)</script> Smith"))
        alert = only_alert()
        assert "<script>" not in alert.body_html
        assert "Hello &lt;script&gt;alert(1)&lt;/script&gt;," in alert.body_html
        assert "Hello <script>alert(1)</script>," in alert.body_text  # plain text shows it as is


def test_the_override_address_receives_the_alert_instead_of_the_rider(make_app):
    sink = SmtpSink().start()
    try:
        app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_SUPPRESS_SEND=False,
                       ALERT_EMAIL_OVERRIDE="safety-desk@deloton.test")
        with app.app_context():
            assert deliver_hr_alert(**alert_kwargs()) == "sent"
            assert only_alert().recipient == "safety-desk@deloton.test"
    finally:
        sink.stop()
    [(recipients, message)] = sink.messages
    assert recipients == ["safety-desk@deloton.test"]
    assert "Hello Steven," in parts(message)[0]


def test_a_rider_without_an_address_is_marked_failed_without_retrying(app):
    with app.app_context():
        assert deliver_hr_alert(**alert_kwargs(email_address=None)) == "failed"
        assert only_alert().last_error == "no email address for the rider"


def test_the_limit_and_formula_of_the_ride_are_explained(app):
    kwargs = alert_kwargs(gender="female") | {"hr_limit_bpm": 170.8, "hr_formula": "gulati"}
    with app.app_context():
        deliver_hr_alert(**kwargs)
        text = " ".join(only_alert().body_text.split())
    assert "above your safe limit of 170.8 bpm" in text
    assert "206 minus 0.88 times your age (the Gulati formula for women), and you were 40" in text


def test_an_alert_is_linked_to_its_ride_when_the_ride_is_already_closed(app):
    started = datetime(2022, 7, 6, 23, 29, 35, 935822, tzinfo=timezone.utc)
    with app.app_context():
        UserFactory(user_id=100, name="Mr Steven Pearce")
        ride = RideFactory(user_id=100, bike_serial="SN0000", started_at=started, seconds=10, readings=False)
        db.session.commit()
        deliver_hr_alert(**alert_kwargs())
        assert only_alert().ride_id == ride.ride_id


def test_the_alerts_raised_on_a_day_are_counted_in_local_time(app):
    with app.app_context():
        for duration_s in range(3, 9):  # six alerts at 00:29 on 7 July, London time
            deliver_hr_alert(**alert_kwargs(duration_s=duration_s))
        assert count_alerts_raised_on(date(2022, 7, 7)) == 6
        assert count_alerts_raised_on(date(2022, 7, 6)) == 0
        assert alerts_warning_today() is False  # none of them is today


def test_an_alert_the_consumer_found_too_old_is_recorded_skipped_and_never_sent(make_app, smtp):
    app = make_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    reason = "not emailed: the reading was older than ALERT_MAX_AGE_S (300 s)"
    with app.app_context():
        assert deliver_hr_alert(**alert_kwargs(), skip_reason=reason) == "skipped"
        assert deliver_hr_alert(**alert_kwargs(), skip_reason=reason) == "skipped"  # final
        alert = only_alert()
        assert alert.last_error == reason and alert.sent_at is None and alert.subject
    assert smtp.messages == []
