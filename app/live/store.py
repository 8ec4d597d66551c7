"""Opening the live store and the reads shared by the web app, the jobs and the consumer."""
import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path

SCHEMA = (Path(__file__).parent / "schema.sql").read_text()


def connect(path: str, readonly: bool = False) -> sqlite3.Connection:
    """Open the live store (WAL, foreign-key safe), creating its tables when writable."""
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30,
                               check_same_thread=False)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.executescript(SCHEMA)
    conn.row_factory = sqlite3.Row
    # NORMAL is durable across process crashes in WAL mode; only an OS crash can lose
    # the last commits, and Kafka offsets are committed after ours, so they are re-read.
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def to_text(moment: datetime) -> str:
    """The live store's text form of a time (UTC, ISO 8601)."""
    return moment.astimezone(timezone.utc).isoformat(sep=" ")


def from_text(text: str) -> datetime:
    """Parse a time written by to_text."""
    return datetime.fromisoformat(text)


def get_ride(conn: sqlite3.Connection, bike_serial: str, started_at: str) -> dict | None:
    """One ride of the live store with its rider, or None."""
    row = conn.execute("SELECT * FROM rides WHERE bike_serial = ? AND started_at = ?",
                       (bike_serial, started_at)).fetchone()
    if row is None:
        return None
    ride = dict(row)
    ride["rider"] = json.loads(ride.pop("rider_json"))
    return ride


def get_readings(conn: sqlite3.Connection, bike_serial: str, started_at: str) -> list[sqlite3.Row]:
    """The readings of one ride in duration order."""
    return conn.execute(
        "SELECT duration_s, recorded_at, heart_rate, rpm, power, resistance FROM readings "
        "WHERE bike_serial = ? AND started_at = ? ORDER BY duration_s",
        (bike_serial, started_at)).fetchall()


def get_counters(conn: sqlite3.Connection) -> dict[str, int]:
    """The consumer's counters (quarantined, dropped halves, orphans, duplicates, ...)."""
    return {row["name"]: row["value"] for row in conn.execute("SELECT name, value FROM counters")}
