"""The API's request limit (API_RATE_LIMIT), counted per verified key with one Redis call.

Flask-Limiter's own check walks every registered limit, exemption and scope on each request; the
API has one shared limit, so it is counted here with the same `limits` strategy and storage (and
the same Redis keys), and Flask-Limiter is left to the staff pages."""
import time
from functools import lru_cache

import limits
from flask import current_app
from flask_smorest import abort

from app.extensions import limiter

SCOPE = "api"  # one scope for every resource: the limit counts a key's requests over the whole API


@lru_cache(maxsize=8)
def _limits(text: str) -> tuple:
    return tuple(limits.parse_many(text))


def count_request(identity: str) -> None:
    """Count this request against `identity`'s allowance; past it, a 429 with the X-RateLimit-*
    headers and Retry-After (which only a 429 carries: reading the window costs a round trip)."""
    strategy = limiter.limiter
    for item in _limits(current_app.config["API_RATE_LIMIT"]):
        if not strategy.hit(item, identity, SCOPE):
            reset_time, remaining = strategy.get_window_stats(item, identity, SCOPE)
            reset_at = int(reset_time + 1)
            abort(429, message=str(item), headers={
                "X-RateLimit-Limit": str(item.amount), "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Reset": str(reset_at),
                "Retry-After": str(max(1, int(reset_at - time.time())))})
