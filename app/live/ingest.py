"""The consumer's statements on the live store: a batch's reads and writes (app/stream/ calls them).

The hot path: each write takes the rows the caller has gathered and runs one prepared statement
for them all (executemany), in the caller's write transaction (store.begin_write). On PostgreSQL
the two writes of every batch, its readings and its bikes, are one statement over arrays instead
(PgConnection.execute_columns)."""
from app.live.pg import PgConnection
from app.live.store import Connection

BIKE_QUERY = """
SELECT b.bike_serial, b.last_line_at, b.partition, r.started_at, r.rider_json, r.hr_limit_bpm,
       r.hr_formula, r.alert_run_length, r.alert_last_duration_s, r.last_alert_duration_s,
       b.ride_last_s, p.recorded_at, p.duration_s, p.resistance, b.ride_energy_j,
       b.ride_last_heart_rate, b.ride_last_rpm, b.ride_last_power, b.ride_last_resistance
FROM bikes b
LEFT JOIN rides r ON r.bike_serial = b.bike_serial AND r.started_at = b.ride_started_at
                 AND r.status = 'open'
LEFT JOIN pending_halves p ON p.bike_serial = b.bike_serial
WHERE b.bike_serial {matches}"""


def bike_rows(conn: Connection, serials: list[str]):
    """The stored state of these bikes, one row each (columns of BIKE_QUERY); at most 500 serials."""
    return _with_serials(conn, BIKE_QUERY, serials)


def bike_stamps(conn: Connection, serials: list[str]):
    """(bike_serial, last_seen_wall, ride_started_at) of these bikes; at most 500 serials."""
    return _with_serials(conn, "SELECT bike_serial, last_seen_wall, ride_started_at FROM bikes "
                               "WHERE bike_serial {matches}", serials)


def _with_serials(conn: Connection, sql: str, serials: list[str]):
    """Run `sql` whose `{matches}` is `IN (?, ...)` of these serials, or on PostgreSQL `= ANY` of
    one array of them (one parameter and one plan, where 500 parameters cost the client and the
    server a plan of their own)."""
    if isinstance(conn, PgConnection):
        return conn.execute_arrays(sql.format(matches="= ANY({arrays})"), [serials], ("text",))
    return conn.execute(sql.format(matches=f"IN ({','.join('?' * len(serials))})"), serials)


def position(conn: Connection, topic: str, partition: int):
    """The saved (next_offset, bike_serial) of a partition, or None."""
    return conn.execute("SELECT next_offset, bike_serial FROM positions WHERE topic = ? AND partition = ?",
                        (topic, partition)).fetchone()


def riding_bikes(conn: Connection) -> list:
    """(bike_serial, partition, last_seen_wall) of the bikes with a ride in progress."""
    return conn.execute("SELECT bike_serial, partition, last_seen_wall FROM bikes "
                        "WHERE ride_started_at IS NOT NULL").fetchall()


def ride_exists(conn: Connection, bike_serial: str, started_at: str) -> bool:
    """Whether this ride is in the store."""
    return conn.execute("SELECT 1 FROM rides WHERE bike_serial = ? AND started_at = ?",
                        (bike_serial, started_at)).fetchone() is not None


def insert_ride(conn: Connection, bike_serial: str, started_at: str, user_id: int, rider_json: str,
                hr_limit_bpm: float | None, hr_formula: str) -> None:
    """Open a ride."""
    conn.execute("INSERT INTO rides (bike_serial, started_at, user_id, rider_json, hr_limit_bpm, "
                 "hr_formula) VALUES (?, ?, ?, ?, ?, ?)",
                 (bike_serial, started_at, user_id, rider_json, hr_limit_bpm, hr_formula))


def delete_ride(conn: Connection, bike_serial: str, started_at: str) -> None:
    """Delete a ride row (one without readings)."""
    conn.execute("DELETE FROM rides WHERE bike_serial = ? AND started_at = ?", (bike_serial, started_at))


def mark_ended(conn: Connection, bike_serial: str, started_at: str, ended_wall: float, reason: str) -> None:
    """Mark a ride ended (waiting for closeout)."""
    conn.execute("UPDATE rides SET status = 'ended', ended_wall = ?, end_reason = ? "
                 "WHERE bike_serial = ? AND started_at = ?", (ended_wall, reason, bike_serial, started_at))


def ended_rides(conn: Connection) -> list[tuple[str, str, bool]]:
    """(bike_serial, started_at, has_readings) of the ended rides still in the store."""
    return [(row[0], row[1], bool(row[2])) for row in conn.execute(
        "SELECT r.bike_serial, r.started_at, EXISTS (SELECT 1 FROM readings x WHERE x.bike_serial = "
        "r.bike_serial AND x.started_at = r.started_at) FROM rides r WHERE r.status = 'ended'").fetchall()]


def forget_rides(conn: Connection, keys: list[tuple[str, str]]) -> None:
    """Delete these (bike_serial, started_at) rides with their readings and alerts."""
    for table in ("readings", "alerts", "rides"):
        conn.executemany(f"DELETE FROM {table} WHERE bike_serial = ? AND started_at = ?", keys)


def save_alert_states(conn: Connection, rows: list[tuple]) -> None:
    """(run_length, last_duration_s, last_alert_duration_s, bike_serial, started_at) per ride."""
    conn.executemany(
        "UPDATE rides SET alert_run_length = ?, alert_last_duration_s = ?, last_alert_duration_s = ? "
        "WHERE bike_serial = ? AND started_at = ?", rows)


def insert_alert(conn: Connection, row: tuple) -> None:
    """(bike_serial, started_at, duration_s, recorded_at, heart_rate, hr_limit_bpm), once."""
    conn.execute("INSERT INTO alerts (bike_serial, started_at, duration_s, recorded_at, heart_rate, "
                 "hr_limit_bpm) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", row)


# A bike's columns as save_bikes takes them, its serial last (the UPDATE's WHERE).
BIKE_COLUMNS = ("ride_started_at", "last_line_at", "last_seen_wall", "partition", "ride_energy_j",
                "ride_last_s", "ride_last_heart_rate", "ride_last_rpm", "ride_last_power",
                "ride_last_resistance", "bike_serial")
_UPDATE_BIKE = ("UPDATE bikes SET " + ", ".join(f"{name} = ?" for name in BIKE_COLUMNS[:-1])
                + " WHERE bike_serial = ?")
_UPSERT_BIKE = (f"INSERT INTO bikes ({', '.join(BIKE_COLUMNS)}) VALUES ({', '.join('?' * len(BIKE_COLUMNS))}) "
                "ON CONFLICT (bike_serial) DO UPDATE SET "
                + ", ".join(f"{name} = excluded.{name}" for name in BIKE_COLUMNS[:-1]))


# PostgreSQL: the stored bikes' UPDATE over arrays of BIKE_COLUMNS (their types, in order).
_BIKE_TYPES = ("text", "text", "float8", "int8", "float8", "int8", "int8", "int8", "float8", "int8", "text")
_UPDATE_BIKES_FROM_ARRAYS = (
    "UPDATE bikes SET " + ", ".join(f"{name} = v.{name}" for name in BIKE_COLUMNS[:-1])
    + " FROM unnest({arrays}) AS v("
    + ", ".join(BIKE_COLUMNS) + ") WHERE bikes.bike_serial = v.bike_serial")


def save_bikes(conn: Connection, stored: list[tuple], new: list[tuple]) -> None:
    """Rows of BIKE_COLUMNS: `stored` bikes the live store holds (a plain UPDATE, cheaper than an
    upsert, and nearly every bike of a batch), `new` bikes it may not hold yet."""
    if stored and isinstance(conn, PgConnection):
        conn.execute_columns(_UPDATE_BIKES_FROM_ARRAYS, stored, _BIKE_TYPES)
    elif stored:
        conn.executemany(_UPDATE_BIKE, stored)
    if new:
        conn.executemany(_UPSERT_BIKE, new)


def delete_pending_halves(conn: Connection, rows: list[tuple]) -> None:
    """(bike_serial,) per bike whose waiting half is gone."""
    conn.executemany("DELETE FROM pending_halves WHERE bike_serial = ?", rows)


def save_pending_halves(conn: Connection, rows: list[tuple]) -> None:
    """(bike_serial, recorded_at, duration_s, resistance) per bike with a Ride line waiting."""
    conn.executemany("INSERT INTO pending_halves VALUES (?, ?, ?, ?) ON CONFLICT (bike_serial) DO UPDATE "
                     "SET recorded_at = excluded.recorded_at, duration_s = excluded.duration_s, "
                     "resistance = excluded.resistance", rows)


def set_idle(conn: Connection, bike_serial: str) -> None:
    """A bike with no ride in progress and no waiting half."""
    conn.execute("UPDATE bikes SET ride_started_at = NULL, ride_energy_j = 0, ride_last_s = NULL, "
                 "ride_last_heart_rate = NULL, ride_last_rpm = NULL, ride_last_power = NULL, "
                 "ride_last_resistance = NULL WHERE bike_serial = ?", (bike_serial,))
    conn.execute("DELETE FROM pending_halves WHERE bike_serial = ?", (bike_serial,))


_READING_TYPES = ("text", "text", "int8", "text", "int8", "int8", "float8", "int8")
_INSERT_READINGS_FROM_ARRAYS = "INSERT INTO readings SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING"


def insert_readings(conn: Connection, rows: list[tuple]) -> int:
    """Store readings (the table's column order), skipping ones already stored; how many were new."""
    if not rows:
        return 0
    if isinstance(conn, PgConnection):
        return conn.execute_columns(_INSERT_READINGS_FROM_ARRAYS, rows, _READING_TYPES).rowcount
    return conn.executemany("INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                            rows).rowcount


def save_positions(conn: Connection, rows: list[tuple]) -> None:
    """(topic, partition, next_offset, bike_serial) per partition."""
    conn.executemany("INSERT INTO positions VALUES (?, ?, ?, ?) ON CONFLICT (topic, partition) DO "
                     "UPDATE SET next_offset = excluded.next_offset, bike_serial = excluded.bike_serial", rows)


def quarantine(conn: Connection, rows: list[tuple]) -> None:
    """(topic, partition, offset, message_key, raw_value, reason, quarantined_at), once per message."""
    conn.executemany("INSERT INTO quarantine (topic, partition, \"offset\", message_key, raw_value, reason, "
                     "quarantined_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", rows)


def add_counts(conn: Connection, rows: list[tuple[str, int, int]]) -> None:
    """Add (name, slot, value) to the consumer's counters."""
    conn.executemany("INSERT INTO counters (name, slot, value) VALUES (?, ?, ?) ON CONFLICT (name, slot) "
                     "DO UPDATE SET value = counters.value + excluded.value", rows)


def take_leases(conn: Connection, rows: list[tuple]) -> None:
    """(topic, partition, generation, member, taken_at) per partition: these are now the lease."""
    conn.executemany("INSERT INTO partition_leases VALUES (?, ?, ?, ?, ?) ON CONFLICT (topic, partition) "
                     "DO UPDATE SET generation = excluded.generation, member = excluded.member, "
                     "taken_at = excluded.taken_at", rows)


def leases(conn: Connection, topic: str) -> dict[int, tuple]:
    """partition: (generation, member) of the topic's leases."""
    return {row[0]: (row[1], row[2]) for row in conn.execute(
        "SELECT partition, generation, member FROM partition_leases WHERE topic = ?", (topic,))}
