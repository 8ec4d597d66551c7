"""The live store on PostgreSQL: a psycopg 3 connection that behaves like the sqlite3 one we use."""
import re
from functools import lru_cache
import psycopg
from psycopg.rows import tuple_row
from psycopg.pq import TransactionStatus

# Advisory lock keys (any constants, unique to the live store): writers, and schema creation.
WRITE_LOCK, SCHEMA_LOCK = 0x44454C01, 0x44454C02
_PARAM = re.compile(r"\?|:([A-Za-z_]\w*)")


@lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """sqlite3's `?` and `:name` parameters as psycopg's `%s` and `%(name)s` (the live store's SQL
    holds no other `?`, `:` or `%`)."""
    return _PARAM.sub(lambda m: "%s" if m.group(0) == "?" else f"%({m.group(1)})s", sql)


@lru_cache(maxsize=64)
def translate_binary(sql: str) -> str:
    """As translate(), with every parameter sent in binary (psycopg's `%b`)."""
    return translate(sql).replace("%s", "%b")


def arrays(kinds: tuple[str, ...]) -> str:
    """One array parameter per PostgreSQL type in `kinds`: `CAST(? AS text[]), ...`."""
    return ", ".join(f"CAST(? AS {kind}[])" for kind in kinds)


class Row(tuple):
    """A row read by index, by column name or as a dict, like sqlite3.Row."""

    def __new__(cls, values, index: dict):
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        """The column names, in order."""
        return list(self._index)


def row_factory(cursor):
    """psycopg row factory making Row objects."""
    index = {column.name: i for i, column in enumerate(cursor.description or ())}
    return lambda values: Row(values, index)


class PgConnection:
    """The subset of sqlite3.Connection the live store's users call, over psycopg 3."""

    def __init__(self, url: str):
        # Like sqlite3 (whose reads open no transaction), a statement outside a transaction runs on
        # its own: a consumer waiting on Kafka or a web page holds no transaction open.
        self.raw = psycopg.connect(url, autocommit=True, row_factory=row_factory)

    def execute(self, sql: str, params=None):
        """Run one statement; the cursor, as sqlite3 returns it."""
        return self.raw.execute(translate(sql), params)

    def executemany(self, sql: str, seq):
        """Run one statement for each parameter row (pipelined); the cursor, rowcount summed."""
        cursor = self.raw.cursor()
        cursor.executemany(translate(sql), list(seq))
        return cursor

    def execute_columns(self, sql: str, rows: list[tuple], kinds: tuple[str, ...]):
        """Run one statement for all `rows` (at least one), its parameters being their columns
        (see execute_arrays): `INSERT ... SELECT * FROM unnest({arrays})`. executemany costs the
        server an execution and the client a message per row; this, a few microseconds a row."""
        columns = [list(column) for column in zip(*rows)]
        for i, kind in enumerate(kinds):
            if kind == "float8":  # psycopg refuses a list mixing ints and floats
                columns[i] = [None if value is None else float(value) for value in columns[i]]
        return self.execute_arrays(sql, columns, kinds)

    def execute_arrays(self, sql: str, values: list[list], kinds: tuple[str, ...]):
        """Run `sql` with one array parameter per list in `values`, of the PostgreSQL types
        `kinds`, written `{arrays}` in `sql` and sent in binary (one parameter however long the
        list, and one plan); the cursor, whose rows are plain tuples."""
        cursor = self.raw.cursor(row_factory=tuple_row)
        return cursor.execute(translate_binary(sql.format(arrays=arrays(kinds))), values)

    def create_schema(self, ddl: str, upgrade) -> None:
        """Create the tables (`ddl`), then `upgrade(self)` their version, in one transaction
        serialised so that concurrent first starts do not collide."""
        with self:
            self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            self.raw.execute(ddl)
            upgrade(self)

    def begin_write(self, partitions=None) -> None:
        """Start a write transaction holding the lock of each (topic, partition) given, or, with
        none given, the lock every writer of partitions also takes (as BEGIN IMMEDIATE on SQLite)."""
        self.begin()
        if partitions is None:
            self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            return
        # Shared on the store-wide key, so a writer without partitions still excludes every batch.
        self.raw.execute("SELECT pg_advisory_xact_lock_shared(%s)", (WRITE_LOCK,))
        # In one order, so two batches sharing partitions cannot deadlock. The two-key form is a
        # key space of its own: a partition cannot take the store-wide or the schema key.
        for topic, partition in sorted(set(partitions)):
            self.raw.execute("SELECT pg_advisory_xact_lock(hashtext(%s), %s)", (topic, partition))

    def begin(self) -> None:
        """Open a transaction unless one is open."""
        if self.raw.pgconn.transaction_status == TransactionStatus.IDLE:
            self.raw.execute("BEGIN")

    def commit(self) -> None:
        """Commit the transaction (nothing to do outside one)."""
        self.raw.commit()

    def rollback(self) -> None:
        """Roll the transaction back."""
        self.raw.rollback()

    def close(self) -> None:
        """Close the connection."""
        self.raw.close()

    def __enter__(self):
        self.begin()  # the block's statements commit together, as sqlite3's implicit transaction
        return self

    def __exit__(self, exc_type, exc, tb):
        # Like sqlite3: commit or roll back, and keep the connection open.
        if exc_type is None:
            self.raw.commit()
        else:
            self.raw.rollback()
        return False
