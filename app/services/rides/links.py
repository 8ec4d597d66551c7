"""A rider's own signed link to one ride: it opens the ride page without a login, and expires."""
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.services.report.links import LinkRefused, external_url

# Its own salt: a report link can never be read as a ride link, nor the other way round.
SALT = "deloton-ride-link"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def max_age_s() -> int:
    """How long a ride link lasts, in seconds (RIDE_LINK_MAX_AGE_DAYS)."""
    return current_app.config["RIDE_LINK_MAX_AGE_DAYS"] * 24 * 3600


def ride_token(ride_id: int) -> str:
    """A token for one ride."""
    return _serializer().dumps({"ride": ride_id})


def read_ride_token(token: str) -> int:
    """The ride id the token grants; LinkRefused when altered, expired or not a ride link."""
    try:
        grant = _serializer().loads(token, max_age=max_age_s())
    except SignatureExpired:
        raise LinkRefused("This link has expired: ask for a new one.") from None
    except BadSignature:
        raise LinkRefused("This link is not valid.") from None
    if not isinstance(grant, dict) or not isinstance(grant.get("ride"), int):
        raise LinkRefused("This link is not valid.")
    return grant["ride"]


def ride_link(ride_id: int) -> str:
    """The rider's absolute link to a ride, on PUBLIC_BASE_URL."""
    return external_url("ride_pages.rider_page", token=ride_token(ride_id))
