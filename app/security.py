"""Security headers on every response, and request parameters no database can store refused."""
from flask import Flask, Response, abort, request

# Only this origin: scripts, styles, images, fetches and forms. No inline script or style
# attributes (uPlot sizes its canvas through the CSSOM, which CSP allows).
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
                           "object-src 'none'")


def add_security_headers(response: Response) -> Response:
    """Set the CSP and the usual hardening headers, unless a view chose its own."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def no_store(response: Response) -> Response:
    """For pages and answers holding personal data: no browser or proxy may keep a copy."""
    response.headers["Cache-Control"] = "no-store"
    return response


def refuse_nul_characters() -> None:
    """A NUL character in the path or a parameter is never meaningful, and PostgreSQL cannot hold
    one (a bike serial in /bikes/<serial> would reach the live store): 400."""
    if "\x00" in request.path:
        abort(400, description="The address contains a NUL character.")
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            if "\x00" in name or "\x00" in value:
                abort(400, description=f"Parameter {name!r} contains a NUL character.")


def init_app(app: Flask) -> None:
    """Install the parameter check and the headers on the app."""
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)
