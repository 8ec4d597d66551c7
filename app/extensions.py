"""Flask extension objects, created unbound and initialised by create_app."""
import sqlite3

from flask import request
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
compress = Compress()  # pages, fragments and JSON in zstd, brotli or gzip, as the browser accepts
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
