"""Every setting of Deloton Live, read from the environment (documented in docs/settings.md)."""
import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DELOTON_VAR_DIR", PROJECT_DIR / "var"))


def env_int(name: str, default: int) -> int:
    """Read an integer setting, failing loudly on a value that is not one."""
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"setting {name} must be an integer, got {raw!r}") from None


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no setting (1, true, yes, on mean yes)."""
    raw = os.environ.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_str(name: str, default: str | None) -> str | None:
    """Read a text setting; an empty value counts as unset."""
    raw = os.environ.get(name)
    return default if raw in (None, "") else raw


class Config:
    """The settings of CONTRACT section 8, each with its documented default."""

    # Storage
    SQLALCHEMY_DATABASE_URI = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'warehouse.db'}")
    LIVE_DB_PATH = env_str("LIVE_DB_PATH", str(VAR_DIR / "live.db"))
    REDIS_URL = env_str("REDIS_URL", "redis://localhost:6379/0")

    # Stream
    KAFKA_BOOTSTRAP_SERVERS = env_str("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
    KAFKA_TOPIC = env_str("KAFKA_TOPIC", "deloton")
    KAFKA_GROUP_ID = env_str("KAFKA_GROUP_ID", "deloton-consumer")
    # At most this many messages per poll, i.e. per live store transaction.
    KAFKA_MAX_POLL_RECORDS = env_int("KAFKA_MAX_POLL_RECORDS", 20000)
    # /healthz checks Kafka only when this is on (the embedded default has no broker).
    KAFKA_HEALTHCHECK = env_bool("KAFKA_HEALTHCHECK", False)
    # Where a partition with no saved position starts: latest (the ride in progress) or earliest (backfill).
    KAFKA_START = env_str("KAFKA_START", "latest")

    # Mail (Flask-Mail); no MAIL_SERVER means emails are stored, not sent.
    MAIL_SERVER = env_str("MAIL_SERVER", None)
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = env_str("MAIL_USERNAME", None)
    MAIL_PASSWORD = env_str("MAIL_PASSWORD", None)
    MAIL_DEFAULT_SENDER = env_str("MAIL_DEFAULT_SENDER", "Deloton Live <no-reply@deloton.local>")
    MAIL_TIMEOUT_S = env_int("MAIL_TIMEOUT_S", 10)
    ALERT_EMAIL_OVERRIDE = env_str("ALERT_EMAIL_OVERRIDE", None)
    CEO_EMAIL = env_str("CEO_EMAIL", None)

    # Web
    PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", "http://localhost:5000")
    SECRET_KEY = env_str("SECRET_KEY", None)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", False)
    REPORT_LINK_MAX_AGE_S = env_int("REPORT_LINK_MAX_AGE_S", 7 * 24 * 3600)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = env_int("STAFF_SESSION_LIFETIME_S", 12 * 3600)
    LOGIN_RATE_LIMIT = env_str("LOGIN_RATE_LIMIT", "10 per minute")
    RATELIMIT_STORAGE_URI = env_str("RATELIMIT_STORAGE_URI", None)  # None: REDIS_URL
    RATELIMIT_HEADERS_ENABLED = True
    STAFF_PAGE_SIZE = env_int("STAFF_PAGE_SIZE", 25)

    # Rides, alerts, report
    DELOTON_TZ = env_str("DELOTON_TZ", "Europe/London")
    REPORT_CRON = env_str("REPORT_CRON", "45 16 * * *")
    HR_MAX_FORMULA = env_str("HR_MAX_FORMULA", "tanaka")
    HR_REST_BPM = env_int("HR_REST_BPM", 60)
    ALERT_AFTER_S = env_int("ALERT_AFTER_S", 3)
    ALERT_COOLDOWN_S = env_int("ALERT_COOLDOWN_S", 300)
    # An alert of a reading older than this (a backfill, a late catch-up) is recorded, not emailed.
    ALERT_MAX_AGE_S = env_int("ALERT_MAX_AGE_S", 300)
    RIDE_IDLE_TIMEOUT_S = env_int("RIDE_IDLE_TIMEOUT_S", 120)
    BACKTRACK_MAX_MESSAGES = env_int("BACKTRACK_MAX_MESSAGES", 5000)

    # REST API: requests per key (Flask-Limiter syntax), kept in Redis.
    API_RATE_LIMIT = env_str("API_RATE_LIMIT", "600 per minute")

    # flask-smorest / OpenAPI (the docs page's assets are served by the app, not a CDN)
    API_TITLE = "Deloton Live API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    OPENAPI_SWAGGER_UI_URL = "/static/vendor/swagger-ui-5.35.0/"
    API_SPEC_OPTIONS = {
        "info": {"description": "Rides, riders and leaderboards of the Deloton fleet. "
                                "Every request needs `Authorization: Bearer <key>`."},
        "components": {"securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearerAuth": []}],
    }

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    TESTING = False
