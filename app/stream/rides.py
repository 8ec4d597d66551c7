"""The ride lifecycle in the live store: bike state, start, end (docs/specification.md#ride-lifecycle)."""
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

from app.domain import rider as riders
from app.domain.alert_rule import AlertState
from app.live import ingest, store
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
    # The alert rule's run length and last alert as the live store holds them: a reading that
    # leaves both as they were needs no write (the last duration is the ride's latest reading's).
    saved_alert: tuple = (0, None)
    energy_j: float = 0.0  # the sum of its stored readings' power (bikes.ride_energy_j)
    last_s: int | None = None  # its latest stored second: a later one cannot be stored already
    # Its reading of second last_s, a row of `readings` (its recorded_at None when read back from
    # the bike's row, which does not keep it): the bike's row keeps its figures.
    latest: tuple | None = None


@dataclass
class Bike:
    """One bike's state during a batch."""

    serial: str
    ride: Ride | None = None
    pending: RideHalf | None = None
    last_line_at: str | None = None
    partition: int | None = None
    stored_pending: bool = False  # whether the live store holds a waiting half of this bike
    stored: bool = False  # whether the live store holds this bike's row (read from it, or written)


def load_bikes(conn: store.Connection, serials) -> dict[str, Bike]:
    """The stored state of these bikes (bikes never seen are absent)."""
    serials = list(serials)
    bikes = {}
    for start in range(0, len(serials), 500):
        chunk = serials[start:start + 500]
        for row in ingest.bike_rows(conn, chunk):
            bikes[row[0]] = _bike(row)
    return bikes


class BikeCache:
    """The bikes as this consumer's latest stored batches left them, so that a batch reads from the
    live store only the bikes it does not know. Each is kept with the (last_seen_wall,
    ride_started_at) it wrote: when the stored row no longer has them, another writer (a consumer
    that held the partition meanwhile, an idle sweep) changed the bike, and it is read again."""

    def __init__(self, limit: int = 100_000):
        self.limit = limit
        self.bikes: dict[str, tuple[Bike, tuple]] = {}

    def load(self, conn: store.Connection, serials) -> dict[str, Bike]:
        """The state of these bikes: the cached ones still as the live store holds them, the rest read."""
        serials = set(serials)
        known = [serial for serial in serials if serial in self.bikes]
        bikes = {}
        for start in range(0, len(known), 500):
            for serial, wall, ride in ingest.bike_stamps(conn, known[start:start + 500]):
                bike, stamp = self.bikes[serial]
                if stamp == (wall, ride):
                    bikes[serial] = bike
        bikes.update(load_bikes(conn, serials.difference(bikes)))
        return bikes

    def keep(self, bikes, now_wall: float) -> None:
        """Remember the bikes of a batch just committed (save_bikes wrote them with `now_wall`)."""
        if len(self.bikes) + len(bikes) > self.limit:
            self.bikes.clear()  # bikes come and go: start again rather than grow without end
        for bike in bikes:
            self.bikes[bike.serial] = bike, (now_wall, bike.ride.started_at if bike.ride else None)

    def clear(self) -> None:
        """Forget every bike (after a rolled-back batch, whose objects were changed in memory)."""
        self.bikes.clear()


def _bike(row) -> Bike:
    ride = None
    if row[3] is not None:
        # The rule's last duration is the ride's latest reading (row[10]): the column is written
        # only when the run length or the last alert changes.
        last = row[8] if row[10] is None or (row[8] is not None and row[8] > row[10]) else row[10]
        ride = Ride(row[3], row[4], row[5], row[6], AlertState(row[7], last, row[9]),
                    row[10] is not None, (row[7], row[9]), row[14], row[10],
                    None if row[10] is None else (row[0], row[3], row[10], None, row[15], row[16],
                                                  row[17], row[18]))
    if row[11] is None:
        return Bike(row[0], ride, None, row[1], row[2], stored=True)
    return Bike(row[0], ride, RideHalf(row[11], row[12], row[13]), row[1], row[2], True, True)


def start_ride(conn: store.Connection, bike: Bike, started_at: str, when, rider: dict,
               settings: Settings) -> bool:
    """Open the ride of a [SYSTEM] line; False when that ride is already known (a duplicate)."""
    if ingest.ride_exists(conn, bike.serial, started_at):
        return False
    details = riders.parse_rider(rider)
    age = riders.age_years(details["date_of_birth"], when.date())
    limit = riders.hr_limit_bpm(age, details["gender"], settings.hr_formula)
    rider_json = json.dumps(rider, ensure_ascii=False)
    ingest.insert_ride(conn, bike.serial, started_at, rider["user_id"], rider_json, limit, settings.hr_formula)
    bike.ride = Ride(started_at, rider_json, limit, settings.hr_formula)
    return True


def end_ride(conn: store.Connection, bike: Bike, reason: str, counts) -> None:
    """End the bike's ride: closed out when it has readings, discarded when it has none."""
    ride, bike.ride = bike.ride, None
    if ride is None:
        return
    if not ride.has_readings:
        ingest.delete_ride(conn, bike.serial, ride.started_at)
        counts["rides_discarded"] += 1
        return
    save_alert_state(conn, [(bike.serial, ride)])
    ingest.mark_ended(conn, bike.serial, ride.started_at, time.time(), reason)
    outbox.add(conn, jobs.close_ride_job(bike.serial, ride.started_at))
    counts["rides_ended"] += 1


def alert_changed(ride: Ride) -> bool:
    """Whether the alert rule's run length or last alert differ from what the live store holds."""
    return (ride.alert.run_length, ride.alert.last_alert_duration_s) != ride.saved_alert


def save_alert_state(conn: store.Connection, rides) -> None:
    """Persist the alert rule's state of these (serial, ride) pairs so a restart continues it."""
    rides = list(rides)
    ingest.save_alert_states(conn, [(ride.alert.run_length, ride.alert.last_duration_s,
                                     ride.alert.last_alert_duration_s, serial, ride.started_at)
                                    for serial, ride in rides])
    for _, ride in rides:
        ride.saved_alert = (ride.alert.run_length, ride.alert.last_alert_duration_s)


def raise_alert(conn: store.Connection, bike: Bike, reading: tuple, max_age_s: float | None = None,
                now_wall: float | None = None) -> None:
    """Store an alert and its email job in the current transaction; the job of a reading older
    than max_age_s carries the reason it is not to be emailed."""
    ride = bike.ride
    duration_s, recorded_at, heart_rate = reading[2], reading[3], reading[4]
    skip = stale_reason(recorded_at, max_age_s, now_wall if now_wall is not None else time.time())
    ingest.insert_alert(conn, (bike.serial, ride.started_at, duration_s, recorded_at, heart_rate, ride.hr_limit))
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
    """Write the touched bikes (each with its ride's energy and latest reading) and their waiting halves."""
    bikes = sorted(bikes, key=lambda b: b.serial)  # in key order: SQLite's B-tree is walked once
    stored, new, gone, waiting = [], [], [], []
    # One pass over the bikes (a batch has thousands). Their flags are set before the writes: a
    # write that fails rolls the batch back, and its bikes are dropped (process_batch clears the cache).
    for bike in bikes:
        ride = bike.ride
        if ride is None:  # each bike's row of ingest.BIKE_COLUMNS
            row = (None, bike.last_line_at, now_wall, bike.partition, 0.0, None, None, None, None, None,
                   bike.serial)
        elif ride.latest is None:
            row = (ride.started_at, bike.last_line_at, now_wall, bike.partition, ride.energy_j,
                   None, None, None, None, None, bike.serial)
        else:
            _, _, last_s, _, heart_rate, rpm, power, resistance = ride.latest
            row = (ride.started_at, bike.last_line_at, now_wall, bike.partition, ride.energy_j,
                   last_s, heart_rate, rpm, power, resistance, bike.serial)
        (stored if bike.stored else new).append(row)
        bike.stored = True
        pending = bike.pending
        if pending is not None:
            waiting.append((bike.serial, pending.ts, pending.duration_s, pending.resistance))
        elif bike.stored_pending:  # only halves the live store holds: most bikes have none waiting
            gone.append((bike.serial,))
        bike.stored_pending = pending is not None
    ingest.save_bikes(conn, stored, new)
    ingest.delete_pending_halves(conn, gone)
    ingest.save_pending_halves(conn, waiting)
