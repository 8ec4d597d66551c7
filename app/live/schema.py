"""The live store's tables, defined once and rendered as DDL for SQLite and for PostgreSQL.

Times are ISO 8601 text in UTC ("2022-07-06 10:00:00.123456+00:00"), so both stores hold and
compare the same values. A ride is keyed by (bike_serial, started_at); a reading by
(bike_serial, started_at, duration_s)."""
from sqlalchemy import (REAL, BigInteger, Column, Index, Integer, MetaData, PrimaryKeyConstraint, Table,
                        Text, UniqueConstraint, text)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

# The schema version this code writes and reads. A store without a version is 0 (created before
# versions were kept). To change the schema: change the tables below, bump VERSION, and add the
# statements that bring a store of the previous version up to it to UPGRADES (at the end).
VERSION = 4

# SQLite's types as they were first written (INTEGER so that `id INTEGER PRIMARY KEY` stays the
# rowid); 64-bit integers and doubles on PostgreSQL.
Int = BigInteger().with_variant(Integer(), "sqlite")
Real = REAL().with_variant(postgresql.DOUBLE_PRECISION(), "postgresql")
NO_ROWID = {"sqlite_with_rowid": False}  # SQLite: keyed tables stored by their key, as before

metadata = MetaData()

bikes = Table(
    "bikes", metadata,
    Column("bike_serial", Text, primary_key=True),
    Column("ride_started_at", Text),  # the ride in progress, NULL when idle
    Column("last_line_at", Text),  # <ts> of the bike's latest line
    Column("last_seen_wall", Real, nullable=False),  # wall-clock epoch seconds it was last heard
    Column("partition", Int),
    # The energy (joules: the sum of its readings' power, one a second) of the ride in progress, kept
    # by the consumer as it stores readings, so the screens' leaderboard reads one row per bike.
    Column("ride_energy_j", Real, nullable=False, server_default=text("0")),
    # The latest stored reading of the ride in progress (NULL before its first, or with no ride),
    # kept by the consumer as it stores readings, so the fleet and the consumer read one row per
    # bike rather than looking for each ride's latest reading in `readings`.
    Column("ride_last_s", Int),  # its second (duration_s)
    Column("ride_last_heart_rate", Int),
    Column("ride_last_rpm", Int),
    Column("ride_last_power", Real),
    Column("ride_last_resistance", Int),
)

rides = Table(
    "rides", metadata,
    Column("bike_serial", Text, nullable=False),
    Column("started_at", Text, nullable=False),
    Column("user_id", Int, nullable=False),
    Column("rider_json", Text, nullable=False),  # the [SYSTEM] JSON as received
    Column("hr_limit_bpm", Real),
    Column("hr_formula", Text, nullable=False),
    Column("status", Text, nullable=False, server_default="open"),  # open | ended (waiting for closeout)
    Column("ended_wall", Real),
    Column("end_reason", Text),  # boundary | new_ride | idle
    Column("last_alert_duration_s", Int),
    Column("alert_run_length", Int, nullable=False, server_default=text("0")),  # the alert rule's state
    Column("alert_last_duration_s", Int),
    PrimaryKeyConstraint("bike_serial", "started_at"),
    **NO_ROWID,
)

readings = Table(
    "readings", metadata,
    Column("bike_serial", Text, nullable=False),
    Column("started_at", Text, nullable=False),
    Column("duration_s", Int, nullable=False),
    Column("recorded_at", Text, nullable=False),
    Column("heart_rate", Int, nullable=False),
    Column("rpm", Int, nullable=False),
    Column("power", Real, nullable=False),
    Column("resistance", Int, nullable=False),
    PrimaryKeyConstraint("bike_serial", "started_at", "duration_s"),
    **NO_ROWID,
)

# A Ride line waiting for its Telemetry line, kept so a restart does not split a pair.
pending_halves = Table(
    "pending_halves", metadata,
    Column("bike_serial", Text, primary_key=True),
    Column("recorded_at", Text, nullable=False),
    Column("duration_s", Int, nullable=False),
    Column("resistance", Int, nullable=False),
)

# Heart-rate alerts raised by the consumer (the bike screen shows them; the rule's cooldown reads them).
alerts = Table(
    "alerts", metadata,
    Column("bike_serial", Text, nullable=False),
    Column("started_at", Text, nullable=False),
    Column("duration_s", Int, nullable=False),
    Column("recorded_at", Text, nullable=False),
    Column("heart_rate", Int, nullable=False),
    Column("hr_limit_bpm", Real, nullable=False),
    PrimaryKeyConstraint("bike_serial", "started_at", "duration_s"),
    **NO_ROWID,
)

quarantine = Table(
    "quarantine", metadata,
    Column("id", Int, primary_key=True),
    Column("topic", Text, nullable=False),
    Column("partition", Int, nullable=False),
    Column("offset", Int, nullable=False),
    Column("message_key", Text),
    Column("raw_value", Text),  # at most 4 KiB, undecodable bytes as \x escapes
    Column("reason", Text, nullable=False),
    Column("quarantined_at", Text, nullable=False),
    UniqueConstraint("topic", "partition", "offset"),
)

# One row per counter and slot, summed on read: each consumer adds into the slot of a partition it
# holds (the lowest of its batch), so consumers writing at the same time never wait on a shared row.
counters = Table(
    "counters", metadata,
    Column("name", Text, nullable=False),  # quarantined, dropped_halves, orphans, duplicates, ...
    Column("slot", Int, nullable=False, server_default=text("0")),
    Column("value", Int, nullable=False, server_default=text("0")),
    PrimaryKeyConstraint("name", "slot"),
)

# The consumer's position: the next offset to read, saved in the same transaction as the data.
positions = Table(
    "positions", metadata,
    Column("topic", Text, nullable=False),
    Column("partition", Int, nullable=False),
    Column("next_offset", Int, nullable=False),
    Column("bike_serial", Text),  # unkeyed stream: the bike of this partition's latest [SYSTEM]
    PrimaryKeyConstraint("topic", "partition"),
)

# Transactional outbox: written with the readings, relayed to RQ with a job id derived from the ride.
outbox = Table(
    "outbox", metadata,
    Column("id", Int, primary_key=True),
    Column("job_id", Text, nullable=False, unique=True),
    Column("queue", Text, nullable=False),  # alerts | closeout
    Column("func", Text, nullable=False),  # worker.jobs.send_hr_alert | worker.jobs.close_ride
    Column("kwargs_json", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("enqueued_at", Text),
)
Index("ix_outbox_pending", outbox.c.enqueued_at,
      sqlite_where=outbox.c.enqueued_at.is_(None), postgresql_where=outbox.c.enqueued_at.is_(None))

# Partitions the consumer cannot read (a batch its Kafka client cannot decode): paused until fixed.
consumer_failures = Table(
    "consumer_failures", metadata,
    Column("topic", Text, nullable=False),
    Column("partition", Int, nullable=False),
    Column("offset", Int, nullable=False),  # the first offset that cannot be read
    Column("reason", Text, nullable=False),  # the client's error
    Column("since", Text, nullable=False),
    PrimaryKeyConstraint("topic", "partition"),
)

# Which consumer may write each partition: the group member and the generation of the group in
# which Kafka assigned it the partition. A batch whose consumer no longer holds the lease of one of
# its partitions (it lost it in a rebalance) is refused (app/stream/fence.py).
partition_leases = Table(
    "partition_leases", metadata,
    Column("topic", Text, nullable=False),
    Column("partition", Int, nullable=False),
    Column("generation", Int, nullable=False),
    Column("member", Text, nullable=False),
    Column("taken_at", Text, nullable=False),
    PrimaryKeyConstraint("topic", "partition"),
)

# The schema version of this store (one row).
schema_version = Table(
    "schema_version", metadata,
    Column("version", Int, primary_key=True, autoincrement=False),
)

DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}


def ddl(dialect: str, tables=None) -> list[str]:
    """CREATE TABLE / CREATE INDEX ... IF NOT EXISTS statements for `dialect` (all tables by default)."""
    compiler = DIALECTS[dialect]
    statements = []
    for table in tables or metadata.sorted_tables:
        statements.append(str(CreateTable(table, if_not_exists=True).compile(dialect=compiler)).strip())
        statements += [str(CreateIndex(index, if_not_exists=True).compile(dialect=compiler)).strip()
                       for index in sorted(table.indexes, key=lambda index: index.name)]
    return statements


def _rebuild_counters(dialect: str) -> list[str]:
    """Statements that give `counters` its (name, slot) key, keeping the totals (slot 0)."""
    rebuilt = counters.to_metadata(MetaData(), name="counters_v2")
    return ddl(dialect, [rebuilt]) + [
        "INSERT INTO counters_v2 (name, slot, value) SELECT name, 0, value FROM counters",
        "DROP TABLE counters", "ALTER TABLE counters_v2 RENAME TO counters"]


def _rebuild_bikes(dialect: str) -> list[str]:
    """Statements that give `bikes` its ride_energy_j, summed from the readings of each ride in
    progress (a rebuild rather than ADD COLUMN: it must also run on a store just created)."""
    rebuilt = bikes.to_metadata(MetaData(), name="bikes_v3")
    return ddl(dialect, [rebuilt]) + [
        "INSERT INTO bikes_v3 (bike_serial, ride_started_at, last_line_at, last_seen_wall, partition, "
        "ride_energy_j) SELECT b.bike_serial, b.ride_started_at, b.last_line_at, b.last_seen_wall, "
        "b.partition, COALESCE((SELECT SUM(x.power) FROM readings x WHERE x.bike_serial = b.bike_serial "
        "AND x.started_at = b.ride_started_at), 0) FROM bikes b",
        "DROP TABLE bikes", "ALTER TABLE bikes_v3 RENAME TO bikes"]


def _rebuild_bikes_latest(dialect: str) -> list[str]:
    """Statements that give `bikes` the latest reading of each ride in progress, taken from its
    readings (a rebuild, as _rebuild_bikes, for the same reason)."""
    rebuilt = bikes.to_metadata(MetaData(), name="bikes_v4")
    return ddl(dialect, [rebuilt]) + [
        "INSERT INTO bikes_v4 (bike_serial, ride_started_at, last_line_at, last_seen_wall, partition, "
        "ride_energy_j, ride_last_s, ride_last_heart_rate, ride_last_rpm, ride_last_power, "
        "ride_last_resistance) SELECT b.bike_serial, b.ride_started_at, b.last_line_at, b.last_seen_wall, "
        "b.partition, b.ride_energy_j, x.duration_s, x.heart_rate, x.rpm, x.power, x.resistance "
        "FROM bikes b LEFT JOIN readings x ON x.bike_serial = b.bike_serial "
        "AND x.started_at = b.ride_started_at AND x.duration_s = (SELECT MAX(y.duration_s) FROM readings y "
        "WHERE y.bike_serial = b.bike_serial AND y.started_at = b.ride_started_at)",
        "DROP TABLE bikes", "ALTER TABLE bikes_v4 RENAME TO bikes"]


UPGRADES: dict[int, dict[str, list[str]]] = {
    # version: {"sqlite": [...], "postgresql": [...]} -- run in order, in one write transaction, on
    # an older store and also on a store just created (whose tables already have the new shape).
    1: {"sqlite": [], "postgresql": []},  # 0 -> 1 only adds schema_version, which create makes
    2: {dialect: _rebuild_counters(dialect) for dialect in DIALECTS},  # counters per slot
    3: {dialect: _rebuild_bikes(dialect) for dialect in DIALECTS},  # each ride's energy so far
    4: {dialect: _rebuild_bikes_latest(dialect) for dialect in DIALECTS},  # each ride's latest reading
}


def script(dialect: str) -> str:
    """The whole schema as one script of statements separated by semicolons."""
    return ";\n".join(ddl(dialect)) + ";\n"
