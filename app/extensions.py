"""Flask extension objects, created unbound and initialised by create_app."""
import sqlite3

from flask import current_app, request
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
compress = Compress()  # pages, fragments and JSON in zstd, brotli or gzip, as the browser accepts
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
