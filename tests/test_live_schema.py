"""The live store's schema, defined once in app/live/schema.py: SQLite and PostgreSQL get the same
tables, columns and indexes, and the schema version is written, upgraded and checked."""
import sqlite3
from contextlib import closing

import psycopg
import pytest
from sqlalchemy import create_engine, inspect

from app.live import schema, store


@pytest.fixture(params=["sqlite", "postgresql"])
def where(request, tmp_path):
    """An empty place for a live store, as a (LIVE_DB_PATH, dialect) pair, on each engine."""
    if request.param == "sqlite":
        return str(tmp_path / "live.db"), "sqlite"
    url = request.getfixturevalue("empty_pg_database")
    return url.replace("postgresql+psycopg://", "postgresql://", 1), "postgresql"


def run_raw(path: str, dialect: str, statements: list[str]) -> None:
    """Run statements on the store without the store's code (as an older or newer version would)."""
    script = ";\n".join(statements)
    if dialect == "sqlite":
        with closing(sqlite3.connect(path)) as conn:
            conn.executescript(script)
    else:
        with psycopg.connect(path, autocommit=True) as conn:
            conn.execute(script)


def shape(path: str, dialect: str) -> dict:
    """Each table's columns (name, nullable, Python type), key, unique columns and named indexes."""
    url = f"sqlite:///{path}" if dialect == "sqlite" else path.replace("postgresql://", "postgresql+psycopg://")
    engine = create_engine(url)
    try:
        found = inspect(engine)
        return {table: {
            "columns": [(c["name"], c["nullable"], c["type"].python_type) for c in found.get_columns(table)],
            "key": found.get_pk_constraint(table)["constrained_columns"],
            "unique": sorted(u["column_names"] for u in found.get_unique_constraints(table)),
            "indexes": sorted((i["name"], i["column_names"]) for i in found.get_indexes(table)
                              if "duplicates_constraint" not in i),
        } for table in found.get_table_names()}
    finally:
        engine.dispose()


def test_sqlite_and_postgresql_live_stores_get_the_same_tables_columns_and_indexes(tmp_path, empty_pg_database):
    sqlite_path = str(tmp_path / "live.db")
    pg_url = empty_pg_database.replace("postgresql+psycopg://", "postgresql://", 1)
    store.connect(sqlite_path).close()
    store.connect(pg_url).close()
    on_sqlite, on_pg = shape(sqlite_path, "sqlite"), shape(pg_url, "postgresql")
    assert on_sqlite == on_pg
    assert set(on_sqlite) == set(schema.metadata.tables)
    assert on_sqlite["outbox"]["indexes"] == [("ix_outbox_pending", ["enqueued_at"])]
    assert ("status", False, str) in on_sqlite["rides"]["columns"]
    assert ("hr_limit_bpm", True, float) in on_pg["rides"]["columns"]


def test_the_sqlite_live_store_keeps_its_rowid_and_without_rowid_tables(tmp_path):
    path = str(tmp_path / "live.db")
    store.connect(path).close()
    with closing(sqlite3.connect(path)) as conn:
        tables = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'").fetchall())
        conn.execute("INSERT INTO counters (name) VALUES ('x')")
        conn.execute("INSERT INTO quarantine (topic, partition, \"offset\", reason, quarantined_at) "
                     "VALUES ('t', 0, 7, 'bad', 'now')")
        assert conn.execute("SELECT id, quarantine.rowid, value FROM quarantine, counters").fetchone() == (1, 1, 0)
    assert all("WITHOUT ROWID" in tables[name] for name in ("rides", "readings", "alerts"))


def test_a_new_live_store_records_the_current_schema_version(where):
    path, _ = where
    with closing(store.connect(path)) as conn:
        assert store.stored_version(conn) == schema.VERSION
    with closing(store.connect(path, readonly=True)) as conn:
        assert store.stored_version(conn) == schema.VERSION


def test_a_live_store_from_before_versions_is_upgraded_and_keeps_its_rows(where):
    path, dialect = where
    old_tables = [table for name, table in schema.metadata.tables.items() if name != "schema_version"]
    run_raw(path, dialect, schema.ddl(dialect, old_tables)
            + ["INSERT INTO counters (name, value) VALUES ('readings', 42)"])
    with closing(store.connect(path, readonly=True)) as conn:  # a reader before the writer upgrades it
        assert store.get_counters(conn) == {"readings": 42}
    with closing(store.connect(path)) as conn:
        assert store.stored_version(conn) == schema.VERSION
        assert store.get_counters(conn) == {"readings": 42}


@pytest.mark.parametrize("readonly", [False, True])
def test_a_live_store_written_by_a_newer_version_is_refused_with_a_clear_message(where, readonly):
    path, dialect = where
    run_raw(path, dialect, schema.ddl(dialect) + [f"INSERT INTO schema_version VALUES ({schema.VERSION + 1})"])
    with pytest.raises(store.VersionError) as refused:
        store.connect(path, readonly=readonly)
    message = str(refused.value)
    assert f"schema version {schema.VERSION + 1}, newer than this code's {schema.VERSION}" in message
    assert "deloton:deloton@" not in message  # no password in the message


def test_a_version_1_live_store_gets_counters_per_slot_and_keeps_their_totals(where):
    path, dialect = where
    old_counters = "CREATE TABLE counters (name TEXT NOT NULL PRIMARY KEY, value BIGINT NOT NULL DEFAULT 0)"
    others = [table for name, table in schema.metadata.tables.items() if name != "counters"]
    run_raw(path, dialect, schema.ddl(dialect, others) + [
        old_counters, "INSERT INTO schema_version VALUES (1)",
        "INSERT INTO counters (name, value) VALUES ('readings', 42), ('messages', 90)"])
    with closing(store.connect(path)) as conn:
        assert store.stored_version(conn) == schema.VERSION
        conn.execute("INSERT INTO counters (name, slot, value) VALUES ('readings', 3, 8)")
        assert store.get_counters(conn) == {"readings": 50, "messages": 90}
    assert shape(path, dialect)["counters"]["key"] == ["name", "slot"]


def test_a_version_2_live_store_gets_each_ride_in_progress_its_energy_so_far(where):
    path, dialect = where
    old_bikes = ("CREATE TABLE bikes (bike_serial TEXT NOT NULL PRIMARY KEY, ride_started_at TEXT, "
                 "last_line_at TEXT, last_seen_wall REAL NOT NULL, partition INTEGER)")
    others = [table for name, table in schema.metadata.tables.items() if name != "bikes"]
    run_raw(path, dialect, schema.ddl(dialect, others) + [
        old_bikes, "INSERT INTO schema_version VALUES (2)",
        "INSERT INTO bikes VALUES ('SN1', 's1', 'x', 1.0, 0), ('SN2', NULL, 'x', 1.0, 0)",
        "INSERT INTO readings VALUES ('SN1', 's1', 1, 'x', 90, 60, 100.5, 30), "
        "('SN1', 's1', 2, 'x', 90, 60, 99.5, 30), ('SN1', 's0', 1, 'x', 90, 60, 500, 30)"])
    with closing(store.connect(path)) as conn:
        assert store.stored_version(conn) == schema.VERSION
        energy = dict(conn.execute("SELECT bike_serial, ride_energy_j FROM bikes").fetchall())
    assert energy == {"SN1": 200.0, "SN2": 0.0}  # the ride in progress only, not the earlier one


def make_version_3_store(path: str, dialect: str, rows: list[str]) -> None:
    """A live store as version 3 wrote it (bikes without the ride's latest reading), with `rows`."""
    old_bikes = ("CREATE TABLE bikes (bike_serial TEXT NOT NULL PRIMARY KEY, ride_started_at TEXT, "
                 "last_line_at TEXT, last_seen_wall REAL NOT NULL, partition INTEGER, "
                 "ride_energy_j REAL NOT NULL DEFAULT 0)")
    others = [table for name, table in schema.metadata.tables.items() if name != "bikes"]
    run_raw(path, dialect, schema.ddl(dialect, others) + [old_bikes, "INSERT INTO schema_version VALUES (3)"]
            + rows)


def test_a_version_3_live_store_gets_each_ride_in_progress_its_latest_reading(where):
    path, dialect = where
    make_version_3_store(path, dialect, [
        "INSERT INTO bikes VALUES ('SN1', 's1', 'x', 1.0, 0, 200), ('SN2', NULL, 'x', 1.0, 0, 0), "
        "('SN3', 's3', 'x', 1.0, 1, 0)",
        "INSERT INTO readings VALUES ('SN1', 's1', 2, 'x', 91, 61, 99.5, 31), "
        "('SN1', 's1', 1, 'x', 90, 60, 100.5, 30), ('SN1', 's0', 9, 'x', 150, 90, 500, 50), "
        "('SN2', 's2', 5, 'x', 150, 90, 500, 50)"])
    with closing(store.connect(path)) as conn:
        assert store.stored_version(conn) == schema.VERSION
        rows = {row[0]: tuple(row[1:]) for row in conn.execute(
            "SELECT bike_serial, ride_energy_j, ride_last_s, ride_last_heart_rate, ride_last_rpm, "
            "ride_last_power, ride_last_resistance FROM bikes").fetchall()}
    # The ride in progress's latest second (not an earlier ride's, nor an idle bike's last ride's).
    assert rows == {"SN1": (200.0, 2, 91, 61, 99.5, 31), "SN2": (0.0, None, None, None, None, None),
                    "SN3": (0.0, None, None, None, None, None)}


def test_a_reader_started_before_the_consumer_brings_an_older_store_up_to_date(where):
    # After an upgrade the web may start first: its queries read columns only the new schema has.
    path, dialect = where
    make_version_3_store(path, dialect, [
        "INSERT INTO bikes VALUES ('SN1', 's1', 'x', 1.0, 0, 200)",
        "INSERT INTO readings VALUES ('SN1', 's1', 1, 'x', 90, 60, 100.5, 30)"])
    with closing(store.connect_reader(path)) as conn:
        assert store.stored_version(conn) == schema.VERSION
        row = conn.execute("SELECT ride_last_s, ride_last_heart_rate FROM bikes").fetchone()
    assert tuple(row) == (1, 90)
