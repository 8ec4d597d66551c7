"""Signed links to a report and to the archive: they open without a login and expire."""
from datetime import date

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "deloton-report-link"


class LinkRefused(Exception):
    """A signed link that was altered, has expired or names nothing."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def report_token(report_date: date) -> str:
    """A token for one report."""
    return _serializer().dumps({"scope": "report", "date": report_date.isoformat()})


def archive_token() -> str:
    """A token for the list of past reports (and every report on it)."""
    return _serializer().dumps({"scope": "archive"})


def read_token(token: str) -> dict:
    """The token's grant ({"scope": ..., "date": ...}); LinkRefused when altered or expired."""
    try:
        grant = _serializer().loads(token, max_age=current_app.config["REPORT_LINK_MAX_AGE_S"])
    except SignatureExpired:
        raise LinkRefused("This link has expired.") from None
    except BadSignature:
        raise LinkRefused("This link is not valid.") from None
    if not isinstance(grant, dict) or grant.get("scope") not in ("report", "archive"):
        raise LinkRefused("This link is not valid.")
    return grant


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on PUBLIC_BASE_URL (emails are built by jobs, outside any request)."""
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
        return url_for(endpoint, _external=True, **values)


def report_link(report_date: date) -> str:
    """The signed link to a report, as the email gives it."""
    return external_url("reports.signed", token=report_token(report_date))


def archive_link() -> str:
    """The signed link to the archive, as the email gives it."""
    return external_url("reports.signed", token=archive_token())
