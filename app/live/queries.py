"""Named operations on the live store for the live pages, the jobs, the staff pages, health, the CLI and
the stream's bookkeeping (outbox, failures); the consumer's batch statements are in app/live/ingest.py.

Each takes an open connection (store.connect, or app.live.db.get_live in a request); a function
that writes commits its own short transaction unless it says it runs in the caller's."""
from app.live.store import Connection, Row


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


# --- The fleet page and the bike screens' fragment cache (app/services/pages/fleet.py, fragment_cache.py)

# Each ride's latest reading is on its bike's row (the consumer keeps it): `readings` is not read.
_FLEET_FROM = """
FROM bikes b
LEFT JOIN rides r ON r.bike_serial = b.bike_serial AND r.started_at = b.ride_started_at
"""

FLEET_SQL = """
SELECT b.bike_serial, b.ride_started_at, b.last_seen_wall, r.rider_json, r.hr_limit_bpm,
       b.ride_last_s AS duration_s, b.ride_last_heart_rate AS heart_rate, b.ride_last_power AS power,
       b.ride_last_rpm AS rpm
""" + _FLEET_FROM + "ORDER BY b.bike_serial"

# The urgency rank is worked out here, not per row in Python: 0 above the limit, 1 hold the
# handlebars (heart rate 0), 2 riding, 3 idle, 4 silent (nothing heard for :silent_s seconds).
FLEET_TILES_SQL = """
SELECT CASE WHEN b.last_seen_wall IS NULL OR :now - b.last_seen_wall > :silent_s THEN 4
            WHEN b.ride_started_at IS NULL THEN 3
            WHEN b.ride_last_heart_rate IS NULL THEN 2
            WHEN r.hr_limit_bpm <> 0 AND b.ride_last_heart_rate > r.hr_limit_bpm THEN 0
            WHEN b.ride_last_heart_rate = 0 THEN 1
            ELSE 2 END AS urgency,
       b.bike_serial, b.ride_started_at, b.ride_last_s, b.ride_last_heart_rate, b.ride_last_power,
       r.hr_limit_bpm, b.ride_energy_j
""" + _FLEET_FROM

RIDERS_IN_PROGRESS_SQL = """
SELECT r.bike_serial, r.started_at, r.rider_json
FROM bikes b JOIN rides r ON r.bike_serial = b.bike_serial AND r.started_at = b.ride_started_at
"""

# A bike's screen in one indexed read: the bike, its ride in progress (NULLs when the ride is not in
# the store) and that ride's alert count. The screen's fragment cache keys on it, and a miss renders
# from the same row.
_RIDE_COLUMNS = """r.started_at, r.user_id, r.rider_json, r.hr_limit_bpm, r.hr_formula,
       (SELECT COUNT(*) FROM alerts a WHERE a.bike_serial = r.bike_serial AND a.started_at = r.started_at)
           AS alerts"""

BIKE_SCREEN_SQL = f"""
SELECT b.bike_serial, b.ride_started_at, b.last_line_at, b.last_seen_wall, b.ride_last_s,
       b.ride_last_heart_rate, b.ride_last_rpm, b.ride_last_power, b.ride_last_resistance, {_RIDE_COLUMNS}
FROM bikes b LEFT JOIN rides r ON r.bike_serial = b.bike_serial AND r.started_at = b.ride_started_at
WHERE b.bike_serial = ?
"""

RIDE_SCREEN_SQL = f"SELECT r.bike_serial, {_RIDE_COLUMNS} FROM rides r WHERE r.bike_serial = ? AND r.started_at = ?"


def fleet(conn: Connection) -> list:
    """Every bike with its ride in progress (rider JSON, limit) and that ride's latest reading, by serial."""
    return conn.execute(FLEET_SQL).fetchall()


def fleet_tiles(conn: Connection, now: float, silent_s: float) -> list:
    """Every bike as a compact row: (urgency, bike_serial, ride_started_at, duration_s, heart_rate,
    power, hr_limit_bpm, ride_energy_j), the urgency as of wall-clock time `now`; in no particular
    order."""
    return conn.execute(FLEET_TILES_SQL, {"now": now, "silent_s": silent_s}).fetchall()


def riders_in_progress(conn: Connection) -> list:
    """(bike_serial, started_at, rider_json) of every ride in progress."""
    return conn.execute(RIDERS_IN_PROGRESS_SQL).fetchall()


def rider_json_of(conn: Connection, bike_serial: str, started_at: str) -> str | None:
    """The rider JSON of one ride, None if the ride is not in the live store."""
    row = conn.execute("SELECT rider_json FROM rides WHERE bike_serial = ? AND started_at = ?",
                       (bike_serial, started_at)).fetchone()
    return row[0] if row else None


def bike_screen(conn: Connection, bike_serial: str) -> Row | None:
    """A bike's screen (columns of BIKE_SCREEN_SQL): ride in progress, latest line, last heard (wall
    clock), the ride's latest reading (ride_last_*), and its ride's start, rider, user, limit,
    formula and alert count; None for a bike never seen (one indexed read)."""
    return conn.execute(BIKE_SCREEN_SQL, (bike_serial,)).fetchone()


def ride_screen(conn: Connection, bike_serial: str, started_at: str) -> Row | None:
    """One ride's columns of BIKE_SCREEN_SQL (bike_serial, started_at, user_id, rider_json,
    hr_limit_bpm, hr_formula, alerts); None when the ride is not in the store."""
    return conn.execute(RIDE_SCREEN_SQL, (bike_serial, started_at)).fetchone()

# The live pages (a bike's screen, its charts and the pacing leaderboard): reads per request,
# each one query on the primary key of bikes, rides or readings.

# A ride's totals and seconds per heart-rate zone (:b1..:b4 the zone bounds as shares of :lim).
TOTALS_SQL = """
SELECT COUNT(*) AS n, COALESCE(SUM(power), 0) AS power_sum, MIN(duration_s) AS first_s,
       AVG(CASE WHEN heart_rate > 0 THEN heart_rate END) AS avg_hr, MAX(heart_rate) AS max_hr,
       MAX(power) AS max_power, AVG(rpm) AS avg_rpm, MAX(rpm) AS max_rpm,
       MAX(CASE WHEN heart_rate > 0 THEN duration_s END) AS last_hr_s,
       SUM(CASE WHEN heart_rate > 0 AND heart_rate < :b1 * :lim THEN 1 ELSE 0 END) AS z1,
       SUM(CASE WHEN heart_rate >= :b1 * :lim AND heart_rate < :b2 * :lim THEN 1 ELSE 0 END) AS z2,
       SUM(CASE WHEN heart_rate >= :b2 * :lim AND heart_rate < :b3 * :lim THEN 1 ELSE 0 END) AS z3,
       SUM(CASE WHEN heart_rate >= :b3 * :lim AND heart_rate < :b4 * :lim THEN 1 ELSE 0 END) AS z4,
       SUM(CASE WHEN heart_rate >= :b4 * :lim THEN 1 ELSE 0 END) AS z5,
       (SELECT COUNT(*) FROM alerts WHERE bike_serial = :bike AND started_at = :start) AS alerts
FROM readings WHERE bike_serial = :bike AND started_at = :start
"""

# A ride's sums over its readings after second :after, which the live pages add to the sums they
# already hold (AVG cannot be added up; its sum and count can).
SUMS_SQL = """
SELECT COUNT(*) AS n, COALESCE(SUM(power), 0) AS power_sum, MIN(duration_s) AS first_s,
       MAX(duration_s) AS last_s, COALESCE(SUM(CASE WHEN heart_rate > 0 THEN heart_rate END), 0) AS hr_sum,
       COALESCE(SUM(CASE WHEN heart_rate > 0 THEN 1 END), 0) AS hr_n, MAX(heart_rate) AS max_hr,
       MAX(power) AS max_power, COALESCE(SUM(rpm), 0) AS rpm_sum, MAX(rpm) AS max_rpm,
       MAX(CASE WHEN heart_rate > 0 THEN duration_s END) AS last_hr_s,
       COALESCE(SUM(CASE WHEN heart_rate > 0 AND heart_rate < :b1 * :lim THEN 1 END), 0) AS z1,
       COALESCE(SUM(CASE WHEN heart_rate >= :b1 * :lim AND heart_rate < :b2 * :lim THEN 1 END), 0) AS z2,
       COALESCE(SUM(CASE WHEN heart_rate >= :b2 * :lim AND heart_rate < :b3 * :lim THEN 1 END), 0) AS z3,
       COALESCE(SUM(CASE WHEN heart_rate >= :b3 * :lim AND heart_rate < :b4 * :lim THEN 1 END), 0) AS z4,
       COALESCE(SUM(CASE WHEN heart_rate >= :b4 * :lim THEN 1 END), 0) AS z5
FROM readings WHERE bike_serial = :bike AND started_at = :start AND duration_s > :after
"""

# Rides in progress by energy so far: one query, each ride's readings found by their primary key.
def get_bike(conn: Connection, bike_serial: str) -> Row | None:
    """The bike's row, or None when the consumer never heard of it."""
    return conn.execute("SELECT * FROM bikes WHERE bike_serial = ?", (bike_serial,)).fetchone()


def latest_reading(conn: Connection, bike_serial: str, started_at: str) -> Row | None:
    """The ride's latest reading, or None before its first."""
    return conn.execute(
        "SELECT * FROM readings WHERE bike_serial = ? AND started_at = ? "
        "ORDER BY duration_s DESC LIMIT 1", (bike_serial, started_at)).fetchone()


def ride_totals(conn: Connection, bike_serial: str, started_at: str, limit: float | None,
                bounds: tuple[float, ...]) -> Row:
    """A ride's count, energy, averages, maxima, alerts, last second with hand contact and seconds
    in each zone (`bounds`: the four zone bounds as shares of the heart-rate `limit`)."""
    params = dict(zip(("b1", "b2", "b3", "b4"), bounds))
    # Without a limit every reading with hand contact falls in zone 1.
    return conn.execute(TOTALS_SQL, {**params, "lim": limit or 1e9, "bike": bike_serial,
                                     "start": started_at}).fetchone()


def ride_sums(conn: Connection, bike_serial: str, started_at: str, limit: float | None,
              bounds: tuple[float, ...], after_s: int) -> Row:
    """The sums of ride_totals over the ride's readings after second `after_s` (one range read of
    the primary key): count, energy, heart-rate sum and count, maxima, first, last and last with
    hand contact, seconds in each zone."""
    params = dict(zip(("b1", "b2", "b3", "b4"), bounds))
    return conn.execute(SUMS_SQL, {**params, "lim": limit or 1e9, "bike": bike_serial,
                                   "start": started_at, "after": after_s}).fetchone()


def readings_after(conn: Connection, bike_serial: str, started_at: str, after_s: int) -> list:
    """The ride's (duration_s, heart_rate, power, rpm) after second `after_s`, in order."""
    return conn.execute(
        "SELECT duration_s, heart_rate, power, rpm FROM readings WHERE bike_serial = ? "
        "AND started_at = ? AND duration_s > ? ORDER BY duration_s",
        (bike_serial, started_at, after_s)).fetchall()


def last_ended_start(conn: Connection, bike_serial: str) -> str | None:
    """The start of the bike's latest ended ride still in the store (waiting for its closeout)."""
    row = conn.execute(
        "SELECT started_at FROM rides WHERE bike_serial = ? AND status = 'ended' "
        "ORDER BY started_at DESC LIMIT 1", (bike_serial,)).fetchone()
    return None if row is None else row["started_at"]
