"""Error handling: JSON under /api, an HTML page elsewhere, never a stack trace."""
from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError


def wants_json() -> bool:
    """API requests get JSON errors."""
    return request.path.startswith("/api")


def describe(error: HTTPException) -> tuple[str, dict | None, dict]:
    """The message, the per-field problems and the extra headers of an error."""
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    headers.update({k: v for k, v in error.get_headers() if k.lower() != "content-type"})
    fields = data.get("messages")
    if (error.code or 500) >= 500:
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
    if wants_json():
        body = {"code": code, "status": error.name, "message": message}
        if fields:
            body["errors"] = fields
        return jsonify(body), code, headers
    return render_template("error.html", code=code, name=error.name, message=message), code, headers


def register(app: Flask) -> None:
    """Install the handlers on the app (replacing flask-smorest's JSON-everywhere handler)."""
    app.register_error_handler(HTTPException, error_response)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        """Log any other error and answer a plain 500."""
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(InternalServerError())
