"""`python consumer.py`: the stream consumer, the `deloton` topic into the live store (docs/stream.md)."""
import argparse
import gc
import logging
import signal
import time

from kafka.errors import KafkaError

from app import start_app
from app.live import store
from app.extensions import db
from app.stream import failures, kafka_io, pipeline
from app.stream.landed import Forgetter
from app.stream.outbox import Relay
from app.stream.rides import BikeCache, Settings
from app.stream.simulate import Fleet
from app.stream.writer import IDLE_SWEEP_S, StoreWriter, WriterProcess

log = logging.getLogger("consumer")
# --exit-when-idle waits at most this long for a first partition (a group may be rebalancing).
JOIN_WAIT_S = 60.0
# New container objects between collections of the youngest generation (Python's default: 700).
YOUNG_GC_THRESHOLD = 50_000


def parse_args(argv=None) -> argparse.Namespace:
    """The flags of docs/specification.md#commands (plus --speed for the simulated fleet)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bootstrap-servers")
    parser.add_argument("--topic")
    parser.add_argument("--group-id")
    parser.add_argument("--exit-when-idle", type=float, metavar="S",
                        help="stop cleanly once no message has come for S seconds")
    parser.add_argument("--simulate", type=int, metavar="N",
                        help="feed an in-process fleet of N bikes instead of Kafka")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="with --simulate: simulated seconds per wall-clock second (0: flat out)")
    parser.add_argument("--seed", type=int, default=None, help="with --simulate: the fleet's seed")
    parser.add_argument("--from-beginning", action="store_true",
                        help="backfill: a partition with no saved position starts at its earliest "
                             "retained offset (as KAFKA_START=earliest)")
    return parser.parse_args(argv)


class Stop:
    """Set by SIGTERM/SIGINT; the loop finishes its batch, commits and closes."""

    def __init__(self):
        self.now = False
        signal.signal(signal.SIGTERM, self.set)
        signal.signal(signal.SIGINT, self.set)

    def set(self, *_):
        """Signal handler: ask the loop to stop after the current batch."""
        self.now = True


class Idle:
    """Tells when the idle sweep is due and when --exit-when-idle has been reached."""

    def __init__(self, exit_after_s: float | None, joined: bool = True):
        self.exit_after_s, self.last_message = exit_after_s, time.monotonic()
        self.joined, self.started = joined, time.monotonic()
        self.next_sweep = time.monotonic() + IDLE_SWEEP_S

    def saw(self, count: int) -> None:
        """Note that a poll brought `count` messages."""
        if count:
            self.last_message = time.monotonic()

    def sweep_due(self) -> bool:
        """Whether it is time to look for bikes past the idle timeout."""
        if time.monotonic() < self.next_sweep:
            return False
        self.next_sweep = time.monotonic() + IDLE_SWEEP_S
        return True

    def exhausted(self) -> bool:
        """Whether --exit-when-idle has run out."""
        if self.exit_after_s is None:
            return False
        if not self.joined:
            return time.monotonic() - self.started >= max(self.exit_after_s, JOIN_WAIT_S)
        return time.monotonic() - self.last_message >= self.exit_after_s


def run_kafka(args, config, writer, stop) -> None:
    """Poll, and hand each poll to the live store's writer (app/stream/writer.py), which stores it
    in one transaction in a process of its own while the next poll is read; once it is stored,
    commit its offsets to Kafka (docs/stream.md, "Two processes")."""
    servers = args.bootstrap_servers or config["KAFKA_BOOTSTRAP_SERVERS"]
    group_id = args.group_id or config["KAFKA_GROUP_ID"]
    consumer = kafka_io.build_consumer(servers, group_id, config["KAFKA_MAX_POLL_RECORDS"])
    start = "earliest" if args.from_beginning else config["KAFKA_START"]
    assignments = kafka_io.Assignments(consumer, writer, servers, config["BACKTRACK_MAX_MESSAGES"],
                                       start, group_id)
    consumer.subscribe(topics=[args.topic or config["KAFKA_TOPIC"]], listener=assignments)
    idle, changes, in_flight = Idle(args.exit_when_idle, joined=False), 0, None
    try:
        while not stop.now and not idle.exhausted():
            messages = assignments.only_new(kafka_io.to_messages(poll(consumer, writer, servers)))
            if in_flight is not None and not finish_batch(consumer, assignments, writer, in_flight):
                assignments.rewind(messages)  # read again after the batch that did not land
                messages = []
            writer.submit(messages, assignments.active_since)
            in_flight = messages
            # Joining the group takes a while: idleness counts from the latest assignment.
            idle.saw(len(messages) + assignments.changes - changes)
            idle.joined = idle.joined or assignments.changes > 0
            changes = assignments.changes
        if in_flight is not None:
            finish_batch(consumer, assignments, writer, in_flight)
    finally:
        consumer.close(autocommit=False)


def finish_batch(consumer, assignments, writer, messages) -> bool:
    """Wait for the writer to store the batch `messages`, then commit its offsets to Kafka; False
    when it was refused or rolled back (nothing of it written: its partitions are read again)."""
    if writer.result():
        kafka_io.commit(consumer, messages)
        return True
    assignments.rewind(messages)
    return False


def poll(consumer, writer, servers: str) -> dict:
    """One poll. A batch the Kafka client cannot decode pauses its partition and is recorded for
    /healthz and `deloton stats`, so the other partitions go on; restarting would only meet it again."""
    try:
        return consumer.poll(timeout_ms=500)
    except failures.UNREACHABLE as exc:
        # The broker is away (restarted, the network): the client reconnects by itself and keeps its
        # partitions and positions. Nothing to pause or record; and no probe could reach it either.
        log.warning("Kafka cannot be reached (%s): polling again", exc)
        time.sleep(1)
        return {}
    except KafkaError as exc:
        if exc.__cause__ is not None and not isinstance(exc.__cause__, KafkaError):
            # A rebalance callback failed (the writer gone, the live store away): its own error,
            # with nothing to probe.
            raise exc.__cause__ from None
        unreadable = failures.locate(servers, consumer)
        if not unreadable:
            raise exc  # not a batch of one partition: an error the operator must see at once
        for tp, offset, error in unreadable:
            consumer.pause(tp)
            reason = failures.describe(error)
            writer.record_failure(tp.topic, tp.partition, offset, reason)
            log.error("partition %s/%s cannot be read at offset %s (%s): paused; see "
                      "docs/reliability.md, 'A batch the consumer cannot decode'",
                      tp.topic, tp.partition, offset, reason)
        return {}


def run_simulated(args, conn, settings, relay, stop, forgetter) -> None:
    """Feed an in-process fleet through the same pipeline, one simulated second at a time."""
    fleet, started = Fleet(args.simulate, seed=args.seed), time.monotonic()
    idle, active_since, offset = Idle(args.exit_when_idle), {0: time.time()}, 0
    cache = BikeCache()
    while not stop.now:
        messages = []
        for key, value in fleet.tick():
            messages.append(pipeline.Message("simulated", 0, offset, key, value))
            offset += 1
        pipeline.process_batch(conn, messages, settings, track_positions=False,
                               forget=forgetter.due(conn), cache=cache)
        if idle.sweep_due():
            pipeline.end_idle_rides(conn, settings, active_since, [("simulated", 0)])
        relay.run()
        if args.speed > 0:
            time.sleep(max(0.0, started + fleet.seconds / args.speed - time.monotonic()))


def store_writer(app, settings: Settings) -> StoreWriter:
    """The live store's side of the consumer, with its connections (opened in the process that
    uses them)."""
    conn = store.connect(app.config["LIVE_DB_PATH"])
    with app.app_context():
        db.engine.dispose(close=False)  # in a forked writer: no connection of the parent's pool
        forgetter = Forgetter(db.engine)
    return StoreWriter(conn, settings, Relay(conn, app.config["REDIS_URL"]), forgetter)


def main(argv=None) -> None:
    """Read the config, open the live store, and run until stopped."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("kafka").setLevel(logging.ERROR)
    app = start_app()
    settings, stop = Settings.from_config(app.config), Stop()
    # The app's modules live as long as the process: the cycle collector need not walk them again
    # and again while batches come and go (without this the ingest rate was a quarter lower).
    gc.freeze()
    # A batch makes tens of thousands of objects that live until it is stored: collecting the
    # young ones every 700 (Python's default) walked them over and over: a third of parsing's time.
    gc.set_threshold(YOUNG_GC_THRESHOLD)
    if args.simulate:
        writer = store_writer(app, settings)
        try:
            run_simulated(args, writer.conn, settings, writer.relay, stop, writer.forgetter)
        finally:
            writer.close()
    else:
        writer = WriterProcess(lambda: store_writer(app, settings))
        try:
            run_kafka(args, app.config, writer, stop)
        finally:
            writer.close()
    log.info("consumer stopped cleanly")


if __name__ == "__main__":
    main()
