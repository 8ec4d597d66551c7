"""The consumer's live-store side: everything it writes, behind a few calls, run in a process of its
own beside the Kafka client, so polling and storing take a core each (docs/stream.md, "Two
processes")."""
import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable

from kafka import TopicPartition

from app.live import ingest, store
from app.stream import failures, pipeline
from app.stream.fence import Fenced, Leases
from app.stream.pipeline import Message
from app.stream.rides import BikeCache, Settings

log = logging.getLogger(__name__)
IDLE_SWEEP_S = 5.0


class StoreWriter:
    """The live store's writes for one consumer, in the calling process: its leases, its cache of
    bikes, each batch in one transaction, and the outbox relay after it."""

    def __init__(self, conn: store.Connection, settings: Settings, relay=None, forgetter=None):
        self.conn, self.settings, self.relay, self.forgetter = conn, settings, relay, forgetter
        self.leases = Leases()
        self.bikes = BikeCache()  # the bikes of the partitions held, as the batches left them
        self.next_sweep = time.monotonic() + IDLE_SWEEP_S
        self.outcome: bool | BaseException = True

    def take(self, partitions, generation: int, member: str) -> dict:
        """Take the leases of newly assigned (topic, partition) pairs; their saved next offsets
        (None for a partition never read)."""
        self.bikes.clear()  # another consumer may have written them while they were not ours
        # Before reading the positions: a batch of the previous owner still writing ends first.
        self.leases.take(self.conn, partitions, generation, member)
        return self.positions(partitions)

    def release(self, partitions) -> None:
        """Forget revoked partitions (their position stays saved; their next owner takes them)."""
        self.leases.drop(partitions)
        self.bikes.clear()

    def positions(self, partitions) -> dict:
        """(topic, partition) -> the next offset saved in the live store, or None."""
        found = {}
        for topic, partition in partitions:
            row = ingest.position(self.conn, topic, partition)
            found[topic, partition] = row[0] if row else None
        return found

    def record_failure(self, topic: str, partition: int, offset: int, reason: str) -> None:
        """Remember a partition the Kafka client cannot read (app/stream/failures.py)."""
        failures.record(self.conn, TopicPartition(topic, partition), offset, reason)

    def submit(self, messages: list, active_since: dict) -> None:
        """Store one poll's messages (none: only the upkeep); result() tells how it went."""
        try:
            self.outcome = self.store(messages, active_since)
        except BaseException as exc:  # noqa: BLE001 (raised by result(), as the process writer does)
            self.outcome = exc

    def result(self) -> bool:
        """Whether the batch submitted last was stored; False when it was refused or rolled back
        (nothing written: its partitions are read again from their saved positions)."""
        outcome, self.outcome = self.outcome, True
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def store(self, messages: list, active_since: dict) -> bool:
        """Now and then end the rides of silent bikes; forget landed rides; store the batch in one
        transaction under this consumer's leases; then relay the outbox."""
        self.sweep(active_since)
        forget = self.forgetter.due(self.conn) if self.forgetter is not None else ()
        if not messages:
            pipeline.forget_rides(self.conn, forget)
        else:
            try:
                pipeline.process_batch(self.conn, messages, self.settings, forget=forget,
                                       leases=self.leases, cache=self.bikes)
            except Fenced as exc:
                log.warning("%s; it is read again by whoever holds them now", exc)
                return False
            except store.Transient as exc:  # two writers crossed on a row (an unkeyed bike that moved)
                log.warning("batch rolled back, read again: %s", exc)
                return False
            failures.clear(self.conn, messages)
        if self.relay is not None:
            self.relay.run()
        return True

    def sweep(self, active_since: dict) -> None:
        """Every IDLE_SWEEP_S, end the rides of bikes silent for the idle timeout on the
        partitions held (since when each was held: `active_since`)."""
        if time.monotonic() < self.next_sweep:
            return
        self.next_sweep = time.monotonic() + IDLE_SWEEP_S
        try:
            pipeline.end_idle_rides(self.conn, self.settings, active_since, self.leases.owned(),
                                    self.leases)
        except Fenced as exc:
            log.warning("idle sweep refused: %s", exc)

    def close(self) -> None:
        """Relay what is left, then close the connections."""
        try:
            if self.relay is not None:
                self.relay.run()
                self.relay.close()
        finally:
            self.conn.close()


class WriterGone(RuntimeError):
    """The writer process ended without being asked to (its error was logged there)."""


class WriterProcess:
    """A StoreWriter in a child process, called over a pipe, with at most one batch in flight:
    submit() returns at once, and the next call waits for that batch first. Its error, if any,
    is raised by result()."""

    def __init__(self, make_writer: Callable[[], StoreWriter]):
        # fork: the child starts with the app's modules loaded, before any connection is opened.
        context = multiprocessing.get_context("fork")
        self.pipe, child_end = context.Pipe()
        self.process = context.Process(target=serve, args=(child_end, make_writer, self.pipe),
                                       name="live-store-writer")
        self.in_flight = False
        self.outcome: bool | BaseException = True
        # Revoked partitions, noted from whichever thread the Kafka client calls back in and sent
        # with the next call (a revoke needs no answer: the leases in the live store fence).
        self.released: list = []
        self.lock = threading.Lock()
        # The pipe's turn: kafka-python 3 runs the rebalance callbacks (take) on its own thread, while
        # poll() blocks the main one; a lock keeps that safe without relying on it.
        self.turn = threading.Lock()
        self.process.start()
        child_end.close()
        ready = self._receive()  # the writer's connections are open, or why they could not be
        if isinstance(ready, BaseException):
            self.process.join()
            raise ready

    def take(self, partitions, generation: int, member: str) -> dict:
        """As StoreWriter.take, once the batch in flight is done."""
        return self._call("take", sorted(partitions), generation, member)

    def release(self, partitions) -> None:
        """As StoreWriter.release, sent with the next call."""
        with self.lock:
            self.released.extend(partitions)

    def positions(self, partitions) -> dict:
        """As StoreWriter.positions, once the batch in flight is done."""
        return self._call("positions", sorted(partitions))

    def record_failure(self, topic: str, partition: int, offset: int, reason: str) -> None:
        """As StoreWriter.record_failure, once the batch in flight is done."""
        self._call("record_failure", topic, partition, offset, reason)

    def submit(self, messages: list, active_since: dict) -> None:
        """Hand a batch to the writer and return at once."""
        with self.turn:
            self._settle()
            self._send("submit", pack(messages), dict(active_since))
            self.in_flight = True

    def result(self) -> bool:
        """Wait for the batch submitted last: as StoreWriter.result."""
        with self.turn:
            self._settle()
            outcome, self.outcome = self.outcome, True
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def close(self) -> None:
        """Let the writer finish (its batch in flight, the outbox) and end; wait for it."""
        try:
            with self.turn:
                self._settle()
                self._send("close")
        except WriterGone:
            pass  # it has ended already
        self.process.join()
        self.pipe.close()

    def _call(self, name: str, *args):
        with self.turn:
            self._settle()
            self._send(name, *args)
            outcome = self._receive()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _settle(self) -> None:
        """Receive the outcome of the batch in flight, if any."""
        if self.in_flight:
            self.in_flight = False
            self.outcome = self._receive()

    def _send(self, name: str, *args) -> None:
        with self.lock:
            released, self.released = self.released, []
        try:
            self.pipe.send((name, args, released))
        except OSError:  # a broken pipe: the writer has ended
            raise self._gone() from None

    def _receive(self):
        try:
            return self.pipe.recv()
        except (EOFError, OSError):
            raise self._gone() from None

    def _gone(self) -> WriterGone:
        self.process.join(timeout=5)
        return WriterGone(f"the live-store writer process ended (exit status {self.process.exitcode})")


def serve(pipe, make_writer: Callable[[], StoreWriter], consumer_end) -> None:
    """The writer process: answer the consumer's calls in order until it closes (or is gone)."""
    consumer_end.close()  # the fork's copy of it: with it open, a dead consumer's pipe never ends
    # Ctrl-C and a service manager's SIGTERM reach every process of the group: the consumer decides
    # when to stop, and closes this one after its last batch.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        writer = make_writer()
    except BaseException as exc:  # noqa: BLE001 (a live store it cannot open: the consumer says why)
        answer(pipe, exc)
        return
    answer(pipe, None)
    try:
        while True:
            try:
                name, args, released = pipe.recv()
            except (EOFError, OSError):  # closed, or reset with our last answer unread
                log.warning("the consumer is gone: the live-store writer stops")
                return
            if released:
                writer.release(released)
            if name == "close":
                return
            try:
                outcome = CALLS[name](writer, *args)
            except Exception as exc:  # noqa: BLE001 (raised again in the consumer)
                outcome = exc
            if not answer(pipe, outcome):
                return
    finally:
        writer.close()


CALLS = {"submit": lambda writer, columns, active_since: writer.store(unpack(columns), active_since),
         "take": StoreWriter.take, "positions": StoreWriter.positions,
         "record_failure": StoreWriter.record_failure}


def answer(pipe, outcome) -> bool:
    """Send a call's outcome back (an error the pipe cannot carry as its text); False when the
    consumer is gone."""
    if isinstance(outcome, BaseException):
        log.error("live-store writer error", exc_info=outcome)
    try:
        pipe.send(outcome)
    except BrokenPipeError:
        return False
    except Exception:  # noqa: BLE001 (an exception that does not pickle)
        pipe.send(RuntimeError(f"{type(outcome).__name__}: {outcome}"))
    return True


def pack(messages: list) -> tuple:
    """A poll's messages as five columns: far cheaper to send than one record each."""
    return ([m.topic for m in messages], [m.partition for m in messages],
            [m.offset for m in messages], [m.key for m in messages], [m.value for m in messages])


def unpack(columns: tuple) -> list[Message]:
    """The messages pack() sent."""
    return list(map(Message, *columns))
