-- The live store on PostgreSQL: the tables of schema.sql (see there for what each column means).
-- Times stay ISO 8601 text in UTC, so both stores hold and compare the same values.

CREATE TABLE IF NOT EXISTS bikes (
    bike_serial      TEXT PRIMARY KEY,
    ride_started_at  TEXT,
    last_line_at     TEXT,
    last_seen_wall   DOUBLE PRECISION NOT NULL,
    partition        INTEGER
);

CREATE TABLE IF NOT EXISTS rides (
    bike_serial      TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    user_id          BIGINT NOT NULL,
    rider_json       TEXT NOT NULL,
    hr_limit_bpm     DOUBLE PRECISION,
    hr_formula       TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'open',
    ended_wall       DOUBLE PRECISION,
    end_reason       TEXT,
    last_alert_duration_s BIGINT,
    alert_run_length      BIGINT NOT NULL DEFAULT 0,
    alert_last_duration_s BIGINT,
    PRIMARY KEY (bike_serial, started_at)
);

CREATE TABLE IF NOT EXISTS readings (
    bike_serial  TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    duration_s   BIGINT NOT NULL,
    recorded_at  TEXT NOT NULL,
    heart_rate   BIGINT NOT NULL,
    rpm          BIGINT NOT NULL,
    power        DOUBLE PRECISION NOT NULL,
    resistance   BIGINT NOT NULL,
    PRIMARY KEY (bike_serial, started_at, duration_s)
);

CREATE TABLE IF NOT EXISTS pending_halves (
    bike_serial  TEXT PRIMARY KEY,
    recorded_at  TEXT NOT NULL,
    duration_s   BIGINT NOT NULL,
    resistance   BIGINT NOT NULL
);

CREATE TABLE IF NOT EXISTS alerts (
    bike_serial   TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    duration_s    BIGINT NOT NULL,
    recorded_at   TEXT NOT NULL,
    heart_rate    BIGINT NOT NULL,
    hr_limit_bpm  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (bike_serial, started_at, duration_s)
);

CREATE TABLE IF NOT EXISTS quarantine (
    id              BIGSERIAL PRIMARY KEY,
    topic           TEXT NOT NULL,
    partition       INTEGER NOT NULL,
    "offset"        BIGINT NOT NULL,
    message_key     TEXT,
    raw_value       TEXT,
    reason          TEXT NOT NULL,
    quarantined_at  TEXT NOT NULL,
    UNIQUE (topic, partition, "offset")
);

CREATE TABLE IF NOT EXISTS counters (
    name   TEXT PRIMARY KEY,
    value  BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS positions (
    topic        TEXT NOT NULL,
    partition    INTEGER NOT NULL,
    next_offset  BIGINT NOT NULL,
    bike_serial  TEXT,
    PRIMARY KEY (topic, partition)
);

CREATE TABLE IF NOT EXISTS outbox (
    id           BIGSERIAL PRIMARY KEY,
    job_id       TEXT NOT NULL UNIQUE,
    queue        TEXT NOT NULL,
    func         TEXT NOT NULL,
    kwargs_json  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    enqueued_at  TEXT
);
CREATE INDEX IF NOT EXISTS ix_outbox_pending ON outbox (enqueued_at) WHERE enqueued_at IS NULL;

CREATE TABLE IF NOT EXISTS consumer_failures (
    topic      TEXT NOT NULL,
    partition  INTEGER NOT NULL,
    "offset"   BIGINT NOT NULL,
    reason     TEXT NOT NULL,
    since      TEXT NOT NULL,
    PRIMARY KEY (topic, partition)
);
