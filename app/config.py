"""Every setting of Deloton Live: one table read from the environment (documented in docs/settings.md)."""
import os
from pathlib import Path

from app.domain.rider import FORMULAS
from app.settings import (BOOLEAN, CRON, EMAIL, FOLDER, HOST, HOST_PORTS, KAFKA_NAME, LIVE_STORE, RATE_LIMIT,
                          SENDER, TEXT, TIME_ZONE, Setting, database_url, one_of, read, url, whole_number)

PROJECT_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("DELOTON_VAR_DIR") or PROJECT_DIR / "var")
SECONDS = whole_number(1)

# Name, default, what is allowed (Rule), then the Flask key when it differs and whether it is secret.
SETTINGS = (
    # Storage
    Setting("DELOTON_VAR_DIR", str(VAR_DIR), FOLDER),
    Setting("DATABASE_URL", f"sqlite:///{VAR_DIR / 'warehouse.db'}",
            database_url("sqlite", "postgresql+psycopg"), key="SQLALCHEMY_DATABASE_URI"),
    Setting("LIVE_DB_PATH", str(VAR_DIR / "live.db"), LIVE_STORE),
    Setting("REDIS_URL", "redis://localhost:6379/0", url("redis", "rediss", "unix")),
    # Stream
    Setting("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092", HOST_PORTS),
    Setting("KAFKA_TOPIC", "deloton", KAFKA_NAME),
    Setting("KAFKA_GROUP_ID", "deloton-consumer", TEXT),
    # At most this many messages per poll, i.e. per live store transaction.
    Setting("KAFKA_MAX_POLL_RECORDS", 20000, whole_number(1)),
    # /healthz checks Kafka only when this is on (the embedded default has no broker).
    Setting("KAFKA_HEALTHCHECK", False, BOOLEAN),
    # Where a partition with no saved position starts reading (earliest: backfill the topic).
    Setting("KAFKA_START", "latest", one_of("latest", "earliest")),
    # Mail (Flask-Mail); no MAIL_SERVER means emails are stored, not sent.
    Setting("MAIL_SERVER", None, HOST),
    Setting("MAIL_PORT", 25, whole_number(1, 65535)),
    Setting("MAIL_USE_TLS", False, BOOLEAN),
    Setting("MAIL_USE_SSL", False, BOOLEAN),
    Setting("MAIL_USERNAME", None, TEXT),
    Setting("MAIL_PASSWORD", None, TEXT, secret=True),
    Setting("MAIL_DEFAULT_SENDER", "Deloton Live <no-reply@deloton.local>", SENDER),
    Setting("MAIL_TIMEOUT_S", 10, SECONDS),
    Setting("ALERT_EMAIL_OVERRIDE", None, EMAIL),
    Setting("CEO_EMAIL", None, EMAIL),
    # Web
    Setting("PUBLIC_BASE_URL", "http://localhost:5000", url("http", "https")),
    Setting("SECRET_KEY", None, TEXT, secret=True),
    Setting("SESSION_COOKIE_SECURE", False, BOOLEAN),
    Setting("REPORT_LINK_MAX_AGE_S", 7 * 24 * 3600, SECONDS),
    Setting("RIDE_LINK_MAX_AGE_DAYS", 30, whole_number(1)),
    Setting("STAFF_SESSION_LIFETIME_S", 12 * 3600, SECONDS, key="PERMANENT_SESSION_LIFETIME"),
    Setting("LOGIN_RATE_LIMIT", "10 per minute", RATE_LIMIT),
    Setting("RATELIMIT_STORAGE_URI", None, url("memory", "redis", "rediss", "redis+unix")),  # None: REDIS_URL
    Setting("STAFF_PAGE_SIZE", 25, whole_number(1, 1000)),
    # REST API: requests per key, kept in Redis.
    Setting("API_RATE_LIMIT", "600 per minute", RATE_LIMIT),
    # Rides, alerts, report
    Setting("DELOTON_TZ", "Europe/London", TIME_ZONE),
    Setting("REPORT_CRON", "45 16 * * *", CRON),
    Setting("HR_MAX_FORMULA", "tanaka", one_of(*FORMULAS)),
    Setting("HR_REST_BPM", 60, whole_number(20, 150)),
    Setting("ALERT_AFTER_S", 3, SECONDS),
    Setting("ALERT_COOLDOWN_S", 300, whole_number(0)),
    # Alerts of readings older than this (wall clock) are stored but never emailed.
    Setting("ALERT_MAX_AGE_S", 300, SECONDS),
    Setting("RIDE_IDLE_TIMEOUT_S", 120, SECONDS),
    Setting("BACKTRACK_MAX_MESSAGES", 5000, whole_number(0)),
)

# Read once, when the first process module imports this one; create_app refuses to start on PROBLEMS.
VALUES, PROBLEMS = read(SETTINGS, os.environ)


class Config:
    """Flask's configuration: every setting of the table above, plus the fixed ones below."""

    # Lower case, so not copied into app.config: create_app refuses to start on any of them.
    setting_problems = tuple(PROBLEMS.values())

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # What the app renders is compressed; static files are not: Flask-Compress reads a file response
    # into memory and leaves the file for the garbage collector to close (a server in front of the
    # app, or the browser's cache, serves them better).
    COMPRESS_MIMETYPES = ["text/html", "application/json"]
    # A body this small goes in one TCP segment with its headers, compressed or not: compressing
    # it only costs CPU (a third of a ride's answer in the API).
    COMPRESS_MIN_SIZE = 800
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = VALUES["SESSION_COOKIE_SECURE"]
    RATELIMIT_HEADERS_ENABLED = False  # only a 429 carries them: see app.retry_after_only_when_limited

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


# Config takes every value of the table (defaults where a variable is unset).
for _key, _value in VALUES.items():
    setattr(Config, _key, _value)
