"""Error handling: JSON for the API and .json endpoints, an HTML page elsewhere, no stack trace."""
from flask import Flask, Response, current_app, jsonify, render_template, request
from markupsafe import escape
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from app.extensions import db


def wants_json() -> bool:
    """API requests and the pages' JSON endpoints (chart series) get JSON errors."""
    return request.path.startswith("/api") or request.path.endswith(".json")


def describe(error: HTTPException) -> tuple[str, dict | None, dict]:
    """The message, the per-field problems and the extra headers of an error."""
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    headers.update({k: v for k, v in error.get_headers() if k.lower() != "content-type"})
    fields = data.get("messages")
    if (error.code or 500) >= 500 and error.code != 503:  # a 503 says what is missing, no internals
        return "The server could not complete the request.", None, headers
    if fields:
        return f"Invalid request parameters: {flatten(fields)}", fields, headers
    return data.get("message") or error.description, None, headers


def flatten(messages, prefix: str = "") -> str:
    """webargs' nested {location: {field: [problems]}} as one readable line."""
    if isinstance(messages, dict):
        parts = [flatten(value, f"{key}" if prefix in ("", "query", "json", "path") else
                         f"{prefix}.{key}") for key, value in messages.items()]
        return "; ".join(parts)
    if isinstance(messages, list):
        return f"{prefix}: " + " ".join(str(item) for item in messages)
    return f"{prefix}: {messages}"


def error_response(error: HTTPException):
    """Render one HTTP error for the kind of client that asked."""
    code = error.code or 500
    message, fields, headers = describe(error)
    if code >= 500:
        release_session()
    if wants_json():
        body = {"code": code, "status": error.name, "message": message}
        if fields:
            body["errors"] = fields
        return jsonify(body), code, headers
    return error_page(code, error.name, message), code, headers


def release_session() -> None:
    """Roll back the request's transaction: after a database error it is aborted, and the error
    page (whose staff banner queries the database) must not fail in it."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 -- the database may be gone altogether; the page still renders
        current_app.logger.exception("rollback after an error failed")


def error_page(code: int, name: str, message: str) -> str:
    """The HTML error page; a bare one if the page itself cannot be rendered (say, no database)."""
    try:
        return render_template("error.html", code=code, name=name, message=message)
    except Exception:  # noqa: BLE001 -- an error page must never become a second error
        current_app.logger.exception("the error page could not be rendered")
        return (f"<!doctype html><title>{code} {escape(name)}</title>"
                f"<h1>{code} {escape(name)}</h1><p>{escape(message)}</p>")


def redis_unavailable(error: Exception) -> tuple[Response, int, dict]:
    """Redis (rate-limit counts) cannot be reached: 503, so clients retry later, not a 500."""
    current_app.logger.error("Redis unavailable on %s %s: %s", request.method, request.path, error)
    return error_response(ServiceUnavailable(
        "A service this site needs is unavailable for a moment; try again shortly."))


def register(app: Flask) -> None:
    """Install the handlers on the app (replacing flask-smorest's JSON-everywhere handler)."""
    app.register_error_handler(HTTPException, error_response)
    app.register_error_handler(RedisConnectionError, redis_unavailable)
    app.register_error_handler(RedisTimeoutError, redis_unavailable)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        """Log any other error and answer a plain 500."""
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(InternalServerError())
