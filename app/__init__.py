"""Deloton Live: the Flask application factory."""
import secrets
import sys
import time
from pathlib import Path

from flask import Flask, Response

from app.config import Config
from app.extensions import api, compress, csrf, db, htmx, limiter, login_manager, mail, migrate
from app.live import store
from app.sessions import CookieSessions
from app.settings import SettingsError

# The exit status of a start refused for bad settings: gunicorn reads 4 as "app failed to load" and
# stops, where another status would make it restart its workers for ever.
REFUSED_EXIT_STATUS = 4


def create_app(config_class: type = Config, check_settings: bool = True) -> Flask:
    """Build the app: config, extensions, blueprints, error handlers, commands.
    Raises SettingsError, one line per bad setting, unless `check_settings` is off."""
    if check_settings and config_class.setting_problems:
        raise SettingsError("\n".join(config_class.setting_problems))
    app = Flask(__name__)
    app.config.from_object(config_class)
    app.session_interface = CookieSessions()  # Flask's sessions, free for requests without one
    ensure_secret_key(app)
    ensure_local_dirs(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def start_app(check_settings: bool = True) -> Flask:
    """create_app for a process's entry point: bad settings end the process with their lines on
    stderr and a non-zero status, without a traceback."""
    try:
        return create_app(check_settings=check_settings)
    except SettingsError as error:
        print(error, file=sys.stderr)
        raise SystemExit(REFUSED_EXIT_STATUS) from None


def ensure_secret_key(app: Flask) -> None:
    """Without SECRET_KEY in the environment, make a throwaway one for this process."""
    if app.config["SECRET_KEY"]:
        return
    # A per-process key: sessions and signed links do not survive a restart, which
    # is acceptable for the embedded default and tests only (see docs/settings.md).
    app.config["SECRET_KEY"] = secrets.token_hex(32)


def ensure_local_dirs(app: Flask) -> None:
    """Create the folders of the SQLite files so a fresh clone just runs."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if not store.is_url(app.config["LIVE_DB_PATH"]):
        Path(app.config["LIVE_DB_PATH"]).parent.mkdir(parents=True, exist_ok=True)


def register_extensions(app: Flask) -> None:
    """Bind the extension objects to this app."""
    from app import models  # noqa: F401  (models must be known to Alembic)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True)
    mail.init_app(app)
    csrf.init_app(app)
    htmx.init_app(app)
    compress.init_app(app)
    login_manager.init_app(app)
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = limits_storage_uri(app.config["REDIS_URL"])
    # Registered before the limiter so that it runs after the limiter has handled the response.
    app.after_request(retry_after_only_when_limited)
    limiter.init_app(app)
    api.init_app(app)
    from app import security
    from app.live import db as live_db

    security.init_app(app)
    live_db.init_app(app)


def retry_after_only_when_limited(response: Response) -> Response:
    """The rate-limit headers (Retry-After, X-RateLimit-*) on a 429 only: reading the window for
    them costs two Redis round trips, which every other answer is spared (RATELIMIT_HEADERS_ENABLED)."""
    limit = limiter.current_limit if response.status_code == 429 else None
    if limit is not None:
        reset_at = limit.reset_at
        response.headers["X-RateLimit-Limit"] = str(limit.limit.amount)
        response.headers["X-RateLimit-Remaining"] = str(limit.remaining)
        response.headers["X-RateLimit-Reset"] = str(reset_at)
        response.headers["Retry-After"] = str(max(1, int(reset_at - time.time())))
    return response


def limits_storage_uri(redis_url: str) -> str:
    """Flask-Limiter's spelling of REDIS_URL (it names Unix sockets `redis+unix://`)."""
    return "redis+unix://" + redis_url.removeprefix("unix://") if redis_url.startswith("unix://") \
        else redis_url


def register_blueprints(app: Flask) -> None:
    """Mount each feature's blueprint."""
    from app.blueprints.health import bp as health_bp
    from app.blueprints.live import bp as live_bp
    from app.blueprints.reports import bp as reports_bp
    from app.blueprints.rides import bp as rides_bp
    from app.blueprints.staff import bp as staff_bp

    app.register_blueprint(health_bp)
    app.register_blueprint(live_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(rides_bp)
    register_api(app)


def register_api(app: Flask) -> None:
    """Mount the REST resources under /api; the API needs no CSRF token (it uses bearer keys)."""
    from app.blueprints.api import no_store_by_default, resources

    for blp in resources():
        api.register_blueprint(blp)
        csrf.exempt(blp)
    app.after_request(no_store_by_default)


def register_errorhandlers(app: Flask) -> None:
    """One handler: JSON under /api, an HTML page elsewhere."""
    from app.errors import register

    register(app)


def register_commands(app: Flask) -> None:
    """Add the `flask deloton ...` command group."""
    from app.cli import deloton, register_feature_commands

    register_feature_commands()
    app.cli.add_command(deloton)
