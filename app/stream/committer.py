"""The live store's commit of a batch, and the outbox relay after it, in a thread of their own:
consumer.py decodes and parses its next poll meanwhile. SQLite writes its pages (and checkpoints
the WAL), PostgreSQL and Redis answer, without holding Python's lock, so the two overlap
(docs/stream.md, "One batch in flight")."""
import logging
import threading
from collections.abc import Callable

from app.live import store

log = logging.getLogger(__name__)


class BackgroundCommit:
    """At most one commit in flight on the consumer's connection. Nothing else may use the
    connection until join() has returned: the consumer joins before every other use of it."""

    def __init__(self, conn: store.Connection, after: Callable[[], object] | None = None):
        self.conn, self.after = conn, after
        self.thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self) -> None:
        """Commit the transaction open on the connection, then run `after` (the outbox relay)."""
        self.join()
        self.thread = threading.Thread(target=self._run, name="live-store-commit", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.conn.commit()
        except BaseException as exc:  # noqa: BLE001 (raised again by result(), in the consumer's thread)
            self.error = exc
            try:
                self.conn.rollback()
            except store.Error:
                log.exception("rolling back after a failed commit failed")
            return
        if self.after is not None:
            try:
                self.after()
            except BaseException as exc:  # noqa: BLE001 (as above)
                self.error = exc

    def join(self) -> None:
        """Wait for the commit in flight, if any; its error waits for result()."""
        if self.thread is not None:
            self.thread.join()
            self.thread = None

    def result(self) -> None:
        """Wait for the commit in flight, if any, and raise its error (or the relay's) here."""
        self.join()
        error, self.error = self.error, None
        if error is not None:
            raise error
