"""Views of the staff pages: thin, the queries live in app/services/pages/staff.py."""
from urllib.parse import urlsplit

from flask import (Response, abort, current_app, flash, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_htmx import make_response as htmx_response
from flask_login import current_user, login_user, logout_user

from app.blueprints.staff import bp
from app.blueprints.staff.forms import AcknowledgeForm, LoginForm, SearchForm, choices
from app.extensions import db, htmx, limiter, login_manager
from app.models import BIGINT_MAX
from app.models import User
from app.services.pages import staff_csv
from app.services.accounts.staff_users import authenticate, end_sessions_of
from app.services.alerts.delivery import acknowledge_alert
from app.services.clock import today_local
from app.services.pages.csv_export import csv_lines
from app.services.pages import staff as staff_view
from app.services.pages.pagination import paginate_rows
from app.services.rides import leaderboards, deletes as ride_deletes
from app.services.pages.table_sort import read_sort
from app.staff_context import staff_context

PUBLIC_ENDPOINTS = {"staff.login"}


@bp.before_request
def require_login():
    """Every staff page but the login needs a logged-in member of staff."""
    if request.endpoint not in PUBLIC_ENDPOINTS and not current_user.is_authenticated:
        if htmx:  # Today's polled fragment: reload the whole page, which then goes to the login
            return htmx_response("", 204, refresh=True)
        return login_manager.unauthorized()
    return None


bp.context_processor(staff_context)


def login_limit() -> str:
    """The login rate limit from the config (LOGIN_RATE_LIMIT)."""
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login():
    """Log in; the same message whether the username or the password was wrong."""
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        staff = authenticate(form.username.data, form.password.data)
        if staff is not None:
            login_user(staff)
            return redirect(safe_next(request.args.get("next")))
        form.password.errors.append("Wrong username or password.")
        status = 401
    return render_template("staff/login.html", form=form), status


def safe_next(target: str | None) -> str:
    """Only a path on this site, so the login cannot send anyone elsewhere."""
    parts = urlsplit(target or "")
    # Control characters (CR/LF, tab) cannot go in a Location header and mean nothing in a path.
    if (not target or parts.scheme or parts.netloc or not target.startswith("/")
            or not target.isprintable()):
        return url_for("staff.today")
    return target


@bp.post("/logout")
def logout():
    """Log out (a CSRF-protected POST), ending every session of this member of staff."""
    end_sessions_of(current_user.staff_id)
    logout_user()
    flash("You are logged out.")
    return redirect(url_for("staff.login"))


@bp.get("/")
def today():
    """Today at a glance; its fragment alone when htmx polls it (it refreshes itself)."""
    rows = db.session.execute(staff_view.alerts_query(today_local()).limit(10)).all()
    fragment = bool(htmx) and not htmx.history_restore_request
    response = current_app.make_response(render_template(
        "staff/_today.html" if fragment else "staff/today.html", summary=staff_view.today_summary(),
        alerts=staff_view.with_rider_names(rows), ack_form=AcknowledgeForm()))
    response.vary.add("HX-Request")  # the page and its fragment share a URL
    return response


@bp.post(f"/alerts/<int(max={BIGINT_MAX}):alert_id>/acknowledge")
def acknowledge(alert_id: int):
    """Acknowledge an alert as the logged-in member of staff, with a note; back to the page."""
    form = AcknowledgeForm()
    back = safe_next(form.next.data)
    if not form.validate_on_submit():
        flash("Not acknowledged: " + " ".join(e for errors in form.errors.values() for e in errors))
    elif acknowledge_alert(alert_id, current_user.staff_id, form.note.data or ""):
        flash(f"Alert {alert_id} acknowledged.")
    else:
        flash(f"Alert {alert_id} was already acknowledged (or no longer exists): nothing changed.")
    return redirect(back)


def search_form() -> SearchForm:
    """The filters of the query string, validated (invalid ones are shown and ignored)."""
    form = SearchForm(request.args)
    form.gender.choices = choices(staff_view.genders())
    form.validate()
    return form


def page_of(query):
    """One page of a query, as the `page` query argument asks."""
    return paginate_rows(query, per_page=current_app.config["STAFF_PAGE_SIZE"])


def sort_of(columns, default):
    """The sort of the query string (sort=column&dir=asc|desc), if whitelisted, else the default."""
    return read_sort(columns, default, request.args.get("sort"), request.args.get("dir"))


def csv_response(name: str, header: list[str], rows) -> Response:
    """A streamed CSV download of every row."""
    response = Response(stream_with_context(csv_lines(header, rows)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def alerts_of_filters():
    """The alerts the filters and sort of the query string select, and the form and sort."""
    form, sort = search_form(), sort_of(staff_view.ALERT_SORTS, staff_view.ALERT_DEFAULT)
    return staff_view.alerts_query(form.value("day"), form.value("status"), sort), form, sort


@bp.get("/alerts")
def alerts():
    """Heart-rate alerts: who, when, heart rate, limit, delivery status, acknowledgement."""
    query, form, sort = alerts_of_filters()
    page = page_of(query)
    return render_template("staff/alerts.html", form=form, page=page, sort=sort,
                           alerts=staff_view.with_rider_names(page.items), ack_form=AcknowledgeForm())


@bp.get("/alerts.csv")
def alerts_csv():
    """The alerts the filters select, sorted as on the page, as CSV."""
    query, _form, _sort = alerts_of_filters()
    return csv_response("alerts", staff_csv.ALERT_HEADER, staff_csv.alert_rows(query))


@bp.get("/quarantine")
def quarantine():
    """Quarantined messages with their reasons, and the consumer's counters."""
    rows, counters, total = staff_view.quarantine()
    return render_template("staff/quarantine.html", rows=rows, counters=counters, total=total)


@bp.get("/deletes")
def deletes():
    """Every ride deleted through the API: when, by which key, which ride and what went with it."""
    page = db.paginate(ride_deletes.list_deletions(), per_page=current_app.config["STAFF_PAGE_SIZE"],
                       error_out=False)
    return render_template("staff/deletes.html", page=page)


def rides_of_filters(user_id: int | None = None):
    """The rides the filters and sort of the query string select, and the form and sort."""
    form, sort = search_form(), sort_of(staff_view.RIDE_SORTS, staff_view.RIDE_DEFAULT)
    query = staff_view.rides_query(form.value("q") or "", form.value("bike") or "",
                                   form.value("gender") or "", form.value("age_band") or "",
                                   form.value("date_from"), form.value("date_to"), sort, user_id)
    return query, form, sort


@bp.get("/rides")
def rides():
    """Rides with search, filters, sorting and pagination."""
    query, form, sort = rides_of_filters()
    return render_template("staff/rides.html", form=form, page=page_of(query), sort=sort)


@bp.get("/rides.csv")
def rides_csv():
    """The rides the filters select, sorted as on the page, as CSV."""
    query, _form, _sort = rides_of_filters()
    return csv_response("rides", staff_csv.RIDE_HEADER, staff_csv.ride_rows(query))


def riders_of_filters():
    """The riders the filters and sort of the query string select, and the form and sort."""
    form, sort = search_form(), sort_of(staff_view.RIDER_SORTS, staff_view.RIDER_DEFAULT)
    return staff_view.riders_query(form.value("q") or "", form.value("gender") or "", sort), form, sort


@bp.get("/riders")
def riders():
    """Riders with search, filters, sorting and pagination."""
    query, form, sort = riders_of_filters()
    return render_template("staff/riders.html", form=form, page=page_of(query), sort=sort)


@bp.get("/riders.csv")
def riders_csv():
    """The riders the filters select, sorted as on the page, as CSV."""
    query, _form, _sort = riders_of_filters()
    return csv_response("riders", staff_csv.RIDER_HEADER, staff_csv.rider_rows(query))


@bp.get(f"/riders/<int(max={BIGINT_MAX}):user_id>")
def rider(user_id: int):
    """One rider: details, rides (sortable, paged) and latest alerts."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404, f"There is no rider {user_id}.")
    query, _form, sort = rides_of_filters(user_id)
    alert_rows = db.session.execute(staff_view.alerts_query(user_id=user_id).limit(10)).all()
    return render_template("staff/rider.html", user=user, page=page_of(query), sort=sort,
                           alerts=staff_view.with_rider_names(alert_rows), ack_form=AcknowledgeForm())


@bp.get("/leaderboards")
def leaderboards_page():
    """Every leaderboard for a period, gender and age band."""
    form = search_form()
    period = request.args.get("period", "7d")
    if period not in leaderboards.PERIODS:
        period = "7d"
    filters = leaderboards.period_filters(period, today_local(), gender=form.value("gender"),
                                          age_band=form.value("age_band"))
    boards = {key: leaderboards.leaderboard(key, filters) for key in leaderboards.METRICS}
    return render_template("staff/leaderboards.html", form=form, period=period, boards=boards,
                           metrics=leaderboards.METRICS, periods=leaderboards.PERIODS)
