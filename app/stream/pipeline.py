"""The batch pipeline: one poll of messages into the live store in one transaction."""
import logging
import time
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import NamedTuple

from app.domain.alert_rule import advance
from app.live import ingest, store
from app.stream import rides
from app.stream.parse import (Boundary, Quarantined, RideHalf, System, TelemetryHalf, decode_key,
                              parse_value, raw_text)
from app.stream.rides import Bike, BikeCache, Settings

log = logging.getLogger(__name__)
COUNTERS = ("messages", "readings", "rides_started", "rides_ended", "rides_discarded", "alerts",
            "quarantined", "dropped_halves", "orphans", "duplicates")


class Message(NamedTuple):
    """One Kafka message (or a simulated one): a tuple, as kafka-python's records are, since the
    writer process builds one for every message it is handed."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@contextmanager
def transaction(conn: store.Connection, partitions=None, leases=None):
    """One write transaction holding the locks of its (topic, partition) pairs (the whole store
    on SQLite); with `leases`, refused (Fenced, nothing written) unless the consumer still holds
    every one of them."""
    store.begin_write(conn, partitions)
    try:
        if leases is not None:
            leases.check(conn, partitions)
        yield
        conn.commit()  # PostgreSQL may refuse it (a serialization failure): rolled back below
    except BaseException:
        conn.rollback()
        raise


def process_batch(conn: store.Connection, messages, settings: Settings,
                  track_positions: bool = True, forget=(), leases=None,
                  cache: BikeCache | None = None, parsed=None) -> Counter:
    """Store one poll's messages in one transaction, forgetting the `forget` rides (landed in the
    warehouse, app/stream/landed.py) in it too; return what was counted. With `leases`
    (app/stream/fence.py), raise Fenced and write nothing if a partition was lost meanwhile. With
    `cache`, the bikes of earlier batches are taken from it rather than read again. `parsed`: the
    messages' parse_messages() when done already."""
    if parsed is None:
        # Parsing needs no live store: done before the write lock, so other consumers can write meanwhile.
        parsed = parse_messages(messages)
    partitions = sorted({(m.topic, m.partition) for m in messages})
    try:
        with transaction(conn, partitions, leases):
            batch = Batch(conn, settings, track_positions)
            batch.load(messages, parsed, cache, partitions)
            batch.handle_all(messages, parsed)
            batch.flush()
            if forget:
                ingest.forget_rides(conn, list(forget))
    except BaseException:
        if cache is not None:
            cache.clear()  # its bikes may have been changed in memory by the batch rolled back
        raise
    if cache is not None:
        cache.keep(batch.bikes.values(), batch.now_wall)
    return batch.counts


def forget_rides(conn: store.Connection, keys) -> None:
    """Forget landed rides in a transaction of their own (when no batch came to carry them)."""
    if keys:
        with transaction(conn):
            ingest.forget_rides(conn, list(keys))


def parse_messages(messages) -> list:
    """Each message as (key, parsed line), or as the Quarantined error that says why it is bad."""
    keys, parsed = {}, []
    append = parsed.append  # looked up once: this loop runs for every message
    for message in messages:
        try:
            key = keys.get(message.key)
            if key is None:  # a batch has a few keys, each in many messages
                key = keys[message.key] = decode_key(message.key)
            append((key, parse_value(message.value)))
        except Quarantined as exc:
            append(exc)
        except UNEXPECTED as exc:
            append(unusable(message, exc))
    return parsed


# Errors bad input might still raise past the parser's own checks: the message is quarantined.
UNEXPECTED = (ValueError, TypeError, KeyError, OverflowError, RecursionError)


def unusable(message: Message, exc: Exception) -> Quarantined:
    """The quarantine reason of a message that raised an error the parser did not foresee."""
    log.exception("unexpected bad input at %s/%s", message.partition, message.offset)
    return Quarantined(f"unusable: {type(exc).__name__}: {exc}"[:300])


class Batch:
    """The state and pending writes of one batch."""

    def __init__(self, conn: store.Connection, settings: Settings, track_positions: bool):
        self.conn, self.settings, self.track_positions = conn, settings, track_positions
        self.now_wall = time.time()
        self.counts = Counter()
        self.bikes: dict[str, Bike] = {}
        self.positions: dict[tuple[str, int], list] = {}
        self.readings: list[tuple] = []  # each a second after its ride's latest stored one
        self.late: list[tuple[Bike, tuple]] = []  # repeated or out-of-order seconds (rare)
        self.quarantine: list[tuple] = []
        self.alert_dirty: dict[str, Bike] = {}

    def load(self, messages, parsed, cache: BikeCache | None = None, partitions=None) -> None:
        """Read the positions of the batch's partitions (`partitions`, when the caller knows them)
        and the state of its bikes (from `cache` those it holds as the live store does)."""
        if partitions is None:
            partitions = {(m.topic, m.partition) for m in messages}
        for topic, partition in partitions:
            row = ingest.position(self.conn, topic, partition)
            self.positions[topic, partition] = list(row) if row else [-1, None]
        # The keys parse_messages decoded (a bad key is quarantined), and unkeyed partitions' bikes.
        serials = {item[0] for item in parsed if type(item) is tuple and item[0] is not None}
        serials |= {pos[1] for pos in self.positions.values() if pos[1]}
        self.bikes = cache.load(self.conn, serials) if cache is not None else \
            rides.load_bikes(self.conn, serials)

    def bike(self, serial: str, partition: int) -> Bike:
        """The bike of this serial, created when first seen."""
        bike = self.bikes.get(serial)
        if bike is None:
            bike = self.bikes[serial] = Bike(serial)
        bike.partition = partition
        return bike

    def handle_all(self, messages, parsed) -> None:
        """Apply a batch's parsed messages in order: `handle` of each, with the keyed reading halves
        (nearly every message) applied here in a few steps rather than a few calls each."""
        positions, bikes, track, counts = self.positions, self.bikes, self.track_positions, self.counts
        topic = partition = position = None
        handled = 0
        for message, item in zip(messages, parsed):
            if message.partition != partition or message.topic != topic:  # a batch comes in partition runs
                topic, partition = message.topic, message.partition
                position = positions[topic, partition]
            offset = message.offset
            if type(item) is not tuple or item[0] is None or (track and offset < position[0]):
                self.handle(message, item)  # a bad, unkeyed or repeated message: the general path
                continue
            position[0] = offset + 1
            handled += 1
            key, line = item
            kind = type(line)
            if kind is TelemetryHalf or kind is RideHalf:
                bike = bikes.get(key)
                if bike is None:
                    bike = bikes[key] = Bike(key)
                bike.partition = partition
                bike.last_line_at = line.ts
                if kind is RideHalf:
                    if bike.pending is not None:
                        self.drop_pending(bike)
                    bike.pending = line
                    continue
                try:
                    self.on_telemetry(bike, line)
                except Quarantined as exc:
                    self.quarantine_message(message, str(exc))
                except UNEXPECTED as exc:
                    self.quarantine_message(message, str(unusable(message, exc)))
            else:
                self.route(message, key, line, position)
        if handled:
            counts["messages"] += handled

    def handle(self, message: Message, key_and_line) -> None:
        """Apply one parsed message, unless it was applied before; quarantine it when it is bad."""
        position = self.positions[message.topic, message.partition]
        if self.track_positions and message.offset < position[0]:
            self.counts["duplicates"] += 1
            return
        position[0] = message.offset + 1
        self.counts["messages"] += 1
        if type(key_and_line) is not tuple:
            self.quarantine_message(message, str(key_and_line))
            return
        self.route(message, key_and_line[0], key_and_line[1], position)

    def route(self, message: Message, key: str | None, line, position: list) -> None:
        """Apply one good message's parsed line; quarantine it when applying it fails."""
        try:
            self.apply(key, line, message, position)
        except Quarantined as exc:
            self.quarantine_message(message, str(exc))
        except UNEXPECTED as exc:
            self.quarantine_message(message, str(unusable(message, exc)))

    def quarantine_message(self, message: Message, reason: str) -> None:
        """Keep a bad message with its reason."""
        self.counts["quarantined"] += 1
        key = None if message.key is None else raw_text(message.key)
        self.quarantine.append((message.topic, message.partition, message.offset, key,
                                raw_text(message.value), reason.replace("\x00", "\\x00"),
                                store.to_text(datetime.now(timezone.utc))))

    def apply(self, key: str | None, line, message: Message, position: list) -> None:
        """Route one parsed line to its bike."""
        serial = key if key is not None else position[1]
        if isinstance(line, System) and key is None:
            serial = self.switch_unkeyed_bike(line, message, position)
        if serial is None:
            # An unkeyed partition before its first [SYSTEM] line: no bike, no ride.
            if isinstance(line, TelemetryHalf):
                self.counts["orphans"] += 1
            return
        bike = self.bike(serial, message.partition)
        kind = type(line)
        if kind is not Boundary:
            bike.last_line_at = line.ts
        if kind is TelemetryHalf:
            self.on_telemetry(bike, line)
        elif kind is RideHalf:
            if bike.pending is not None:
                self.drop_pending(bike)
            bike.pending = line
        elif kind is System:
            self.on_system(bike, line)
        else:
            self.drop_pending(bike)
            rides.end_ride(self.conn, bike, "boundary", self.counts)

    def switch_unkeyed_bike(self, line: System, message: Message, position: list) -> str:
        """An unkeyed [SYSTEM] line names the partition's bike; the previous bike's ride ends."""
        serial = line.rider.get("bike_serial")
        if not serial:
            raise Quarantined("[SYSTEM] JSON has no bike_serial and the message no key")
        if position[1] and position[1] != serial:
            previous = self.bike(position[1], message.partition)
            self.drop_pending(previous)
            rides.end_ride(self.conn, previous, "new_ride", self.counts)
        position[1] = serial
        return serial

    def on_system(self, bike: Bike, line: System) -> None:
        """A new ride starts (ending the one in progress), unless it is the ride in progress."""
        self.drop_pending(bike)
        if bike.ride is not None and bike.ride.started_at == line.ts:
            self.counts["duplicates"] += 1
            return
        rides.end_ride(self.conn, bike, "new_ride", self.counts)
        when = line.when.replace(tzinfo=timezone.utc)
        if rides.start_ride(self.conn, bike, line.ts, when, line.rider, self.settings):
            self.counts["rides_started"] += 1
        else:
            self.counts["duplicates"] += 1

    def drop_pending(self, bike: Bike) -> None:
        """A Ride half whose Telemetry half never came is dropped and counted."""
        if bike.pending is not None:
            bike.pending = None
            self.counts["dropped_halves"] += 1

    def on_telemetry(self, bike: Bike, line: TelemetryHalf) -> None:
        """Pair the Telemetry half with the waiting Ride half into one reading."""
        half, bike.pending = bike.pending, None
        if half is None:
            self.counts["dropped_halves"] += 1
            return
        ride = bike.ride
        if ride is None:
            self.counts["orphans"] += 1
            return
        reading = (bike.serial, ride.started_at, half.duration_s, half.ts, line.heart_rate,
                   line.rpm, line.power, half.resistance)
        if ride.last_s is None or half.duration_s > ride.last_s:
            ride.last_s = half.duration_s
            ride.latest = reading
            ride.energy_j += line.power
            self.readings.append(reading)
        else:  # it may be stored already: flush stores it alone and counts its energy if it was not
            self.late.append((bike, reading))
        ride.has_readings = True
        self.evaluate_alert(bike, reading)

    def evaluate_alert(self, bike: Bike, reading: tuple) -> None:
        """Feed the alert rule in duration order; raise an alert in this transaction when due."""
        ride = bike.ride
        self.alert_dirty[bike.serial] = bike  # a repeated or late second leaves the state as it was
        due = advance(ride.alert, reading[2], reading[4], ride.hr_limit,
                      self.settings.alert_after_s, self.settings.alert_cooldown_s)
        if due:
            rides.raise_alert(self.conn, bike, reading, self.settings.alert_max_age_s,
                              self.now_wall)
            self.counts["alerts"] += 1

    def flush(self) -> None:
        """Write what the batch gathered: readings, alert state, bikes, positions, counters."""
        conn = self.conn
        if self.readings:
            inserted = ingest.insert_readings(conn, sorted(self.readings))
            self.counts["readings"] += inserted
            self.counts["duplicates"] += len(self.readings) - inserted
        for bike, reading in self.late:
            if not ingest.insert_readings(conn, [reading]):
                self.counts["duplicates"] += 1
                continue
            self.counts["readings"] += 1
            if bike.ride is not None and bike.ride.started_at == reading[1]:
                bike.ride.energy_j += reading[6]
        rides.save_alert_state(conn, [(b.serial, b.ride) for b in self.alert_dirty.values()
                                      if b.ride is not None and rides.alert_changed(b.ride)])
        rides.save_bikes(conn, self.bikes.values(), self.now_wall)
        if self.track_positions:
            ingest.save_positions(conn, [(t, p, pos[0], pos[1]) for (t, p), pos in self.positions.items()])
        ingest.quarantine(conn, self.quarantine)
        add_counts(conn, self.counts, min((partition for _, partition in self.positions), default=0))


def add_counts(conn: store.Connection, counts: Counter, slot: int) -> None:
    """Add to the live store's counters, in the slot of a partition this writer holds."""
    ingest.add_counts(conn, [(name, slot, value) for name, value in sorted(counts.items()) if value])


def end_idle_rides(conn: store.Connection, settings: Settings, active_since: dict,
                   partitions=None, leases=None) -> Counter:
    """End the rides of bikes silent for the idle timeout while this consumer had their partition.
    `partitions`: the (topic, partition) pairs held, locked while writing (all of them if None);
    with `leases`, raise Fenced if one of them was lost."""
    counts = Counter()
    if not idle_bikes(conn, settings, active_since):
        return counts  # the usual sweep: no write lock taken
    with transaction(conn, partitions, leases):
        # Asked again under the lock: a batch may have heard from the bike meanwhile.
        for bike in rides.load_bikes(conn, idle_bikes(conn, settings, active_since)).values():
            if bike.pending is not None:
                counts["dropped_halves"] += 1
            rides.end_ride(conn, bike, "idle", counts)
            ingest.set_idle(conn, bike.serial)
        add_counts(conn, counts, min((p for _, p in partitions or ()), default=0))
    return counts


def idle_bikes(conn: store.Connection, settings: Settings, active_since: dict) -> list[str]:
    """Serials of bikes with a ride in progress, silent for the idle timeout on a partition we own."""
    now = time.time()
    rows = ingest.riding_bikes(conn)
    return [row[0] for row in rows if row[1] in active_since
            and now - max(row[2], active_since[row[1]]) >= settings.idle_timeout_s]
