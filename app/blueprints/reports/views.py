"""Views of the report archive: thin, the work is in app/services/report/build.py."""
from datetime import date

from flask import abort, make_response, render_template, request, url_for
from flask_login import login_required

from app.blueprints.reports import bp
from app.services.report import build as reports
from app.services.report.charts import trend_chart
from app.services.report.links import LinkRefused, read_token
from app.services.report.summary import headline_rows
from app.staff_context import staff_context

# A stored report is static: no script, no request, only its own inline styles and SVG.
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"


# The staff pages' nav, logout form and warning banner on the archive pages too.
bp.context_processor(staff_context)


def parse_date(text: str) -> date:
    """A report date from the URL (YYYY-MM-DD), else 404."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(404, f"{text!r} is not a report date (YYYY-MM-DD).")


def stored(report_date: date):
    """The stored report, else 404."""
    report = reports.get_report(report_date)
    if report is None:
        abort(404, f"There is no report for {report_date.isoformat()}.")
    return report


def file_response(report_date: date, fmt: str):
    """The report's HTML or PDF, shown in the browser or, with ?download=1, as a download."""
    report = stored(report_date)
    if fmt not in ("html", "pdf") or (fmt == "pdf" and report.pdf is None):
        abort(404, "Reports are available as HTML or PDF.")
    body, mimetype = (with_deletions(report), "text/html") if fmt == "html" else (report.pdf, "application/pdf")
    response = make_response(body)
    response.mimetype = mimetype
    disposition = "attachment" if request.args.get("download") else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="deloton-report-{report_date}.{fmt}"'
    return static_headers(response)


def with_deletions(report) -> str:
    """The stored HTML, with a note at the top when rides it counted have been deleted since it was built."""
    deletions = reports.deleted_since_built(report)
    if not deletions:
        return report.html
    note = render_template("reports/_deleted_notice.html", deletions=deletions, inline=True)
    head, body_tag, rest = report.html.partition("<body>")
    return head + body_tag + "\n" + note + rest if body_tag else note + report.html


def static_headers(response):
    """Headers of a stored report or chart: its own inline styles only, framed by this site alone."""
    response.headers["Content-Security-Policy"] = REPORT_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def trend_response():
    """The archive's trend chart as an SVG file (the site's CSP keeps inline styles out of pages)."""
    rows = reports.list_reports()
    trend = [{"date": r.report_date.isoformat(), **r.headline} for r in reversed(rows)]
    response = make_response(trend_chart(trend))
    response.mimetype = "image/svg+xml"
    return static_headers(response)


def archive_page(file_url, view_url, trend_url: str):
    """The list of past reports with their headline figures and a trend chart."""
    return render_template("reports/archive.html", reports=reports.list_reports(), rows_of=headline_rows,
                           trend_url=trend_url, file_url=file_url, view_url=view_url)


@bp.route("/")
@login_required
def archive():
    """The archive for staff."""
    return archive_page(lambda d, fmt, **kw: url_for("reports.file", report_date=d, fmt=fmt, **kw),
                        lambda d: url_for("reports.view", report_date=d), url_for("reports.trend"))


@bp.route("/trend.svg")
@login_required
def trend():
    """The archive's trend chart."""
    return trend_response()


@bp.route("/<report_date>")
@login_required
def view(report_date: str):
    """One report inside the site, with its downloads."""
    report = stored(parse_date(report_date))
    return render_template("reports/view.html", report=report, rows=headline_rows(report.headline),
                           deletions=reports.deleted_since_built(report))


@bp.route("/<report_date>/report.<fmt>")
@login_required
def file(report_date: str, fmt: str):
    """One report's file for staff."""
    return file_response(parse_date(report_date), fmt)


def grant_or_403(token: str) -> dict:
    """The signed link's grant, or a 403 page saying why it was refused."""
    try:
        return read_token(token)
    except LinkRefused as refused:
        abort(403, str(refused))


@bp.route("/signed/<token>")
def signed(token: str):
    """A signed link from the email: the day's report, or the archive. No login."""
    grant = grant_or_403(token)
    if grant["scope"] == "report":
        return file_response(parse_date(grant["date"]), "html")
    return archive_page(
        lambda d, fmt, **kw: url_for("reports.signed_file", token=token, report_date=d, fmt=fmt, **kw),
        lambda d: url_for("reports.signed_file", token=token, report_date=d, fmt="html"),
        url_for("reports.signed_trend", token=token))


@bp.route("/signed/<token>/trend.svg")
def signed_trend(token: str):
    """The trend chart of the signed archive page. No login."""
    if grant_or_403(token)["scope"] != "archive":
        abort(403, "This link is for one report only.")
    return trend_response()


@bp.route("/signed/<token>/<report_date>/report.<fmt>")
def signed_file(token: str, report_date: str, fmt: str):
    """A report reached from the signed archive link (or its own signed link). No login."""
    grant = grant_or_403(token)
    day = parse_date(report_date)
    if grant["scope"] == "report" and grant["date"] != day.isoformat():
        abort(403, "This link is for another report.")
    return file_response(day, fmt)
