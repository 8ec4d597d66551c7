"""The REST API under /api (flask-smorest): one module per resource, keys checked on every call."""
from flask import current_app, g
from flask_smorest import Blueprint, abort

from app.extensions import limiter
from app.models import utcnow
from app.services.api_keys import bearer_token, find_active_key

# Lists paginate with page/page_size: 50 by default, at most 500 (CONTRACT section 6).
Blueprint.DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 50, "max_page_size": 500}

UNAUTHORIZED = {"WWW-Authenticate": 'Bearer realm="deloton"'}


def require_api_key() -> None:
    """Every API request carries a valid key; DELETE needs an admin key."""
    token = bearer_token()
    if token is None:
        abort(401, message="Send an API key as `Authorization: Bearer <key>`.", headers=UNAUTHORIZED)
    key = find_active_key(token)
    if key is None:
        abort(401, message="Unknown or revoked API key.", headers=UNAUTHORIZED)
    g.api_key = key
    # Cheap bookkeeping so operators can see which keys are used; at most once a minute per key.
    now = utcnow()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        key.last_used_at = now
        from app.extensions import db
        db.session.commit()


def require_admin() -> None:
    """Refuse a reader key on a call that changes data."""
    if g.api_key.role != "admin":
        abort(403, message="This call needs an admin key; yours is a reader key.")


def api_rate_limit() -> str:
    """The per-key request limit (API_RATE_LIMIT)."""
    return current_app.config["API_RATE_LIMIT"]


def make_blueprint(name: str, description: str) -> Blueprint:
    """A resource blueprint under /api with authentication and the per-key limit."""
    blp = Blueprint(name, __name__, url_prefix="/api", description=description)
    blp.before_request(require_api_key)
    limiter.limit(api_rate_limit)(blp)
    return blp


def resources() -> list[Blueprint]:
    """Every resource blueprint, in the order the docs list them."""
    from app.blueprints.api import daily, leaderboard, riders, rides

    return [rides.blp, riders.blp, daily.blp, leaderboard.blp]
