"""The ride lifecycle in the live store: bike state, start, end (docs/specification.md#ride-lifecycle)."""
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from app.domain import rider as riders
from app.domain.alert_rule import AlertState
from app.live import store
from app.services import jobs
from app.stream import outbox
from app.stream.parse import RideHalf


@dataclass
class Settings:
    """The settings the pipeline needs, taken from the app config."""

    hr_formula: str = "tanaka"
    alert_after_s: int = 3
    alert_cooldown_s: int = 300
    idle_timeout_s: float = 120
    backtrack_max: int = 5000
    alert_max_age_s: float | None = None  # None: every alert is emailed, however old its reading

    @classmethod
    def from_config(cls, config) -> "Settings":
        """The settings of a Flask config mapping."""
        return cls(config["HR_MAX_FORMULA"], config["ALERT_AFTER_S"], config["ALERT_COOLDOWN_S"],
                   config["RIDE_IDLE_TIMEOUT_S"], config["BACKTRACK_MAX_MESSAGES"],
                   config["ALERT_MAX_AGE_S"])


@dataclass
class Ride:
    """The ride in progress on one bike, as the pipeline needs it."""

    started_at: str
    rider_json: str
    hr_limit: float | None
    hr_formula: str
    alert: AlertState = field(default_factory=AlertState)
    has_readings: bool = False


@dataclass
class Bike:
    """One bike's state during a batch."""

    serial: str
    ride: Ride | None = None
    pending: RideHalf | None = None
    last_line_at: str | None = None
    partition: int | None = None


BIKE_QUERY = """
SELECT b.bike_serial, b.last_line_at, b.partition, r.started_at, r.rider_json, r.hr_limit_bpm,
       r.hr_formula, r.alert_run_length, r.alert_last_duration_s, r.last_alert_duration_s,
       EXISTS (SELECT 1 FROM readings x WHERE x.bike_serial = r.bike_serial
               AND x.started_at = r.started_at) AS has_readings,
       p.recorded_at, p.duration_s, p.resistance
FROM bikes b
LEFT JOIN rides r ON r.bike_serial = b.bike_serial AND r.started_at = b.ride_started_at
                 AND r.status = 'open'
LEFT JOIN pending_halves p ON p.bike_serial = b.bike_serial
WHERE b.bike_serial IN ({marks})"""


def load_bikes(conn: store.Connection, serials) -> dict[str, Bike]:
    """The stored state of these bikes (bikes never seen are absent)."""
    serials = list(serials)
    bikes = {}
    for start in range(0, len(serials), 500):
        chunk = serials[start:start + 500]
        for row in conn.execute(BIKE_QUERY.format(marks=",".join("?" * len(chunk))), chunk):
            bikes[row[0]] = _bike(row)
    return bikes


def _bike(row) -> Bike:
    ride = None
    if row[3] is not None:
        ride = Ride(row[3], row[4], row[5], row[6], AlertState(row[7], row[8], row[9]), bool(row[10]))
    pending = RideHalf(row[11], row[12], row[13]) if row[11] is not None else None
    return Bike(row[0], ride, pending, row[1], row[2])


def start_ride(conn: store.Connection, bike: Bike, started_at: str, when, rider: dict,
               settings: Settings) -> bool:
    """Open the ride of a [SYSTEM] line; False when that ride is already known (a duplicate)."""
    known = conn.execute("SELECT 1 FROM rides WHERE bike_serial = ? AND started_at = ?",
                         (bike.serial, started_at)).fetchone()
    if known:
        return False
    details = riders.parse_rider(rider)
    age = riders.age_years(details["date_of_birth"], when.date())
    limit = riders.hr_limit_bpm(age, details["gender"], settings.hr_formula)
    rider_json = json.dumps(rider, ensure_ascii=False)
    conn.execute("INSERT INTO rides (bike_serial, started_at, user_id, rider_json, hr_limit_bpm, "
                 "hr_formula) VALUES (?, ?, ?, ?, ?, ?)",
                 (bike.serial, started_at, rider["user_id"], rider_json, limit, settings.hr_formula))
    bike.ride = Ride(started_at, rider_json, limit, settings.hr_formula)
    return True


def end_ride(conn: store.Connection, bike: Bike, reason: str, counts) -> None:
    """End the bike's ride: closed out when it has readings, discarded when it has none."""
    ride, bike.ride = bike.ride, None
    if ride is None:
        return
    if not ride.has_readings:
        conn.execute("DELETE FROM rides WHERE bike_serial = ? AND started_at = ?",
                     (bike.serial, ride.started_at))
        counts["rides_discarded"] += 1
        return
    save_alert_state(conn, [(bike.serial, ride)])
    conn.execute("UPDATE rides SET status = 'ended', ended_wall = ?, end_reason = ? "
                 "WHERE bike_serial = ? AND started_at = ?",
                 (time.time(), reason, bike.serial, ride.started_at))
    outbox.add(conn, jobs.close_ride_job(bike.serial, ride.started_at))
    counts["rides_ended"] += 1


def save_alert_state(conn: store.Connection, rides) -> None:
    """Persist the alert rule's state of these (serial, ride) pairs so a restart continues it."""
    conn.executemany(
        "UPDATE rides SET alert_run_length = ?, alert_last_duration_s = ?, last_alert_duration_s = ? "
        "WHERE bike_serial = ? AND started_at = ?",
        [(ride.alert.run_length, ride.alert.last_duration_s, ride.alert.last_alert_duration_s,
          serial, ride.started_at) for serial, ride in rides])


def raise_alert(conn: store.Connection, bike: Bike, reading: tuple, max_age_s: float | None = None,
                now_wall: float | None = None) -> None:
    """Store an alert and its email job in the current transaction; the job of a reading older
    than max_age_s carries the reason it is not to be emailed."""
    ride = bike.ride
    duration_s, recorded_at, heart_rate = reading[2], reading[3], reading[4]
    skip = stale_reason(recorded_at, max_age_s, now_wall if now_wall is not None else time.time())
    conn.execute("INSERT INTO alerts (bike_serial, started_at, duration_s, recorded_at, heart_rate, "
                 "hr_limit_bpm) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                 (bike.serial, ride.started_at, duration_s, recorded_at, heart_rate, ride.hr_limit))
    outbox.add(conn, jobs.hr_alert_job(
        bike.serial, ride.started_at, duration_s, recorded_at=recorded_at, heart_rate=heart_rate,
        hr_limit_bpm=ride.hr_limit, hr_formula=ride.hr_formula, rider=json.loads(ride.rider_json),
        **({"skip_reason": skip} if skip else {})))


def stale_reason(recorded_at: str, max_age_s: float | None, now_wall: float) -> str | None:
    """Why an alert is not emailed: its reading (a `<ts>`, naive UTC) is older than max_age_s."""
    if max_age_s is None:
        return None
    age_s = now_wall - datetime.fromisoformat(recorded_at).replace(tzinfo=timezone.utc).timestamp()
    if age_s <= max_age_s:
        return None
    # No age in the text: the job's arguments stay the same when the stream is read again.
    return (f"not emailed: the reading ({recorded_at} UTC) was older than ALERT_MAX_AGE_S "
            f"({max_age_s:g} s) when the consumer read it (a backfill or a late catch-up)")


def save_bikes(conn: store.Connection, bikes, now_wall: float) -> None:
    """Write the touched bikes and their waiting halves."""
    conn.executemany(
        "INSERT INTO bikes (bike_serial, ride_started_at, last_line_at, last_seen_wall, partition) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (bike_serial) DO UPDATE SET "
        "ride_started_at = excluded.ride_started_at, last_line_at = excluded.last_line_at, "
        "last_seen_wall = excluded.last_seen_wall, partition = excluded.partition",
        [(b.serial, b.ride.started_at if b.ride else None, b.last_line_at, now_wall, b.partition)
         for b in bikes])
    conn.executemany("DELETE FROM pending_halves WHERE bike_serial = ?",
                     [(b.serial,) for b in bikes if b.pending is None])
    conn.executemany("INSERT INTO pending_halves VALUES (?, ?, ?, ?) ON CONFLICT (bike_serial) DO UPDATE "
                     "SET recorded_at = excluded.recorded_at, duration_s = excluded.duration_s, "
                     "resistance = excluded.resistance",
                     [(b.serial, b.pending.ts, b.pending.duration_s, b.pending.resistance)
                      for b in bikes if b.pending is not None])
