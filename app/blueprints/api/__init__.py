"""The REST API under /api (flask-smorest): one module per resource, keys checked on every call."""
import json
from functools import lru_cache

from flask import g, request
from flask_limiter.util import get_remote_address
from flask_smorest import Blueprint, abort
from flask_smorest.pagination import PaginationParameters

from app.blueprints.api import reads, statements
from app.blueprints.api.cursor import NEXT_CURSOR, decode, encode
from app.blueprints.api.limit import count_request
from app.blueprints.api.ride_json import json_response, rides_json
from app.blueprints.api.strict_parser import StrictNumberParser
from app.extensions import limiter
from app.openapi import MAX_PAGE
from app.security import no_store
from app.services.accounts.api_keys import (PERSONAL_DATA_ROLES, ActiveKey, bearer_token, find_active_key,
                                           mark_key_used)

# Lists paginate with page/page_size: 50 by default, at most 500 (docs/specification.md#rest-api).
Blueprint.DEFAULT_PAGINATION_PARAMETERS = {"page": 1, "page_size": 50, "max_page_size": 500}

NOT_COUNTED = object()  # item_count of a page read by cursor: nothing was counted


class ApiBlueprint(Blueprint):
    """flask-smorest's Blueprint, except that a page read by cursor sends no X-Pagination, and the
    header of a given page, size and total is made once per process (flask-smorest builds a
    marshmallow schema for it on every request). Its arguments, paging included, take numbers in
    ASCII only (StrictNumberParser)."""

    ARGUMENTS_PARSER = StrictNumberParser()
    PAGINATION_ARGUMENTS_PARSER = StrictNumberParser()

    def _set_pagination_metadata(self, page_params, result, headers):
        if page_params.item_count is NOT_COUNTED:
            return result, headers
        headers = {} if headers is None else headers
        headers[self.PAGINATION_HEADER_NAME] = pagination_header(
            page_params.page, page_params.page_size, page_params.item_count)
        return result, headers


@lru_cache(maxsize=4096)
def pagination_header(page: int, page_size: int, item_count: int) -> str:
    """X-Pagination exactly as flask-smorest writes it."""
    return json.dumps(Blueprint._make_pagination_metadata(page, page_size, item_count))


UNAUTHORIZED = {"WWW-Authenticate": 'Bearer realm="deloton"'}
NOT_CHECKED = object()


def verified_key() -> ActiveKey | None:
    """The request's active API key, looked up once per request (None without a valid key)."""
    key = g.get("api_key", NOT_CHECKED)
    if key is NOT_CHECKED:
        token = bearer_token()
        key = find_active_key(token, reads.rows) if token else None
        g.api_key = key
    return key


def api_client_identity() -> str:
    """Rate-limit bucket: the verified key, else the client address.

    The key is checked before it is counted, so a made-up key earns no fresh allowance and knowing
    a key's public prefix cannot use up that key's allowance."""
    key = verified_key()
    return f"key:{key.key_id}" if key is not None else f"address:{get_remote_address()}"


def require_api_key() -> None:
    """Every API request is counted against its limit (per verified key, else per address), then
    needs a valid key; DELETE needs an admin key."""
    count_request(api_client_identity())
    if bearer_token() is None:
        abort(401, message="Send an API key as `Authorization: Bearer <key>`.", headers=UNAUTHORIZED)
    key = verified_key()
    if key is None:
        abort(401, message="Unknown or revoked API key.", headers=UNAUTHORIZED)
    mark_key_used(key, reads.run)


def require_admin() -> None:
    """Refuse a reader key on a call that changes data."""
    if g.api_key.role != "admin":
        abort(403, message=f"This call needs an admin key; yours is a {g.api_key.role} key.")


def may_read_personal_data() -> bool:
    """Whether the request's key may see riders' contact and body details."""
    return g.api_key.role in PERSONAL_DATA_ROLES


def no_store_by_default(response):
    """Answers under /api may hold personal data: no-store, unless the view chose a policy (a closed
    ride's). An app-wide hook, so that answers no route gave (404, 405, a refused address) have it too."""
    path = request.path
    if "Cache-Control" in response.headers or not (path == "/api" or path.startswith("/api/")):
        return response
    return no_store(response)


def make_blueprint(name: str, description: str) -> Blueprint:
    """A resource blueprint under /api with authentication and the per-key limit."""
    blp = ApiBlueprint(name, __name__, url_prefix="/api", description=description)
    blp.before_request(require_api_key)
    limiter.leave_alone(blp)  # counted by require_api_key (app.blueprints.api.limit), not Flask-Limiter
    return blp


def paginate(list_query, filters: dict, pagination_parameters, cursor: str | None, newest_first: bool):
    """One page of a ride list (its JSON) and its headers: by `cursor` (keyset: no OFFSET, no count)
    when one is given, else by page/page_size with the total in X-Pagination. Either way
    X-Next-Cursor names the next page while more rides follow.

    `list_query(filters)` builds the list (newest first when `newest_first`); `filters` maps the
    filters given to their values."""
    size = pagination_parameters.page_size
    if pagination_parameters.page > MAX_PAGE:  # documented as the maximum of `page`, cursor or not
        abort(422, messages={"query": {"page": [f"Must be at most {MAX_PAGE}."]}})
    names = tuple(sorted(filters))
    values = {**filters, statements.PAGE_LIMIT: size + 1}
    if cursor is not None:
        values[statements.CURSOR_STARTED_AT], values[statements.CURSOR_RIDE_ID] = decode(cursor)
        rows = reads.rows(statements.after(list_query, names, newest_first), values)
        pagination_parameters.item_count = NOT_COUNTED
    else:
        # The total comes with the page (a window count, one round trip); a page past the end
        # has no rows to carry it, and is counted on its own.
        values[statements.PAGE_OFFSET] = (pagination_parameters.page - 1) * size
        rows = reads.rows(statements.page(list_query, names), values)
        pagination_parameters.item_count = rows[0].total if rows else reads.scalar(
            statements.count(list_query, names), filters)
    page = rows[:size]
    headers = {NEXT_CURSOR: encode(page[-1])} if len(rows) > size else {}
    return json_response(rides_json([(ride_id, closed_at) for ride_id, closed_at, *_ in page])), headers


def page_response(blp: ApiBlueprint, list_query, filters: dict, args: dict, newest_first: bool):
    """A page of a ride list for a query string read by app.blueprints.api.plain: the same answer
    and headers as through flask-smorest's decorators."""
    defaults = Blueprint.DEFAULT_PAGINATION_PARAMETERS
    parameters = PaginationParameters(args.get("page", defaults["page"]),
                                      args.get("page_size", defaults["page_size"]))
    response, headers = paginate(list_query, filters, parameters, args.get("cursor"), newest_first)
    _, headers = blp._set_pagination_metadata(parameters, None, headers)
    response.headers.extend(headers)
    return response


def resources() -> list[Blueprint]:
    """Every resource blueprint, in the order the docs list them."""
    from app.blueprints.api import daily, leaderboard, riders, rides

    return [rides.blp, riders.blp, daily.blp, leaderboard.blp]
