"""Security headers on every response, and request parameters no database can store refused."""
from flask import Flask, Response, abort, request
from werkzeug.routing import IntegerConverter

from app.models import BIGINT_MAX

# Only this origin: scripts, styles, images, fetches and forms. No inline script or style
# attributes (uPlot sizes its canvas through the CSSOM, which CSP allows).
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; "
                           "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; "
                           "object-src 'none'")


# The bodies Werkzeug reads form fields from (request.form is empty for any other).
FORM_MIMETYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

# The hardening headers every answer carries, with their names in lower case to look them up.
SECURITY_HEADERS = (("Content-Security-Policy", CONTENT_SECURITY_POLICY), ("X-Content-Type-Options", "nosniff"),
                    ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY"))
_LOWER_SECURITY_HEADERS = tuple((name.lower(), name, value) for name, value in SECURITY_HEADERS)


def add_security_headers(response: Response) -> Response:
    """Set the CSP and the usual hardening headers, unless a view chose its own."""
    headers = response.headers
    # One pass over the answer's headers, where setdefault() scanned them once per header.
    present = {name.lower() for name, _ in headers}
    headers.extend([(name, value) for lower, name, value in _LOWER_SECURITY_HEADERS if lower not in present])
    return response


def add_vary(response: Response, name: str) -> None:
    """Add `name` to the answer's Vary header unless it is there (response.vary.add parses the
    header into a set and writes it back, several times the cost, on every poll)."""
    vary = response.headers.get("Vary")
    if not vary:
        response.headers["Vary"] = name
    elif name.lower() not in (part.strip().lower() for part in vary.split(",")):
        response.headers["Vary"] = f"{vary}, {name}"


def no_store(response: Response) -> Response:
    """For pages and answers holding personal data: no browser or proxy may keep a copy."""
    response.headers["Cache-Control"] = "no-store"
    return response


def refuse_nul_characters() -> None:
    """A NUL character in the path or a parameter is never meaningful, and PostgreSQL cannot hold
    one (a bike serial in /bikes/<serial> would reach the live store): 400."""
    if "\x00" in request.path:
        abort(400, description="The address contains a NUL character.")
    # Only a query string holding a NUL (raw or %00) can give a parameter one; only a form body has
    # form fields. The others, nearly every request, are not parsed here for nothing.
    query = request.query_string
    sources = [request.args] if b"\x00" in query or b"%00" in query else []
    if request.mimetype in FORM_MIMETYPES:
        sources.append(request.form)
    for source in sources:
        for name, value in source.items(multi=True):
            if "\x00" in name or "\x00" in value:
                abort(400, description=f"Parameter {name!r} contains a NUL character.")


class AsciiIntegerConverter(IntegerConverter):
    """`<int:...>` in a route: ASCII digits only, at most BIGINT_MAX unless the route says less.

    Werkzeug's own matches any Unicode digit (`/api/ride/١` was ride 1: two addresses for one
    resource, which caches and filters do not expect) and leading zeros (`/api/ride/014`, the same),
    and an id past the database's range was a 500 instead of a 404."""

    regex = r"0|[1-9][0-9]*"

    def __init__(self, map, fixed_digits=0, min=None, max=BIGINT_MAX, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    """Install the parameter check and the headers on the app (and the strict `int` converter,
    which must be in place before any route is added)."""
    app.url_map.converters["int"] = AsciiIntegerConverter
    app.before_request(refuse_nul_characters)
    app.after_request(add_security_headers)
