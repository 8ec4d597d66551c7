"""Flask extension objects, created unbound and initialised by create_app."""
import hashlib
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
csrf = CSRFProtect()
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


class CachingCompress(Compress):
    """Flask-Compress with its cache keyed by the body itself, so it is exact for any response.

    Its own COMPRESS_CACHE_KEY function sees only the request, and the same request may be
    answered differently (new rides, another key's role), so the response being compressed is
    handed to body_key here. The same body (a day's page of the API, asked for again and again)
    is then compressed once per process: the digest costs about a fifth of zstd's time on it."""

    def init_app(self, app) -> None:
        app.config.setdefault("COMPRESS_CACHE_BACKEND", CompressedBodies)
        app.config.setdefault("COMPRESS_CACHE_KEY", body_key)
        super().init_app(app)

    def after_request(self, response: Response | None) -> Response:
        token = _compressing.set(response)
        try:
            return super().after_request(response)
        finally:
            _compressing.reset(token)


compress = CachingCompress()  # pages, fragments and JSON in zstd, brotli or gzip, as the browser accepts
login_manager = LoginManager()
login_manager.login_view = "staff.login"
login_manager.login_message = "Please log in to see the staff pages."
api = Api(spec_kwargs={"extra_plugins": [HonestSpecPlugin()]})  # see app/openapi.py


class SiteLimiter(Limiter):
    """Flask-Limiter, which leaves alone at once the blueprints that count their own limit.

    For an exempt blueprint Flask-Limiter still walks its limits, exemptions and scopes on every
    request, several percent of the CPU of an API read; a request filter (its public way to skip a
    request) stops it first."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.self_counted: set[str] = set()  # names of blueprints that count their own requests
        self.request_filter(lambda: request.blueprint in self.self_counted)

    def leave_alone(self, blueprint) -> None:
        """Exempt `blueprint`, and skip its requests without looking at them."""
        self.exempt(blueprint)
        self.self_counted.add(blueprint.name)


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
