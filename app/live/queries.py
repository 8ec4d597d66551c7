"""Named operations on the live store for the jobs, the staff pages, health, the CLI and the stream's
bookkeeping (outbox, failures); the consumer's batch statements are in app/live/ingest.py.

Each takes an open connection (store.connect, or app.live.db.get_live in a request); a function
that writes commits its own short transaction unless it says it runs in the caller's."""
from app.live.store import Connection


def ping(conn: Connection) -> None:
    """Read from the store, raising store.Error when it cannot be read."""
    conn.execute("SELECT 1 FROM counters LIMIT 1").fetchall()


def count_alerts(conn: Connection, bike_serial: str, started_at: str) -> int:
    """Alerts the consumer raised during one ride."""
    return conn.execute("SELECT count(*) FROM alerts WHERE bike_serial = ? AND started_at = ?",
                        (bike_serial, started_at)).fetchone()[0]


def count_riding(conn: Connection) -> int:
    """How many bikes have a ride in progress."""
    return conn.execute("SELECT COUNT(*) FROM bikes WHERE ride_started_at IS NOT NULL").fetchone()[0]


def rides_started(conn: Connection, start: str, end: str) -> list[tuple[str, str]]:
    """The (bike_serial, started_at) of the rides that started in [start, end), oldest first."""
    return [tuple(row) for row in conn.execute(
        "SELECT bike_serial, started_at FROM rides WHERE started_at >= ? AND started_at < ? "
        "ORDER BY started_at, bike_serial", (start, end)).fetchall()]


def latest_quarantined(conn: Connection, limit: int) -> list[dict]:
    """The latest quarantined messages, newest first."""
    return [dict(row) for row in conn.execute(
        'SELECT id, topic, partition, "offset", message_key, raw_value, reason, quarantined_at '
        "FROM quarantine ORDER BY id DESC LIMIT ?", (limit,)).fetchall()]


def count_quarantined(conn: Connection) -> int:
    """How many messages are in quarantine."""
    return conn.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0]


def quarantine_reasons(conn: Connection, limit: int = 20) -> list[tuple[str, int]]:
    """The commonest quarantine reasons with their counts, most common first."""
    return [tuple(row) for row in conn.execute(
        "SELECT reason, COUNT(*) FROM quarantine GROUP BY reason ORDER BY COUNT(*) DESC LIMIT ?",
        (limit,)).fetchall()]


def add_job(conn: Connection, job_id: str, queue: str, func: str, kwargs_json: str, created_at: str) -> None:
    """Write a job into the outbox, in the caller's transaction (once per job id)."""
    conn.execute("INSERT INTO outbox (job_id, queue, func, kwargs_json, created_at) "
                 "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", (job_id, queue, func, kwargs_json, created_at))


def pending_jobs(conn: Connection, limit: int) -> list[tuple[str, str, str, str]]:
    """The outbox's jobs not yet handed to RQ, oldest first: (job_id, queue, func, kwargs_json)."""
    return [tuple(row) for row in conn.execute(
        "SELECT job_id, queue, func, kwargs_json FROM outbox WHERE enqueued_at IS NULL ORDER BY id LIMIT ?",
        (limit,)).fetchall()]


def mark_enqueued(conn: Connection, job_ids: list[str], now: str) -> None:
    """Mark outbox jobs as handed to RQ (one transaction)."""
    with conn:
        conn.executemany("UPDATE outbox SET enqueued_at = ? WHERE job_id = ?", [(now, job_id) for job_id in job_ids])


def prune_outbox(conn: Connection, cutoff: str) -> int:
    """Delete outbox rows handed to RQ before `cutoff`; how many (pending rows always stay)."""
    with conn:
        return conn.execute("DELETE FROM outbox WHERE enqueued_at IS NOT NULL AND enqueued_at < ?",
                            (cutoff,)).rowcount


def record_failure(conn: Connection, topic: str, partition: int, offset: int, reason: str, since: str) -> None:
    """Remember that a partition cannot be read from `offset`, replacing an older record (one transaction)."""
    with conn:
        conn.execute("DELETE FROM consumer_failures WHERE topic = ? AND partition = ?", (topic, partition))
        conn.execute('INSERT INTO consumer_failures (topic, partition, "offset", reason, since) '
                     "VALUES (?, ?, ?, ?, ?)", (topic, partition, offset, reason, since))


def failing_partitions(conn: Connection) -> set[tuple[str, int]]:
    """The (topic, partition) pairs recorded as unreadable."""
    return {(row[0], row[1]) for row in conn.execute("SELECT topic, partition FROM consumer_failures").fetchall()}


def clear_failures(conn: Connection, partitions: list[tuple[str, int]]) -> None:
    """Forget the failures of these (topic, partition) pairs (one transaction)."""
    with conn:
        conn.executemany("DELETE FROM consumer_failures WHERE topic = ? AND partition = ?", partitions)
