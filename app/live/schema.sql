-- The live store (SQLite, WAL). Times are ISO 8601 text in UTC ("2022-07-06 10:00:00.123456+00:00").
-- A ride is keyed by (bike_serial, started_at); a reading by (bike_serial, started_at, duration_s).

CREATE TABLE IF NOT EXISTS bikes (
    bike_serial      TEXT PRIMARY KEY,
    ride_started_at  TEXT,              -- the ride in progress, NULL when idle
    last_line_at     TEXT,              -- <ts> of the bike's latest line
    last_seen_wall   REAL NOT NULL,     -- wall-clock epoch seconds the consumer last heard from it
    partition        INTEGER
);

CREATE TABLE IF NOT EXISTS rides (
    bike_serial      TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    user_id          INTEGER NOT NULL,
    rider_json       TEXT NOT NULL,     -- the [SYSTEM] JSON as received
    hr_limit_bpm     REAL,
    hr_formula       TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'open',   -- open | ended (waiting for closeout)
    ended_wall       REAL,
    end_reason       TEXT,              -- boundary | new_ride | idle
    last_alert_duration_s INTEGER,
    alert_run_length      INTEGER NOT NULL DEFAULT 0,  -- the alert rule's state, so a restart continues it
    alert_last_duration_s INTEGER,
    PRIMARY KEY (bike_serial, started_at)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS readings (
    bike_serial  TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    duration_s   INTEGER NOT NULL,
    recorded_at  TEXT NOT NULL,
    heart_rate   INTEGER NOT NULL,
    rpm          INTEGER NOT NULL,
    power        REAL NOT NULL,
    resistance   INTEGER NOT NULL,
    PRIMARY KEY (bike_serial, started_at, duration_s)
) WITHOUT ROWID;

-- A Ride line waiting for its Telemetry line, kept so a restart does not split a pair.
CREATE TABLE IF NOT EXISTS pending_halves (
    bike_serial  TEXT PRIMARY KEY,
    recorded_at  TEXT NOT NULL,
    duration_s   INTEGER NOT NULL,
    resistance   INTEGER NOT NULL
);

-- Heart-rate alerts raised by the consumer (the bike screen shows them; the rule's cooldown reads them).
CREATE TABLE IF NOT EXISTS alerts (
    bike_serial   TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    duration_s    INTEGER NOT NULL,
    recorded_at   TEXT NOT NULL,
    heart_rate    INTEGER NOT NULL,
    hr_limit_bpm  REAL NOT NULL,
    PRIMARY KEY (bike_serial, started_at, duration_s)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS quarantine (
    id              INTEGER PRIMARY KEY,
    topic           TEXT NOT NULL,
    partition       INTEGER NOT NULL,
    "offset"        INTEGER NOT NULL,
    message_key     TEXT,
    raw_value       TEXT,              -- at most 4 KiB, undecodable bytes as \x escapes
    reason          TEXT NOT NULL,
    quarantined_at  TEXT NOT NULL,
    UNIQUE (topic, partition, "offset")
);

CREATE TABLE IF NOT EXISTS counters (
    name   TEXT PRIMARY KEY,           -- quarantined, dropped_halves, orphans, duplicates, readings, ...
    value  INTEGER NOT NULL DEFAULT 0
);

-- The consumer's position: the next offset to read, saved in the same transaction as the data.
CREATE TABLE IF NOT EXISTS positions (
    topic        TEXT NOT NULL,
    partition    INTEGER NOT NULL,
    next_offset  INTEGER NOT NULL,
    bike_serial  TEXT,                 -- unkeyed stream: the bike of this partition's latest [SYSTEM]
    PRIMARY KEY (topic, partition)
);

-- Transactional outbox: written with the readings, relayed to RQ with a job id derived from the ride.
CREATE TABLE IF NOT EXISTS outbox (
    id           INTEGER PRIMARY KEY,
    job_id       TEXT NOT NULL UNIQUE,
    queue        TEXT NOT NULL,        -- alerts | closeout
    func         TEXT NOT NULL,        -- worker.jobs.send_hr_alert | worker.jobs.close_ride
    kwargs_json  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    enqueued_at  TEXT
);
CREATE INDEX IF NOT EXISTS ix_outbox_pending ON outbox (enqueued_at) WHERE enqueued_at IS NULL;

-- Partitions the consumer cannot read (a batch its Kafka client cannot decode): paused until fixed.
CREATE TABLE IF NOT EXISTS consumer_failures (
    topic      TEXT NOT NULL,
    partition  INTEGER NOT NULL,
    "offset"   INTEGER NOT NULL,          -- the first offset that cannot be read
    reason     TEXT NOT NULL,             -- the client's error
    since      TEXT NOT NULL,
    PRIMARY KEY (topic, partition)
);
