"""Emailing the daily report to CEO_EMAIL: headline figures and two signed links."""
import logging
from datetime import date

from flask import current_app, render_template
from flask_mail import Message

from app.extensions import db
from app.models import DailyReport, utcnow
from app.services.mail_send import send_mail
from app.services.report.links import archive_link, report_link
from app.services.report.summary import headline_rows, plural

log = logging.getLogger(__name__)


class ReportNotEmailed(Exception):
    """The report cannot be emailed (no CEO_EMAIL, or no report for the date)."""


def email_report(report_date: date) -> str:
    """Send the report's email, or store it when there is no MAIL_SERVER: "sent" or "stored"."""
    recipient = current_app.config["CEO_EMAIL"]
    if not recipient:
        raise ReportNotEmailed("CEO_EMAIL is not set: the report was built but not emailed")
    report = db.session.get(DailyReport, report_date)
    if report is None:
        raise ReportNotEmailed(f"there is no report for {report_date.isoformat()}: build it first")
    message = compose_email(report, recipient)
    status = "stored"
    if current_app.config["MAIL_SERVER"]:
        send_mail(message)
        status = "sent"
        report.emailed_at = utcnow()
    else:
        log.warning("no MAIL_SERVER: the report email for %s is stored, not sent", report_date)
    report.email_to, report.email_status, report.email_subject = recipient, status, message.subject
    report.email_text, report.email_html = message.body, message.html
    db.session.commit()
    return status


def compose_email(report: DailyReport, recipient: str) -> Message:
    """The email: a warning when due, the summary, the headline figures and the signed links."""
    context = {"report": report, "rows": headline_rows(report.headline),
               "report_url": report_link(report.report_date), "archive_url": archive_link(),
               "max_age_days": current_app.config["REPORT_LINK_MAX_AGE_S"] / 86400, "plural": plural}
    warning = "!!WARNING!! " if report.headline.get("warning") else ""
    # A provisional report says so in the subject too: the inbox list is all some readers see.
    status = " (provisional)" if report.headline.get("status") == "provisional" else ""
    subject = f"{warning}Deloton daily report {report.report_date.isoformat()}{status}"
    return Message(subject=subject, recipients=[recipient],
                   body=render_template("reports/email.txt", **context),
                   html=render_template("reports/email.html", **context))
