"""`flask --app wsgi deloton report [--date YYYY-MM-DD] [--email]`: the daily report on demand."""
import click

from app.cli import deloton
from app.services.report import build as reports
from app.services.report.mail import ReportNotEmailed, email_report


@deloton.command("report")
@click.option("--date", "report_date", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="the report's date (default: the latest window that has closed at 16:45)")
@click.option("--email", is_flag=True, help="also email it to CEO_EMAIL")
def report(report_date, email: bool) -> None:
    """Build (or rebuild) the daily report; with --email, send it as the scheduled job does."""
    day = report_date.date() if report_date else reports.default_report_date()
    stored = reports.build_report(day)
    headline = stored.headline
    click.echo(f"report {day.isoformat()}: {headline['rides']} rides, {headline['riders']} riders, "
               f"{headline['alerts']} heart-rate alerts{' !!WARNING!!' if headline['warning'] else ''}; "
               f"version {stored.version}, {stored.status}"
               + (f" ({stored.in_progress} rides still in progress)" if stored.in_progress else ""))
    if not email:
        return
    try:
        status = email_report(day)
    except ReportNotEmailed as problem:
        raise click.ClickException(str(problem)) from None
    if status == "stored":
        click.echo("no MAIL_SERVER: the email was stored with the report, not sent")
    else:
        click.echo(f"emailed to {stored.email_to}")
