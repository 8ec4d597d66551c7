"""Flask extension objects, created unbound and initialised by create_app."""
import hashlib
import re
import sqlite3
import threading
from collections import OrderedDict
from contextvars import ContextVar

from flask import Response, current_app, request
from flask_compress import Compress
from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from limits.errors import ConfigurationError
from sqlalchemy import event as sa_event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

from app.openapi import HonestSpecPlugin


class Base(DeclarativeBase):
    """Declarative base shared by every warehouse model."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
mail = Mail()


class SiteCSRF(CSRFProtect):
    """Flask-WTF's CSRF protection, which asks the request's method first: a GET has no token to
    check, yet Flask-WTF looked up the view's and blueprint's exemptions for it first."""

    def protect(self, apply_exemptions: bool = False) -> None:
        """Check the token of a POST, PUT, PATCH or DELETE (WTF_CSRF_METHODS), as Flask-WTF does."""
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return
        super().protect(apply_exemptions=apply_exemptions)


csrf = SiteCSRF()
htmx = HTMX()


class CompressedBodies:
    """Flask-Compress's cache backend: the compressed bytes of the most recently compressed bodies
    (at most CAPACITY, the least recently used go first), for every thread of the process."""

    CAPACITY = 256  # a day's page of the API is about 1.3 KB compressed

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, bytes] = OrderedDict()

    def get(self, key: str) -> bytes | None:
        """The compressed bytes kept under `key`, else None."""
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
            return found

    def set(self, key: str, value: bytes) -> None:
        """Keep `value` under `key`, forgetting the least recently used past CAPACITY."""
        with self._lock:
            self._kept[key] = value
            self._kept.move_to_end(key)
            if len(self._kept) > self.CAPACITY:
                self._kept.popitem(last=False)


_compressing: ContextVar[Response] = ContextVar("compressing")  # the response being compressed
_LEVELS = ("COMPRESS_LEVEL", "COMPRESS_DEFLATE_LEVEL", "COMPRESS_ZSTD_LEVEL", "COMPRESS_BR_LEVEL",
           "COMPRESS_BR_MODE", "COMPRESS_BR_WINDOW", "COMPRESS_BR_BLOCK")


def body_key(_request) -> str:
    """The cache key of the response being compressed: a digest of its body and of the settings
    that shape the compressed bytes (Flask-Compress puts the algorithm in front)."""
    config = current_app.config
    digest = hashlib.sha256(_compressing.get().get_data())
    digest.update(repr([config[name] for name in _LEVELS]).encode())
    return digest.hexdigest()


# An Accept-Encoding entry with quality 0 ("gzip;q=0", "br; q=0.000"): the client refuses it.
_REFUSED_ENCODING = re.compile(r";\s*q\s*=\s*0(?:\.0{0,3})?\s*(?:,|$)", re.IGNORECASE)


def acceptable_encoding(algorithms: tuple[str, ...]) -> str:
    """The request's Accept-Encoding reduced to the one algorithm it accepts best ("identity" when
    it accepts none): Werkzeug's reading, which honours "q=0" as a refusal."""
    return request.accept_encodings.best_match(algorithms) or "identity"


class CachingCompress(Compress):
    """Flask-Compress with its cache keyed by the body itself, so it is exact for any response,
    and a refused encoding never sent.

    Its own COMPRESS_CACHE_KEY function sees only the request, and the same request may be
    answered differently (new rides, another key's role), so the response being compressed is
    handed to body_key here. The same body (a day's page of the API, asked for again and again)
    is then compressed once per process: the digest costs about a fifth of zstd's time on it.

    Flask-Compress (1.25) picks an algorithm the client gave quality 0 when it has nothing better
    ("gzip;q=0" was answered in gzip), where RFC 9110 makes q=0 "not acceptable"; such a header is
    handed to it reduced to the algorithm Werkzeug finds acceptable, or to "identity"."""

    def init_app(self, app) -> None:
        app.config.setdefault("COMPRESS_CACHE_BACKEND", CompressedBodies)
        app.config.setdefault("COMPRESS_CACHE_KEY", body_key)
        super().init_app(app)

    def after_request(self, response: Response | None) -> Response:
        token = _compressing.set(response)
        environ = request.environ
        header = environ.get("HTTP_ACCEPT_ENCODING")
        if header and _REFUSED_ENCODING.search(header):
            environ["HTTP_ACCEPT_ENCODING"] = acceptable_encoding(self.enabled_algorithms)
        try:
            return super().after_request(response)
        finally:
            _compressing.reset(token)
            if header is not None:
                environ["HTTP_ACCEPT_ENCODING"] = header


compress = CachingCompress()  # pages, fragments and JSON in zstd, brotli or gzip, as the browser accepts
login_manager = LoginManager()
login_manager.login_view = "staff.login"
login_manager.login_message = "Please log in to see the staff pages."
api = Api(spec_kwargs={"extra_plugins": [HonestSpecPlugin()]})  # see app/openapi.py


# Flask-Limiter's settings of limits that apply to every request (SiteLimiter has none); the
# in-memory fallback is one too, applied to every request while the storage is down.
SITE_WIDE_LIMIT_SETTINGS = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META",
                            "RATELIMIT_IN_MEMORY_FALLBACK")


class SiteLimiter(Limiter):
    """Flask-Limiter for a site whose every limit sits on the view it guards (`@limiter.limit`, the
    staff login): no default, application, meta, fallback or blueprint limit (it refuses all but the
    last, which Flask-Limiter would only learn of after the app starts).

    Flask-Limiter's before-request hook counts only the limits that apply to every request; here
    there are none, yet it walked limits, exemptions and scopes for each page, a third of the CPU of
    `/livez`. So that hook returns at once: the limit on a view is still counted by the view's own
    wrapper, which calls the same check from inside the view (`in_middleware=False`)."""

    def __init__(self, *args, **kwargs) -> None:
        if any(kwargs.get(name) for name in ("default_limits", "application_limits", "meta_limits",
                                             "in_memory_fallback")):
            raise ConfigurationError("SiteLimiter takes limits on views only")
        super().__init__(*args, **kwargs)

    def init_app(self, app) -> None:
        """Flask-Limiter's init_app, refusing the settings of limits on every request."""
        site_wide = [key for key in SITE_WIDE_LIMIT_SETTINGS if app.config.get(key)]
        if site_wide:
            raise ConfigurationError(f"SiteLimiter takes limits on views only, not {', '.join(site_wide)}")
        super().init_app(app)

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        """Flask-Limiter's check: before the view there is nothing to count (see the class)."""
        if in_middleware:
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    def leave_alone(self, blueprint) -> None:
        """Exempt `blueprint`, which counts its own limit (the API)."""
        self.exempt(blueprint)


# Limits apply where a view or blueprint asks for them; storage is Redis (REDIS_URL). They count per
# client address unless a limit says otherwise: only the API counts per *verified* key (see
# app.blueprints.api.api_client_identity), so a made-up key never earns a fresh count.
limiter = SiteLimiter(key_func=get_remote_address, default_limits=[])


@sa_event.listens_for(Engine, "connect")
def enable_sqlite_foreign_keys(dbapi_connection, connection_record) -> None:
    """SQLite enforces foreign keys (and so ON DELETE CASCADE) only when asked, per connection."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def dialect_insert(table, dialect_name: str | None = None):
    """The INSERT of the named dialect (default: the session's), which knows ON CONFLICT
    (PostgreSQL and SQLite alike)."""
    name = dialect_name or db.session.get_bind().dialect.name
    return (postgresql if name == "postgresql" else sqlite).insert(table)
