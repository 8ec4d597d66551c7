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
from app.stream.committer import BackgroundCommit
from app.stream.fence import Fenced
from app.stream.landed import Forgetter
from app.stream.outbox import Relay
from app.stream.rides import BikeCache, Settings
from app.stream.simulate import Fleet

log = logging.getLogger("consumer")
IDLE_SWEEP_S = 5.0
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


def run_kafka(args, config, conn, settings, relay, stop, forgetter) -> None:
    """Poll, store each poll in one transaction (forgetting the rides landed meanwhile), then
    commit the offsets to Kafka. A batch's commit (and the outbox relay after it) runs in the
    background while the next poll is decoded and parsed; the connection is used for nothing else
    until it is done (docs/stream.md, "One batch in flight")."""
    servers = args.bootstrap_servers or config["KAFKA_BOOTSTRAP_SERVERS"]
    group_id = args.group_id or config["KAFKA_GROUP_ID"]
    consumer = kafka_io.build_consumer(servers, group_id, config["KAFKA_MAX_POLL_RECORDS"])
    start = "earliest" if args.from_beginning else config["KAFKA_START"]
    background = BackgroundCommit(conn, after=relay.run)
    assignments = kafka_io.Assignments(consumer, conn, servers, settings.backtrack_max, start, group_id,
                                       wait_for_store=background.join)
    consumer.subscribe(topics=[args.topic or config["KAFKA_TOPIC"]], listener=assignments)
    idle, changes, in_flight = Idle(args.exit_when_idle, joined=False), 0, []
    try:
        while not stop.now and not idle.exhausted():
            messages = assignments.only_new(kafka_io.to_messages(poll(consumer, conn, servers, background)))
            parsed = pipeline.parse_messages(messages)
            if in_flight and not finish_batch(consumer, conn, assignments, background, in_flight):
                assignments.rewind(messages)  # read again after the batch that did not land
                messages = parsed = []
            in_flight = []
            sweep_idle(conn, settings, idle, assignments.active_since, assignments.leases)
            forget = forgetter.due(conn)
            if not messages:
                pipeline.forget_rides(conn, forget)
                relay.run()
            elif store_batch(consumer, conn, assignments, messages, settings, forget, parsed, background):
                in_flight = messages
            # Joining the group takes a while: idleness counts from the latest assignment.
            idle.saw(len(messages) + assignments.changes - changes)
            idle.joined = idle.joined or assignments.changes > 0
            changes = assignments.changes
        if in_flight:
            finish_batch(consumer, conn, assignments, background, in_flight)
    finally:
        background.join()
        consumer.close(autocommit=False)


def store_batch(consumer, conn, assignments, messages, settings, forget=(), parsed=None,
                background=None) -> bool:
    """Store one poll's messages under this consumer's leases (forgetting the landed rides `forget`
    in the same transaction) and commit their offsets to Kafka; with `background`, the commit is
    started there and finish_batch() ends it. False when the batch was refused because a
    rebalance gave one of its partitions to another consumer (nothing written: the new owner reads
    them from the saved position), or rolled back because it crossed another writer (read again)."""
    try:
        pipeline.process_batch(conn, messages, settings, forget=forget, leases=assignments.leases,
                               cache=assignments.bikes, parsed=parsed,
                               commit=background.start if background else None)
    except Fenced as exc:
        log.warning("%s; it is read again by whoever holds them now", exc)
        assignments.rewind(messages)
        return False
    except store.Transient as exc:  # two writers crossed on a row (an unkeyed bike that moved)
        log.warning("batch rolled back, read again: %s", exc)
        assignments.rewind(messages)
        return False
    if background is None:
        landed(consumer, conn, messages)
    return True


def finish_batch(consumer, conn, assignments, background, messages) -> bool:
    """Wait for the background commit of the batch `messages`, then commit its offsets to Kafka;
    False when that commit crossed another writer (nothing of the batch written: read again)."""
    try:
        background.result()
    except store.Transient as exc:
        log.warning("batch rolled back at its commit, read again: %s", exc)
        assignments.bikes.clear()  # the batch changed them in memory
        assignments.rewind(messages)
        return False
    landed(consumer, conn, messages)
    return True


def landed(consumer, conn, messages) -> None:
    """After a batch's commit: its offsets to Kafka, and its partitions' read failures cleared."""
    kafka_io.commit(consumer, messages)
    failures.clear(conn, messages)


def poll(consumer, conn, servers: str, background=None) -> dict:
    """One poll. A batch the Kafka client cannot decode pauses its partition and is recorded for
    /healthz and `deloton stats`, so the other partitions go on; restarting would only meet it again
    (once `background`'s commit in flight is done)."""
    try:
        return consumer.poll(timeout_ms=500)
    except failures.UNREACHABLE as exc:
        # The broker is away (restarted, the network): the client reconnects by itself and keeps its
        # partitions and positions. Nothing to pause or record; and no probe could reach it either.
        log.warning("Kafka cannot be reached (%s): polling again", exc)
        time.sleep(1)
        return {}
    except KafkaError as exc:
        unreadable = failures.locate(servers, consumer)
        if not unreadable:
            raise exc  # not a batch of one partition: an error the operator must see at once
        if background is not None:
            background.join()
        for tp, offset, error in unreadable:
            consumer.pause(tp)
            reason = failures.describe(error)
            failures.record(conn, tp, offset, reason)
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
        sweep_idle(conn, settings, idle, active_since, None)
        relay.run()
        if args.speed > 0:
            time.sleep(max(0.0, started + fleet.seconds / args.speed - time.monotonic()))


def sweep_idle(conn, settings, idle, active_since, leases) -> None:
    """Now and then, end the rides of silent bikes (on the partitions this consumer holds, under
    their leases; a simulated fleet has one partition)."""
    if not idle.sweep_due():
        return
    partitions = leases.owned() if leases is not None else [("simulated", 0)]
    try:
        pipeline.end_idle_rides(conn, settings, active_since, partitions, leases)
    except Fenced as exc:
        log.warning("idle sweep refused: %s", exc)


def main(argv=None) -> None:
    """Read the config, open the live store, and run until stopped."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("kafka").setLevel(logging.ERROR)
    app = start_app()
    settings = Settings.from_config(app.config)
    conn = store.connect(app.config["LIVE_DB_PATH"])
    relay, stop = Relay(conn, app.config["REDIS_URL"]), Stop()
    with app.app_context():
        forgetter = Forgetter(db.engine)
    # The app's modules live as long as the process: the cycle collector need not walk them again
    # and again while batches come and go (without this the ingest rate was a quarter lower).
    gc.freeze()
    # A batch makes tens of thousands of objects that live until it is stored: collecting the
    # young ones every 700 (Python's default) walked them over and over: a third of parsing's time.
    gc.set_threshold(YOUNG_GC_THRESHOLD)
    try:
        if args.simulate:
            run_simulated(args, conn, settings, relay, stop, forgetter)
        else:
            run_kafka(args, app.config, conn, settings, relay, stop, forgetter)
        relay.run()
    finally:
        relay.close()
        conn.close()
        log.info("consumer stopped cleanly")


if __name__ == "__main__":
    main()
