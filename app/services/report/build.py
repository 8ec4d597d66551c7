"""Building the daily report: figures, charts and summary into HTML and PDF, stored in daily_reports."""
from datetime import date, datetime, timedelta

import pandas as pd
from flask import current_app, render_template
from sqlalchemy.orm import load_only

from app.extensions import db, dialect_insert
from app.models import DailyReport, RideDeletion, utcnow
from app.services.alerts.counts import WARNING_THRESHOLD
from app.services.report import breakdowns as bd
from app.services.report import charts
from app.services.report import live as report_live
from app.services.report.data import load_alert_times, load_first_rides, load_rides
from app.services.report.figures import (TREND_DAYS, compare, daily_table, history_window, latest_report_date,
                                         prepare, report_window)
from app.services.report.summary import change_text, format_value, plural, write_summary
from app.services.rides import map as ride_map


def default_report_date() -> date:
    """The latest report date whose window has closed (today from 16:45 on, else yesterday)."""
    return latest_report_date(utcnow(), current_app.config["DELOTON_TZ"])


def compose(report_date: date) -> dict:
    """Everything the report shows for report_date: the warehouse's rides, and the window's rides
    still in the live store (in progress) with their figures so far."""
    tz_name = current_app.config["DELOTON_TZ"]
    start, end = history_window(report_date, tz_name)
    # Read the live store before the warehouse: a ride closing in between is then counted twice
    # (so far, and filed) rather than not at all, and the rebuild its closeout triggers corrects it.
    in_progress = report_live.rides_in_progress(report_window(report_date, tz_name))
    rides = prepare(load_rides(start, end), tz_name)
    dates = [report_date - timedelta(days=n) for n in range(TREND_DAYS, -1, -1)]
    table = daily_table(rides, load_alert_times(start, end), load_first_rides(start, end), dates, tz_name)
    report = assemble(report_date, rides[rides["report_date"] == report_date], table, tz_name)
    return with_in_progress(report, in_progress)


def with_in_progress(report: dict, in_progress: list[dict]) -> dict:
    """Add the window's rides still in progress; with any, the report is provisional."""
    report["in_progress"] = in_progress
    report["in_progress_totals"] = report_live.totals(in_progress)
    report["status"] = "provisional" if in_progress else "final"
    report["summary"] = write_summary(report)
    return report


def assemble(report_date: date, day: pd.DataFrame, table: pd.DataFrame, tz_name: str) -> dict:
    """The report's content from the day's prepared rides and the daily figures table."""
    window = report_window(report_date, tz_name)
    per_hour = bd.rides_per_hour(day, window, tz_name)
    report = {"date": report_date, "window": window, "window_label": window_label(window),
              "empty": day.empty, "figures": compare(table, report_date),
              "busiest_hour": bd.busiest_hour(per_hour), "top_riders": bd.top_riders(day),
              "highest_power": bd.record_ride(day, "max_power"),
              "longest_ride": bd.record_ride(day, "duration_s")}
    alerts = next(row["value"] for row in report["figures"] if row["key"] == "alerts")
    report["warning"] = alerts > WARNING_THRESHOLD
    report["summary"] = write_summary(report)
    report["charts"] = [] if day.empty else day_charts(day, per_hour)
    report["map_svg"] = None if day.empty else ride_map.report_map(window)
    return report


def day_charts(day: pd.DataFrame, per_hour: pd.Series) -> list[dict]:
    """The day's breakdowns as inline SVG charts ({"svg", "wide"}: wide ones take the page's width).
    The top riders have their table only: a bar chart of the same five numbers was a page of its own."""
    by_age = bd.by_age_band_and_gender(day)
    return [{"svg": charts.rides_per_hour_chart(per_hour), "wide": True},
            {"svg": charts.gender_chart(bd.by_gender(day)), "wide": False},
            {"svg": charts.zones_chart(bd.zone_minutes(day)), "wide": False},
            {"svg": charts.age_gender_chart(by_age, "avg_ride_min", "Average ride length (min) by age band"),
             "wide": False},
            {"svg": charts.age_gender_chart(by_age, "avg_energy_kj", "Average energy per ride (kJ) by age band"),
             "wide": False}]


def window_label(window: tuple[datetime, datetime]) -> str:
    """'Sat 28 Mar 2026 16:45 GMT and Sun 29 Mar 2026 16:45 BST'."""
    return " and ".join(f"{edge:%a %d %b %Y %H:%M %Z}" for edge in window)


def headline(report: dict) -> dict:
    """The figures kept with the stored report (the archive list and the email show them)."""
    values = {row["key"]: row["value"] for row in report["figures"]}
    busiest = report["busiest_hour"]
    return {**values, "busiest_hour": busiest["label"] if busiest else None,
            "warning": report["warning"], "empty": report["empty"], "summary": report["summary"],
            "status": report["status"], "in_progress": len(report["in_progress"])}


def render_html(report: dict, version: int = 1) -> str:
    """The self-contained HTML file of a report (version: the how-many-th build of its date)."""
    return render_template("reports/report.html", report=report, fmt=format_value, plural=plural,
                           change_text=change_text, built_at=utcnow(), version=version)


def render_pdf(html: str) -> bytes:
    """The PDF of a report's HTML (A4, numbered pages); nothing is fetched from outside."""
    # Imported here: it takes most of a second, and every process (the consumer, CLI commands)
    # imports this module through create_app.
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=refuse_fetch).write_pdf()


def refuse_fetch(url: str, *args, **kwargs):
    """WeasyPrint's fetcher: a report never loads anything, so every fetch is refused."""
    raise ValueError(f"the report must not fetch {url}")


def build_report(report_date: date) -> DailyReport:
    """Build the report for report_date and store it, replacing an earlier build (one commit):
    provisional while rides of its window are still in progress, else final."""
    report = compose(report_date)
    earlier = db.session.get(DailyReport, report_date)
    version = earlier.version + 1 if earlier is not None else 1
    html = render_html(report, version)
    values = {"report_date": report_date, "window_start": report["window"][0],
              "window_end": report["window"][1], "headline": headline(report), "html": html,
              "pdf": render_pdf(html), "built_at": utcnow(), "version": version,
              "status": report["status"], "in_progress": len(report["in_progress"])}
    statement = dialect_insert(DailyReport).values(**values)
    db.session.execute(statement.on_conflict_do_update(
        index_elements=["report_date"], set_={k: statement.excluded[k] for k in values if k != "report_date"}))
    db.session.commit()
    return db.session.get(DailyReport, report_date, populate_existing=True)


def get_report(report_date: date) -> DailyReport | None:
    """A stored report, or None."""
    return db.session.get(DailyReport, report_date)


def list_reports() -> list[DailyReport]:
    """Every stored report, newest first."""
    # The list never needs the files themselves: leave the HTML and PDF in the database.
    query = (db.select(DailyReport).options(load_only(DailyReport.report_date, DailyReport.window_start,
                                                      DailyReport.window_end, DailyReport.headline,
                                                      DailyReport.built_at, DailyReport.emailed_at,
                                                      DailyReport.version, DailyReport.status,
                                                      DailyReport.in_progress))
             .order_by(DailyReport.report_date.desc()))
    return list(db.session.scalars(query))


def finalise_report(report_date: date) -> str:
    """Rebuild a provisional report once none of its window's rides is left in progress; its status."""
    report = get_report(report_date)
    if report is None:
        return "missing"
    if report.status != "provisional":
        return report.status  # already final: a second trigger rebuilds nothing
    if report_live.count_in_progress((report.window_start, report.window_end)):
        return report.status
    return build_report(report_date).status


def provisional_reports(started_at: datetime | None = None) -> list[DailyReport]:
    """The provisional reports (only the one whose window holds started_at, when given), oldest first."""
    query = (db.select(DailyReport).where(DailyReport.status == "provisional")
             .options(load_only(DailyReport.report_date, DailyReport.window_start, DailyReport.window_end,
                                DailyReport.status)))
    if started_at is not None:
        query = query.where(DailyReport.window_start <= started_at, DailyReport.window_end > started_at)
    return list(db.session.scalars(query.order_by(DailyReport.report_date)))


def deleted_since_built(report: DailyReport) -> list[RideDeletion]:
    """Rides the stored report counted (filed before it was built) that were deleted after it was built."""
    query = (db.select(RideDeletion)
             .where(RideDeletion.started_at >= report.window_start, RideDeletion.started_at < report.window_end,
                    RideDeletion.ride_closed_at <= report.built_at, RideDeletion.deleted_at > report.built_at)
             .order_by(RideDeletion.deleted_at))
    return list(db.session.scalars(query))
