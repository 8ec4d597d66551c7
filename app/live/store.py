"""Opening the live store and the reads shared by the web app, the jobs and the consumer.

The live store is a SQLite file (WAL) by default, or PostgreSQL when LIVE_DB_PATH is a
postgresql:// URL; every dialect difference lives here and in app/live/pg.py (and the consumer's
array statements for PostgreSQL in app/live/ingest.py)."""
import json
import re
import sqlite3
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path

import psycopg

from app.live import schema
from app.live.pg import PgConnection

SCHEMA = schema.script("sqlite")
# What a failing live store raises, whichever it is.
Error = (sqlite3.Error, psycopg.Error)
Connection = sqlite3.Connection | PgConnection
# What PostgreSQL raises when concurrent writers crossed: the transaction is rolled back, retrying helps.
Transient = (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure)
Row = sqlite3.Row | tuple  # sqlite3.Row, or app.live.pg.Row (a tuple readable by name)
_created: set[str] = set()  # live stores this process has created or brought up to schema.VERSION


class VersionError(RuntimeError):
    """The live store was written by a newer version of Deloton Live than this one."""


def is_url(path: str) -> bool:
    """Whether LIVE_DB_PATH names a PostgreSQL live store."""
    return path.startswith(("postgresql://", "postgres://"))


def connect(path: str, readonly: bool = False):
    """Open the live store, creating its tables when writable: a sqlite3 connection for a path,
    a PgConnection (same methods, same rows) for a postgresql:// URL."""
    if is_url(path):
        return _connect_pg(path, readonly)
    return _connect_sqlite(path, readonly)


@contextmanager
def closed_on_error(conn):
    """Close `conn` if its set-up fails (a refused version, a failed upgrade): the caller never
    gets it, so nobody else would."""
    try:
        yield conn
    except BaseException:
        conn.close()
        raise


def _connect_pg(url: str, readonly: bool) -> PgConnection:
    with closed_on_error(PgConnection(url)) as conn:
        if readonly:
            refuse_newer(conn, url)
        elif url not in _created:
            conn.create_schema(schema.script("postgresql"),
                               lambda locked: upgrade(locked, url, "postgresql"))
            _created.add(url)
    return conn


def ensure_created(path: str) -> None:
    """Create an empty live store if there is none yet (a fresh install), and bring one of an older
    schema up to this code's, once per process: a web process started after an upgrade, before the
    consumer, must not read tables its queries do not know."""
    if is_url(path):
        if path not in _created:
            connect(path).close()
        return
    if not Path(path).exists() or (path not in _created and older_than_code(path)):
        connect(path).close()  # a writable connection creates or upgrades the store
    _created.add(path)


def older_than_code(path: str) -> bool:
    """Whether the SQLite live store at `path` has an older schema than this code's."""
    with closing(connect(path, readonly=True)) as conn:
        return refuse_newer(conn, path) < schema.VERSION


def connect_reader(path: str):
    """Open the live store read-only (its readers never take the consumer's write lock), creating
    an empty one first on a fresh install."""
    ensure_created(path)
    return connect(path, readonly=True)


def begin_write(conn, partitions=None) -> None:
    """Start a write transaction taken at once. SQLite has one writer: the whole store is taken.
    On PostgreSQL, given the (topic, partition) pairs a batch writes, only those are taken, so
    consumers of other partitions write at the same time; without them, every writer waits."""
    if isinstance(conn, PgConnection):
        conn.begin_write(partitions)
    else:
        conn.execute("BEGIN IMMEDIATE")


def _connect_sqlite(path: str, readonly: bool) -> sqlite3.Connection:
    """Open the SQLite live store (WAL)."""
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30,
                               check_same_thread=False)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
    with closed_on_error(conn):
        _set_up_sqlite(conn, path, readonly)
    return conn


def _set_up_sqlite(conn: sqlite3.Connection, path: str, readonly: bool) -> None:
    """A new SQLite connection's tables (when writable), pragmas and schema version check."""
    if not readonly:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(SCHEMA)
    conn.row_factory = sqlite3.Row
    # NORMAL is durable across process crashes in WAL mode; only an OS crash can lose
    # the last commits, and Kafka offsets are committed after ours, so they are re-read.
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    if not readonly:
        # A batch touches a page of every bike's ride: a cache that holds them all (the 2 MB default
        # re-read them), and a checkpoint every 40 MB of WAL rather than 4 MB, so a page changed by
        # several batches is copied back once (BENCHMARKS.md, "Stream ingest").
        conn.execute("PRAGMA cache_size=-65536")
        conn.execute("PRAGMA wal_autocheckpoint=10000")
        if refuse_newer(conn, path) < schema.VERSION:
            with conn:
                conn.execute("BEGIN IMMEDIATE")  # one process at a time upgrades it
                upgrade(conn, path, "sqlite")
    else:
        refuse_newer(conn, path)


def stored_version(conn) -> int:
    """The schema version written in the live store (0: created before versions were kept)."""
    return conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]


def refuse_newer(conn, where: str) -> int:
    """The store's schema version; VersionError if a newer version of the code wrote it, as this
    code may misread its tables. A store not yet created or upgraded by a writer reads as 0."""
    try:
        found = stored_version(conn)
    except Error:  # no schema_version table: written by code older than versions
        return 0
    if found > schema.VERSION:
        raise VersionError(f"The live store {redact(where)} has schema version {found}, newer than "
                           f"this code's {schema.VERSION}: run the newer code, or point LIVE_DB_PATH "
                           "at another live store.")
    return found


def upgrade(conn, where: str, dialect: str) -> None:
    """Bring an older live store up to schema.VERSION, in the caller's write transaction (taken,
    so that the version read here cannot change before it is written)."""
    found = refuse_newer(conn, where)
    if found == schema.VERSION:
        return
    for version in range(found + 1, schema.VERSION + 1):
        for statement in schema.UPGRADES[version][dialect]:
            conn.execute(statement)
    conn.execute("DELETE FROM schema_version")
    conn.execute("INSERT INTO schema_version (version) VALUES (?)", (schema.VERSION,))


def redact(where: str) -> str:
    """A live store's path or URL without its password, for messages."""
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", where)


def to_text(moment: datetime) -> str:
    """The live store's text form of a time (UTC, ISO 8601)."""
    return moment.astimezone(timezone.utc).isoformat(sep=" ")


def from_text(text: str) -> datetime:
    """Parse a time written by to_text."""
    return datetime.fromisoformat(text)


def get_ride(conn: Connection, bike_serial: str, started_at: str) -> dict | None:
    """One ride of the live store with its rider, or None."""
    row = conn.execute("SELECT * FROM rides WHERE bike_serial = ? AND started_at = ?",
                       (bike_serial, started_at)).fetchone()
    if row is None:
        return None
    ride = dict(row)
    ride["rider"] = json.loads(ride.pop("rider_json"))
    return ride


def get_readings(conn: Connection, bike_serial: str, started_at: str) -> list:
    """The readings of one ride in duration order."""
    return conn.execute(
        "SELECT duration_s, recorded_at, heart_rate, rpm, power, resistance FROM readings "
        "WHERE bike_serial = ? AND started_at = ? ORDER BY duration_s",
        (bike_serial, started_at)).fetchall()


def get_counters(conn: Connection) -> dict[str, int]:
    """The consumer's counters (quarantined, dropped halves, orphans, duplicates, ...)."""
    return {row[0]: row[1] for row in conn.execute(
        "SELECT name, CAST(SUM(value) AS BIGINT) FROM counters GROUP BY name")}


def get_failures(conn: Connection) -> list[dict]:
    """The partitions the consumer cannot read: topic, partition, offset, reason, since."""
    return [dict(row) for row in conn.execute(
        'SELECT topic, partition, "offset", reason, since FROM consumer_failures ORDER BY 1, 2')]
