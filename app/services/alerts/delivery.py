"""Deliver one heart-rate alert: store it in hr_alerts once, compose the email, send it at most once.

Sending holds a row lock (SELECT ... FOR UPDATE on PostgreSQL) from the check of the status to the
commit that marks it 'sent', so two runs of the job, even concurrent ones, send one email. The row
is marked 'sent' only after the SMTP server accepted the message: a crash in the short window
between that acceptance and the commit leaves the row 'pending' and a retry sends the email again.
For a safety message a rare duplicate is better than a lost alert, which marking it before sending
would risk (see docs/alerts.md).
"""
import smtplib
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, render_template
from flask_mail import Message

from app.domain.rider import age_years, format_bpm, formula_description, parse_rider
from app.extensions import db, dialect_insert
from app.live.store import from_text
from app.models import HrAlert, Ride, utcnow
from app.services.mail_send import has_line_break, send_mail

# Final states: emailed, kept (no mail server), or not to be emailed (a stale reading, see below).
DONE = ("sent", "stored", "skipped")
SMTP_ERRORS = (smtplib.SMTPException, OSError)


class AlertNotDelivered(Exception):
    """The SMTP server was down or refused the message; RQ retries the job."""


def deliver_hr_alert(bike_serial: str, ride_started_at: str, duration_s: int, recorded_at: str,
                     heart_rate: int, hr_limit_bpm: float, hr_formula: str, rider: dict,
                     skip_reason: str | None = None, **_more) -> str:
    """Store, compose and send (or keep) one alert; return its status. Raises when SMTP fails.
    An alert the consumer found too old (skip_reason) is stored as 'skipped' with that reason."""
    started_at = from_text(ride_started_at)
    details = parse_rider(rider)
    alert = _lock_alert(bike_serial, started_at, duration_s, from_text(recorded_at),
                        heart_rate, hr_limit_bpm, details["user_id"])
    if alert.status in DONE:
        db.session.commit()
        return alert.status
    alert.ride_id = alert.ride_id or _warehouse_ride_id(bike_serial, started_at)
    _compose(alert, details, hr_formula, started_at)
    if skip_reason:
        # Nobody wants an email about last Tuesday: a backfilled alert is kept for staff, not sent.
        return _finish(alert, "skipped", error=skip_reason)
    if not alert.recipient:
        return _finish(alert, "failed", error="no email address for the rider")
    if has_line_break(alert.recipient):
        # Retrying cannot help: say why at once instead of failing for 40 minutes.
        return _finish(alert, "failed", error=f"cannot email {alert.recipient!r}: an email address "
                       "must not contain a line break (CR or LF)")
    if not current_app.config.get("MAIL_SERVER"):
        return _finish(alert, "stored")
    return _send(alert)


def _lock_alert(bike_serial, started_at, duration_s, raised_at, heart_rate, limit, user_id) -> HrAlert:
    """Insert the alert unless it exists, then lock its row for this transaction."""
    values = {"bike_serial": bike_serial, "ride_started_at": started_at, "duration_s": duration_s,
              "raised_at": raised_at, "heart_rate": heart_rate, "hr_limit_bpm": limit,
              "user_id": user_id, "status": "pending", "attempts": 0, "created_at": utcnow()}
    # ON CONFLICT DO NOTHING: two jobs racing on a new alert both succeed, one row results.
    db.session.execute(dialect_insert(HrAlert).values(**values).on_conflict_do_nothing(
        index_elements=["bike_serial", "ride_started_at", "duration_s"]))
    query = db.select(HrAlert).where(
        HrAlert.bike_serial == bike_serial, HrAlert.ride_started_at == started_at,
        HrAlert.duration_s == duration_s).with_for_update()
    return db.session.scalars(query.execution_options(populate_existing=True)).one()


def _warehouse_ride_id(bike_serial: str, started_at: datetime) -> int | None:
    """The warehouse ride of the alert when it was already closed out."""
    return db.session.scalar(db.select(Ride.ride_id).where(
        Ride.bike_serial == bike_serial, Ride.started_at == started_at))


def _compose(alert: HrAlert, details: dict, hr_formula: str, started_at: datetime) -> None:
    """Fill in the recipient, subject and both bodies of the email."""
    config = current_app.config
    tz = ZoneInfo(config["DELOTON_TZ"])
    local = alert.raised_at.astimezone(tz)
    context = {"first_name": details["first_name"] or details["name"] or "rider",
               "heart_rate": alert.heart_rate, "limit": format_bpm(alert.hr_limit_bpm),
               "time": local.strftime("%H:%M:%S %Z"), "date": f"{local:%A} {local.day} {local:%B %Y}",
               "age": age_years(details["date_of_birth"], started_at.date()),
               "formula": formula_description(hr_formula, details["gender"])}
    alert.recipient = config.get("ALERT_EMAIL_OVERRIDE") or details["email"]
    alert.subject = (f"Heart-rate alert: {alert.heart_rate} bpm is above your limit of "
                     f"{context['limit']} bpm")
    alert.body_text = render_template("email/hr_alert.txt", **context)
    alert.body_html = render_template("email/hr_alert.html", **context)


def _send(alert: HrAlert) -> str:
    """Send through Flask-Mail while the row is locked; record a failure and raise for a retry."""
    alert.attempts += 1
    message = Message(subject=alert.subject, recipients=[alert.recipient], body=alert.body_text,
                      html=alert.body_html)
    # One Message-ID per alert: a rare resend after a crash is recognisable as the same email.
    message.msgId = f"<hr-alert-{alert.alert_id}@deloton.local>"
    try:
        send_mail(message)
    except smtplib.SMTPNotSupportedError as error:
        # The server lacks SMTPUTF8, which a non-ASCII address needs: no retry can change that.
        return _finish(alert, "failed", error=f"cannot email {alert.recipient!r}: the mail server "
                       f"does not offer SMTPUTF8, which this address needs ({error})"[:2000])
    except SMTP_ERRORS as error:
        alert.last_error = f"{type(error).__name__}: {error}"[:2000]
        db.session.commit()
        raise AlertNotDelivered(f"alert {alert.alert_id} not delivered: {alert.last_error}") from error
    return _finish(alert, "sent")


def _finish(alert: HrAlert, status: str, error: str | None = None) -> str:
    """Set the final status and commit (which releases the row lock)."""
    alert.status = status
    alert.last_error = error or alert.last_error
    if status == "sent":
        alert.sent_at = utcnow()
    db.session.commit()
    return status


def mark_failed(bike_serial: str, ride_started_at: str, duration_s: int, error: str) -> None:
    """Give up on an alert whose retries are exhausted: it shows as 'failed' with the last error."""
    query = db.select(HrAlert).where(
        HrAlert.bike_serial == bike_serial, HrAlert.ride_started_at == from_text(ride_started_at),
        HrAlert.duration_s == duration_s).with_for_update()
    alert = db.session.scalars(query).one_or_none()
    if alert is not None and alert.status not in DONE:
        alert.status = "failed"
        alert.last_error = alert.last_error or error[:2000]
        db.session.commit()
    db.session.rollback()


def acknowledge_alert(alert_id: int, staff_id: int, note: str) -> bool:
    """Mark an alert acknowledged by a member of staff with a note; False when it was already
    acknowledged (the first acknowledgement stands) or does not exist."""
    # One UPDATE with the condition in it: two members of staff acknowledging at once, one wins.
    done = db.session.execute(
        db.update(HrAlert).where(HrAlert.alert_id == alert_id, HrAlert.acknowledged_at.is_(None))
        .values(acknowledged_by=staff_id, acknowledged_at=utcnow(),
                acknowledgement_note=note.strip() or None))
    db.session.commit()
    return done.rowcount == 1
