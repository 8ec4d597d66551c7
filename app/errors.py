"""Error handling: JSON under /api, an HTML page elsewhere, never a stack trace."""
from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError


def wants_json() -> bool:
    """API requests get JSON errors."""
    return request.path.startswith("/api")


def error_response(error: HTTPException):
    """Render one HTTP error for the kind of client that asked."""
    code = error.code or 500
    message = error.description if code < 500 else "The server could not complete the request."
    if wants_json():
        body = {"code": code, "status": error.name, "message": message}
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        return jsonify(body), code, headers
    return render_template("error.html", code=code, name=error.name, message=message), code


def register(app: Flask) -> None:
    """Install the handlers on the app."""
    app.register_error_handler(HTTPException, error_response)

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(InternalServerError())
