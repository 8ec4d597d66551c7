"""Kafka plumbing of the consumer: building it, seeking on assignment, backtracking, committing."""
import logging
import time

from kafka import ConsumerRebalanceListener, KafkaConsumer, OffsetAndMetadata, TopicPartition
from kafka.errors import CommitFailedError, KafkaError

from app.stream.parse import Boundary, Quarantined, System, decode_value, parse_line

log = logging.getLogger(__name__)


def build_consumer(bootstrap_servers: str, group_id: str, max_poll_records: int,
                   **options) -> KafkaConsumer:
    """A consumer whose offsets we commit ourselves, after the live store's commit (`options`:
    other KafkaConsumer settings, e.g. a test's short max_poll_interval_ms)."""
    return KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=group_id,
                         enable_auto_commit=False, auto_offset_reset="latest",
                         max_poll_records=max_poll_records, fetch_max_wait_ms=200,
                         session_timeout_ms=6000, heartbeat_interval_ms=2000,
                         max_partition_fetch_bytes=4 * 1024 * 1024,
                         # A consumer that joined before its topic's partitions had leaders is
                         # assigned none; it asks again within 30 s instead of the client's 5 min.
                         metadata_max_age_ms=30_000, **options)


def to_messages(records: dict) -> list:
    """The records of one poll, in partition order (ConsumerRecords have the fields of a Message)."""
    return [record for batch in records.values() for record in batch]


def commit(consumer: KafkaConsumer, messages) -> None:
    """Commit to Kafka the offsets after the messages just stored; the live store's positions stay
    the source of truth. Only partitions that had messages: a committed offset must be one the
    live store saved, since a consumer that lost its live store resumes from it."""
    last = {}
    for message in messages:  # a plain tuple per message: a TopicPartition each cost more than the rest
        last[message.topic, message.partition] = message.offset
    # A partition lost while its batch was committed in the background is the new owner's to commit.
    assigned = consumer.assignment()
    offsets = {TopicPartition(*tp): OffsetAndMetadata(offset + 1, "", -1)
               for tp, offset in last.items() if TopicPartition(*tp) in assigned}
    if not offsets:
        return
    try:
        consumer.commit(offsets)
    except (CommitFailedError, KafkaError) as exc:
        # A rebalance in progress: the next owner seeks to the position saved in the live store.
        log.warning("offset commit to Kafka failed (the live store keeps the position): %s", exc)


def backtrack_offset(bootstrap_servers: str, tp: TopicPartition, max_messages: int,
                     timeout_s: float = 30.0, end: int | None = None) -> tuple[int, dict]:
    """Where to start reading a partition, looking back over the `max_messages` messages before
    `end`, and per message key the offset it starts from; `end` when no key has one.

    Without `end` (a partition never read): each key's latest [SYSTEM] line, up to the end of the
    partition, so every ride in progress is picked up with its rider. With `end` (Kafka's committed
    offset, after a lost live store): only the rides still in progress there, as a ride whose
    boundary line came before `end` was read whole already."""
    scanner = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None,
                            enable_auto_commit=False)
    try:
        scanner.assign([tp])
        resuming = end is not None
        end = end if resuming else scanner.end_offsets([tp])[tp]
        start = max(scanner.beginning_offsets([tp])[tp], end - max_messages)
        scanner.seek(tp, start)
        in_progress = _latest_rides(scanner, tp, end, timeout_s, skip_ended=resuming)
    finally:
        scanner.close()
    return (min(in_progress.values()) if in_progress else end), in_progress


def earliest_offset(bootstrap_servers: str, tp: TopicPartition) -> int:
    """The earliest offset the partition still retains (a backfill starts there)."""
    scanner = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None,
                            enable_auto_commit=False)
    try:
        return scanner.beginning_offsets([tp])[tp]
    finally:
        scanner.close()


def committed_offset(bootstrap_servers: str, group_id: str, tp: TopicPartition) -> int | None:
    """The group's offset committed in Kafka for a partition (None when it has none). A client of
    its own: the consumer's cannot block on Kafka inside its rebalance callback."""
    reader = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=group_id,
                           enable_auto_commit=False)
    try:
        return reader.committed(tp)
    finally:
        reader.close(autocommit=False)


def _latest_rides(scanner: KafkaConsumer, tp: TopicPartition, end: int, timeout_s: float,
                  skip_ended: bool) -> dict:
    """Per message key, the offset of its latest [SYSTEM] line before `end`; with `skip_ended`,
    not when a boundary line of the same key follows it (that ride had ended)."""
    latest, deadline = {}, time.monotonic() + timeout_s
    while scanner.position(tp) < end and time.monotonic() < deadline:
        for record in scanner.poll(timeout_ms=500).get(tp, []):
            if record.offset >= end or not record.value:
                continue
            if b"[SYSTEM]" in record.value and _is(record.value, System):
                latest[record.key] = record.offset
            elif skip_ended and (b"---" in record.value or b"Getting user" in record.value) \
                    and _is(record.value, Boundary):
                latest.pop(record.key, None)
    return latest


def _is(value: bytes, kind: type) -> bool:
    try:
        return isinstance(parse_line(decode_value(value)), kind)
    except Quarantined:
        return False


class Resume:
    """After a lost live store, the messages before Kafka's committed offset were applied once
    already: only those of the rides then in progress are read again (from their [SYSTEM] line)."""

    def __init__(self, committed: int, in_progress: dict):
        self.committed, self.in_progress = committed, in_progress

    def wanted(self, record) -> bool:
        """Whether a record below the committed offset belongs to a ride in progress."""
        start = self.in_progress.get(record.key)
        return start is not None and record.offset >= start


class Assignments(ConsumerRebalanceListener):
    """Takes the lease of each newly assigned partition (app/stream/fence.py), seeks it to where
    it starts and remembers since when this consumer has owned it, for the idle timeout. A
    partition with a position saved in the live store resumes there. Without one: with `start`
    "earliest" (a backfill) it starts at its earliest retained offset; else it resumes from the
    group's offset committed in Kafka (a lost live store), or, with none, backtracks from the end
    to the rides in progress."""

    def __init__(self, consumer: KafkaConsumer, writer, bootstrap_servers: str,
                 backtrack_max: int, start: str = "latest", group_id: str | None = None):
        # writer: the live store's side (app/stream/writer.py), which holds the leases.
        self.consumer, self.writer, self.group_id = consumer, writer, group_id
        self.bootstrap_servers, self.backtrack_max, self.start = bootstrap_servers, backtrack_max, start
        self.active_since: dict[int, float] = {}
        self.resumes: dict[TopicPartition, Resume] = {}
        self.changes = 0  # how many assignments so far (--exit-when-idle counts from the latest)

    def on_partitions_revoked(self, revoked):
        """Forget the revoked partitions (their position stays saved in the live store)."""
        self.writer.release([(tp.topic, tp.partition) for tp in revoked])
        for tp in revoked:
            self.active_since.pop(tp.partition, None)
            self.resumes.pop(tp, None)

    def on_partitions_lost(self, lost):
        """Partitions taken away without a revoke (this consumer fell out of the group)."""
        self.on_partitions_revoked(lost)

    def on_partitions_assigned(self, assigned):
        """Take each new partition's lease, then seek it to where it starts."""
        log.info("assigned partitions %s", sorted(tp.partition for tp in assigned))
        group = self.consumer.group_metadata()
        saved = self.writer.take([(tp.topic, tp.partition) for tp in assigned],
                                 group.generation_id, group.member_id)
        for tp in assigned:
            offset = saved[tp.topic, tp.partition]
            if offset is None:
                offset = self.first_offset(tp)
            self.consumer.seek(tp, offset)
            self.active_since[tp.partition] = time.time()
        if assigned:
            self.changes += 1

    def first_offset(self, tp: TopicPartition) -> int:
        """Where a partition without a saved position starts (see the class)."""
        if self.start == "earliest":
            offset = earliest_offset(self.bootstrap_servers, tp)
            log.info("partition %s has no saved position: backfilling from its earliest offset %s",
                     tp, offset)
            return offset
        committed = None
        if self.group_id:
            committed = committed_offset(self.bootstrap_servers, self.group_id, tp)
        if committed is not None:
            offset, in_progress = backtrack_offset(self.bootstrap_servers, tp, self.backtrack_max,
                                                   end=committed)
            if offset < committed:
                self.resumes[tp] = Resume(committed, in_progress)
            log.info("partition %s has no saved position: resuming from the group's committed "
                     "offset %s (re-reading the rides in progress from %s)", tp, committed, offset)
            return offset
        offset = backtrack_offset(self.bootstrap_servers, tp, self.backtrack_max)[0]
        log.info("partition %s has no saved position: starting at offset %s", tp, offset)
        return offset

    def rewind(self, messages: list) -> None:
        """After a refused batch: the partitions still assigned re-read from their saved position
        (the others' new owner does; a rejoin seeks them all anyway)."""
        partitions = {TopicPartition(m.topic, m.partition) for m in messages} & self.consumer.assignment()
        saved = self.writer.positions([(tp.topic, tp.partition) for tp in partitions])
        for tp in partitions:
            offset = saved[tp.topic, tp.partition]
            if offset is not None:
                self.consumer.seek(tp, offset)

    def only_new(self, messages: list) -> list:
        """Leave out what a resume after a lost live store must not read twice."""
        if not self.resumes:
            return messages
        kept = []
        for record in messages:
            tp = TopicPartition(record.topic, record.partition)
            resume = self.resumes.get(tp)
            if resume is None or record.offset >= resume.committed:
                if resume is not None:
                    del self.resumes[tp]  # past the committed offset: nothing more to leave out
                kept.append(record)
            elif resume.wanted(record):
                kept.append(record)
        return kept
