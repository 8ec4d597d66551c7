"""What every staff page shows around its content: the alerts warning banner and the logout form."""
from flask import request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SubmitField

from app.services.alerts.counts import alerts_warning_today


def url_with(endpoint: str | None = None, **changes) -> str:
    """This page's address (or another endpoint's) with the same query string but for `changes`;
    a change to None removes that argument. Keeps filters and sort in pager, sort and CSV links."""
    args = {**(request.view_args or {}), **request.args.to_dict(), **changes}
    return url_for(endpoint or request.endpoint, **{k: v for k, v in args.items() if v is not None})


class LogoutForm(FlaskForm):
    """A CSRF-protected button: logging out is a POST."""

    submit = SubmitField("Log out")


def staff_context() -> dict:
    """The warning banner and the logout form on every page."""
    if not current_user.is_authenticated:
        return {"warning_today": False}
    return {"warning_today": alerts_warning_today(), "logout_form": LogoutForm(),
            "url_with": url_with}
