"""The API's database reads: each web thread keeps one autocommit connection for the life of the
process, so a request pays neither a session, a pool checkout, a pre-ping nor a BEGIN/ROLLBACK.

A connection the server dropped (a restart, an idle timeout) shows on its next statement: that read
is run once more on a new connection instead of pinging before every request. Only single
statements that a retry cannot double go through here: reads, and the once-a-minute note of a
key's last use."""
import atexit
import threading
from typing import Callable, TypeVar

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from app.extensions import db

T = TypeVar("T")

_engines: dict[str, Engine] = {}  # database URL -> an engine without a pool (threads hold theirs)
_engines_lock = threading.Lock()
_held: set = set()  # every thread's connection, closed when the process exits


class _Connections(dict):
    """A thread's connections (database URL -> connection), closed when the thread ends: a server
    that starts a thread per request (Flask's own) must not leave one open per request."""

    def __del__(self) -> None:
        for connection in self.values():
            if not connection.closed:  # those left at exit were closed by _close_all
                _close(connection)


class _Local(threading.local):
    def __init__(self) -> None:
        self.connections = _Connections()


_local = _Local()


def _engine(url: str) -> Engine:
    """The connection factory of the app's warehouse (one per URL per process)."""
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            # db.engine's URL, not the setting's: Flask-SQLAlchemy resolves relative SQLite paths.
            engine = sa.create_engine(db.engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
            _engines[url] = engine
        return engine


def _connection(url: str) -> Connection:
    """This thread's connection to the database at `url`, opened on first use."""
    connections = _local.connections
    connection = connections.get(url)
    if connection is None or connection.closed or connection.invalidated:
        connection = connections[url] = _engine(url).connect()
        _held.add(connection)
    return connection


@atexit.register
def _close_all() -> None:
    for connection in list(_held):
        _close(connection)


def _discard(url: str) -> None:
    """Forget this thread's connection (after an error), closing what is left of it."""
    connection = _local.connections.pop(url, None)
    if connection is not None:
        _close(connection)


def _close(connection: Connection) -> None:
    _held.discard(connection)
    try:
        connection.close()
    except sa.exc.DBAPIError:  # it is gone already; nothing to release
        pass


def read(work: Callable[[Connection], T]) -> T:
    """Run `work` (statements whose rows it fetches before returning) on this thread's connection
    to the app's warehouse; once more on a new connection if the old one turns out to be dropped."""
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    try:
        return _run(work, _connection(url))
    except sa.exc.DBAPIError as error:
        _discard(url)
        if not error.connection_invalidated:
            raise
    return _run(work, _connection(url))


def _run(work: Callable[[Connection], T], connection: Connection) -> T:
    result = work(connection)
    # The statements are committed already (autocommit); this only closes SQLAlchemy's own
    # record of a transaction, so that a Session over the connection starts afresh next time.
    connection.commit()
    return result


def first(statement, parameters: dict | None = None) -> sa.Row | None:
    """The first row of one statement (None without one)."""
    return read(lambda connection: connection.execute(statement, parameters).first())


def rows(statement, parameters: dict | None = None) -> list[sa.Row]:
    """Every row of one statement."""
    return read(lambda connection: connection.execute(statement, parameters).all())


def scalar(statement, parameters: dict | None = None):
    """The first column of the first row of one statement."""
    return read(lambda connection: connection.execute(statement, parameters).scalar())


def run(statement, parameters: dict | None = None) -> None:
    """One statement that returns no rows (committed at once: the connection autocommits)."""
    read(lambda connection: connection.execute(statement, parameters))
