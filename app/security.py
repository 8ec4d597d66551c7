"""Security headers on every response: nothing loads from, or is sent to, another origin."""
from flask import Flask, Response

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


def init_app(app: Flask) -> None:
    """Install the headers on the app."""
    app.after_request(add_security_headers)
