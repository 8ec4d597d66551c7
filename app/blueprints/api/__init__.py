"""The REST API under /api (flask-smorest): one module per resource, keys checked on every call."""
from flask import current_app, g
from flask_smorest import Blueprint, abort

from app.extensions import api_client_identity, db, limiter
from app.models import utcnow
from app.services.api_keys import bearer_token, find_active_key

# Lists paginate with page/page_size: 50 by default, at most 500 (docs/specification.md#rest-api).
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
    limiter.limit(api_rate_limit, key_func=api_client_identity)(blp)
    return blp


MAX_OFFSET = 2**31  # past this, OFFSET would overflow; no real list is that long


def paginate(query, pagination_parameters):
    """Run a paginated query and tell flask-smorest the total (for X-Pagination)."""
    if (pagination_parameters.page - 1) * pagination_parameters.page_size >= MAX_OFFSET:
        abort(422, message=f"page is too large: page x page_size must stay below {MAX_OFFSET}.")
    page = db.paginate(query, page=pagination_parameters.page,
                       per_page=pagination_parameters.page_size, error_out=False, count=True)
    pagination_parameters.item_count = page.total
    return page


def resources() -> list[Blueprint]:
    """Every resource blueprint, in the order the docs list them."""
    from app.blueprints.api import daily, leaderboard, riders, rides

    return [rides.blp, riders.blp, daily.blp, leaderboard.blp]
