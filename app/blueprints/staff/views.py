"""Views of the staff pages: thin, the queries live in app/services/staff_view.py."""
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user

from app.blueprints.staff import bp
from app.blueprints.staff.forms import LoginForm, LogoutForm, SearchForm, choices
from app.extensions import db, limiter, login_manager
from app.services import leaderboards, ride_deletes, staff_view
from app.services.pagination import paginate_rows
from app.services.alerts_today import alerts_warning_today, today_local
from app.services.staff_users import authenticate, end_sessions_of

PUBLIC_ENDPOINTS = {"staff.login"}


@bp.before_request
def require_login():
    """Every staff page but the login needs a logged-in member of staff."""
    if request.endpoint not in PUBLIC_ENDPOINTS and not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


@bp.context_processor
def staff_context() -> dict:
    """The warning banner and the logout form on every page."""
    if not current_user.is_authenticated:
        return {"warning_today": False}
    return {"warning_today": alerts_warning_today(), "logout_form": LogoutForm()}


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
    """Today at a glance."""
    rows = db.session.execute(staff_view.alerts_query(today_local()).limit(10)).all()
    return render_template("staff/today.html", summary=staff_view.today_summary(),
                           alerts=staff_view.with_rider_names(rows))


def search_form() -> SearchForm:
    """The filters of the query string, validated (invalid ones are shown and ignored)."""
    form = SearchForm(request.args)
    form.gender.choices = choices(staff_view.genders())
    form.validate()
    return form


def page_of(query):
    """One page of a query, as the `page` query argument asks."""
    return paginate_rows(query, per_page=current_app.config["STAFF_PAGE_SIZE"])


@bp.get("/alerts")
def alerts():
    """Heart-rate alerts: who, when, heart rate, limit, delivery status."""
    form = search_form()
    query = staff_view.alerts_query(form.value("day"), form.value("status"))
    page = page_of(query)
    return render_template("staff/alerts.html", form=form, page=page,
                           alerts=staff_view.with_rider_names(page.items))


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


@bp.get("/rides")
def rides():
    """Rides with search, filters and pagination."""
    form = search_form()
    query = staff_view.rides_query(form.value("q") or "", form.value("bike") or "",
                                   form.value("gender") or "", form.value("age_band") or "",
                                   form.value("date_from"), form.value("date_to"))
    return render_template("staff/rides.html", form=form, page=page_of(query))


@bp.get("/riders")
def riders():
    """Riders with search, filters and pagination."""
    form = search_form()
    query = staff_view.riders_query(form.value("q") or "", form.value("gender") or "")
    return render_template("staff/riders.html", form=form, page=page_of(query))


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
