"""Helpers shared by the stream tests: messages from lines, and a comparable live store snapshot."""
import json
import sqlite3
from pathlib import Path

from app.stream.pipeline import Message

# Real recordings of the original stream, kept with the tests (tests/data/README.md).
DATA = Path(__file__).resolve().parent / "data"


def value(line: str) -> bytes:
    """The message value of one log line, as the topic carries it."""
    return json.dumps({"log": line + "\n"}).encode()


def messages(lines, key: str | None = None, partition: int = 0, first_offset: int = 0,
             topic: str = "deloton") -> list[Message]:
    """Messages of consecutive offsets on one partition."""
    raw_key = key.encode() if key is not None else None
    return [Message(topic, partition, first_offset + i, raw_key, value(line) if isinstance(line, str)
                    else line) for i, line in enumerate(lines)]


def snapshot(conn: sqlite3.Connection) -> dict:
    """What a user of the live store sees, without wall-clock columns."""
    return {
        "rides": conn.execute(
            "SELECT bike_serial, started_at, user_id, rider_json, hr_limit_bpm, hr_formula, status, "
            "end_reason, last_alert_duration_s FROM rides ORDER BY 1, 2").fetchall(),
        "readings": conn.execute("SELECT * FROM readings ORDER BY 1, 2, 3").fetchall(),
        "alerts": conn.execute("SELECT * FROM alerts ORDER BY 1, 2, 3").fetchall(),
        "outbox": conn.execute("SELECT job_id, queue, func, kwargs_json FROM outbox ORDER BY 1").fetchall(),
        "quarantine": conn.execute('SELECT topic, partition, "offset", message_key, raw_value, reason '
                                   "FROM quarantine ORDER BY 1, 2, 3").fetchall(),
        "bikes": conn.execute("SELECT bike_serial, ride_started_at, last_line_at, ride_last_s, "
                              "ride_last_heart_rate, ride_last_rpm, ride_last_power, ride_last_resistance "
                              "FROM bikes ORDER BY 1").fetchall(),
    }


def plain(snap: dict) -> dict:
    """A snapshot with rows as tuples, for equality and readable diffs."""
    return {name: [tuple(row) for row in rows] for name, rows in snap.items()}
