"""The REST API under /api (flask-smorest): one module per resource, keys checked on every call."""
from flask import current_app, g
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint, abort

from app.extensions import db, limiter
from app.models import ApiKey
from app.openapi import MAX_PAGE
from app.security import no_store
from app.services.api_keys import PERSONAL_DATA_ROLES, bearer_token, find_active_key, mark_key_used

# Lists paginate with page/page_size: 50 by default, at most 500 (docs/specification.md#rest-api).
Blueprint.DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 50, "max_page_size": 500}

UNAUTHORIZED = {"WWW-Authenticate": 'Bearer realm="deloton"'}
NOT_CHECKED = object()


def verified_key() -> ApiKey | None:
    """The request's active API key, looked up once per request (None without a valid key)."""
    key = g.get("api_key", NOT_CHECKED)
    if key is NOT_CHECKED:
        token = bearer_token()
        key = find_active_key(token) if token else None
        g.api_key = key
    return key


def api_client_identity() -> str:
    """Rate-limit bucket: the verified key, else the client address.

    The key is checked before it is counted, so a made-up key earns no fresh allowance and knowing
    a key's public prefix cannot use up that key's allowance."""
    key = verified_key()
    return f"key:{key.key_id}" if key is not None else f"address:{get_remote_address()}"


def require_api_key() -> None:
    """Every API request carries a valid key; DELETE needs an admin key."""
    if bearer_token() is None:
        abort(401, message="Send an API key as `Authorization: Bearer <key>`.", headers=UNAUTHORIZED)
    key = verified_key()
    if key is None:
        abort(401, message="Unknown or revoked API key.", headers=UNAUTHORIZED)
    mark_key_used(key)


def require_admin() -> None:
    """Refuse a reader key on a call that changes data."""
    if g.api_key.role != "admin":
        abort(403, message=f"This call needs an admin key; yours is a {g.api_key.role} key.")


def may_read_personal_data() -> bool:
    """Whether the request's key may see riders' contact and body details."""
    return g.api_key.role in PERSONAL_DATA_ROLES


def api_rate_limit() -> str:
    """The per-key request limit (API_RATE_LIMIT)."""
    return current_app.config["API_RATE_LIMIT"]


def make_blueprint(name: str, description: str) -> Blueprint:
    """A resource blueprint under /api with authentication and the per-key limit."""
    blp = Blueprint(name, __name__, url_prefix="/api", description=description)
    blp.before_request(require_api_key)
    blp.after_request(no_store)  # answers may hold personal data
    # One scope for every resource: the limit counts a key's requests over the whole API.
    limiter.shared_limit(api_rate_limit, scope="api", key_func=api_client_identity)(blp)
    return blp


def paginate(query, pagination_parameters):
    """Run a paginated query and tell flask-smorest the total (for X-Pagination)."""
    if pagination_parameters.page > MAX_PAGE:  # documented as the maximum of `page`
        abort(422, message=f"page is too large: at most {MAX_PAGE}.")
    page = db.paginate(query, page=pagination_parameters.page,
                       per_page=pagination_parameters.page_size, error_out=False, count=True)
    pagination_parameters.item_count = page.total
    return page


def resources() -> list[Blueprint]:
    """Every resource blueprint, in the order the docs list them."""
    from app.blueprints.api import daily, leaderboard, riders, rides

    return [rides.blp, riders.blp, daily.blp, leaderboard.blp]
