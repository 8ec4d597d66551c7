"""Fixtures over the real services: PostgreSQL, Redis, Kafka, and SQLite for the embedded path."""
import os
import uuid

import psycopg
import pytest
import redis as redis_lib
from flask_migrate import upgrade
from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient, NewTopic

from app import create_app
from app.config import Config
from app.extensions import db
from app.live import store
from tests.factories import add_staff, log_in
from tests.smtp_sink import SmtpSink
from tests.waiting import wait_for

# Where the real services are (`make services` starts them on these ports).
PG_ADMIN_DSN = os.environ.get("TEST_PG_ADMIN_DSN", "postgresql://deloton:deloton@localhost:5432/deloton")
REDIS_BASE_URL = os.environ.get("TEST_REDIS_URL", "redis://localhost:6379")
# Each concurrent test session takes its own Redis database number; under pytest-xdist each worker
# (gw0, gw1, ...) counts down from it, so two workers never flush each other's queues.
XDIST_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:])
REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "15")) - XDIST_WORKER
KAFKA_SERVERS = os.environ.get("TEST_KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
LIVE_TABLES = ("bikes", "rides", "readings", "pending_halves", "alerts", "quarantine", "counters",
               "positions", "outbox", "consumer_failures")


def pg_url(dbname: str) -> str:
    """A SQLAlchemy URL for a database on the test PostgreSQL server."""
    base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return f"{base}/{dbname}"


def live_store_url(dbname: str) -> str:
    """A LIVE_DB_PATH naming a PostgreSQL live store in a database of the test server."""
    return f"{PG_ADMIN_DSN.rsplit('/', 1)[0]}/{dbname}"


def create_pg_database(name: str) -> None:
    """CREATE DATABASE on the test server."""
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_pg_database(name: str) -> None:
    """DROP DATABASE, disconnecting anyone still in it."""
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_database():
    """A throwaway PostgreSQL database for this test session (created and dropped)."""
    name = f"deloton_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    create_pg_database(name)
    yield pg_url(name)
    drop_pg_database(name)


@pytest.fixture
def empty_pg_database():
    """A fresh, empty PostgreSQL database for one test."""
    name = f"deloton_empty_{uuid.uuid4().hex[:10]}"
    create_pg_database(name)
    yield pg_url(name)
    drop_pg_database(name)


@pytest.fixture(scope="session")
def pg_live_database():
    """A throwaway PostgreSQL database for this session's PostgreSQL live stores."""
    name = f"deloton_live_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    create_pg_database(name)
    yield live_store_url(name)
    drop_pg_database(name)


@pytest.fixture
def pg_live(pg_live_database):
    """An empty PostgreSQL live store (LIVE_DB_PATH as a postgresql:// URL) for one test."""
    conn = store.connect(pg_live_database)
    with conn:
        conn.execute(f"TRUNCATE {', '.join(LIVE_TABLES)} RESTART IDENTITY")
    conn.close()
    return pg_live_database


@pytest.fixture(scope="session")
def redis_url():
    """The test Redis database (flushed before each test that uses `redis_conn`)."""
    return f"{REDIS_BASE_URL}/{REDIS_DB}"


@pytest.fixture
def redis_conn(redis_url):
    """A connection to a clean test Redis database."""
    conn = redis_lib.Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


@pytest.fixture
def kafka_topic():
    """A fresh Kafka topic (4 partitions) for one test, deleted afterwards."""
    admin = KafkaAdminClient(bootstrap_servers=KAFKA_SERVERS, request_timeout_ms=10000)
    name = f"deloton-test-{uuid.uuid4().hex[:10]}"
    admin.create_topics([NewTopic(name, num_partitions=4, replication_factor=1)])
    wait_until_topic_is_ready(name, 4)
    yield name
    admin.delete_topics([name])
    admin.close()


def wait_until_topic_is_ready(name: str, partitions: int) -> None:
    """Until a client sees every partition of a topic just created (each with a leader): a consumer
    that joins its group sooner is assigned no partition."""
    probe = KafkaConsumer(bootstrap_servers=KAFKA_SERVERS)
    try:
        wait_for(lambda: len(probe.partitions_for_topic(name) or ()) == partitions, timeout_s=30, every_s=0.1)
    finally:
        probe.close()


def make_config(database_url: str, live_db_path: str, redis_url: str, **overrides) -> type:
    """A test configuration: the real Config with the test services plugged in."""
    settings = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                "LIVE_DB_PATH": live_db_path, "REDIS_URL": redis_url,
                "KAFKA_BOOTSTRAP_SERVERS": KAFKA_SERVERS, "SECRET_KEY": "test-secret",
                "MAIL_SERVER": None, **overrides}
    return type("TestConfig", (Config,), settings)


@pytest.fixture(scope="session")
def migrated_pg(pg_database, tmp_path_factory, redis_url):
    """The session's PostgreSQL database with every migration applied."""
    live = tmp_path_factory.mktemp("live") / "live.db"
    app = create_app(make_config(pg_database, str(live), redis_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return pg_database


def dispose(app) -> None:
    """Close every database connection the app holds: its session's and its engines' pools (left to
    the garbage collector, psycopg warns of an unclosed connection, which fails a test)."""
    with app.app_context():
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def app_factory():
    """create_app for a test that makes apps of its own: each one is disposed at teardown."""
    apps = []

    def make(config: type):
        apps.append(create_app(config))
        return apps[-1]

    yield make
    for app in apps:
        dispose(app)


def truncate_all(app) -> None:
    """Empty every warehouse table (between tests sharing one database)."""
    with app.app_context():
        tables = ", ".join(table.name for table in db.metadata.sorted_tables)
        if db.engine.dialect.name == "postgresql":
            db.session.execute(db.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                db.session.execute(table.delete())
        db.session.commit()


@pytest.fixture
def app(migrated_pg, tmp_path, redis_url):
    """The app on the real PostgreSQL warehouse, a fresh live store and the test Redis."""
    app = create_app(make_config(migrated_pg, str(tmp_path / "live.db"), redis_url))
    truncate_all(app)
    redis_lib.Redis.from_url(redis_url).flushdb()  # queues and rate-limit counts start empty
    yield app
    dispose(app)


@pytest.fixture
def pg_live_app(migrated_pg, pg_live, redis_url):
    """The app on the PostgreSQL warehouse with its live store on PostgreSQL too (several machines)."""
    app = create_app(make_config(migrated_pg, pg_live, redis_url))
    truncate_all(app)
    redis_lib.Redis.from_url(redis_url).flushdb()
    yield app
    dispose(app)


@pytest.fixture
def embedded_app(tmp_path, redis_url):
    """The app as `make run` has it: a SQLite warehouse migrated from scratch."""
    app = create_app(make_config(f"sqlite:///{tmp_path / 'warehouse.db'}",
                                 str(tmp_path / "live.db"), redis_url))
    with app.app_context():
        upgrade()
    yield app
    dispose(app)


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) on a free port, keeping what it receives; stopped afterwards."""
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def client(app):
    """A test client of the PostgreSQL-backed app."""
    return app.test_client()


@pytest.fixture
def mail_app(migrated_pg, tmp_path, redis_url, smtp, redis_conn, app):
    """The app with a mail server and CEO_EMAIL (the `app` fixture has emptied the warehouse)."""
    config = make_config(migrated_pg, str(tmp_path / "live.db"), redis_url, MAIL_SERVER="127.0.0.1",
                         MAIL_PORT=smtp.port, MAIL_SUPPRESS_SEND=False, CEO_EMAIL="ceo@deloton.example",
                         PUBLIC_BASE_URL="https://reports.deloton.example")
    mail_app = create_app(config)
    yield mail_app
    dispose(mail_app)


@pytest.fixture
def staff_client(app, client):
    """A client of the app logged in as a member of staff."""
    with app.app_context():
        add_staff()
    assert log_in(client).status_code == 302
    return client


@pytest.fixture
def runner(app):
    """A CLI runner of the PostgreSQL-backed app."""
    return app.test_cli_runner()
