"""Kafka plumbing of the consumer: building it, seeking on assignment, backtracking, committing."""
import logging
import time

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.errors import CommitFailedError, KafkaError

from app.live import store
from app.stream.parse import Quarantined, System, decode_value, parse_line

log = logging.getLogger(__name__)


def build_consumer(bootstrap_servers: str, group_id: str, max_poll_records: int) -> KafkaConsumer:
    """A consumer whose offsets we commit ourselves, after the live store's commit."""
    return KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=group_id,
                         enable_auto_commit=False, auto_offset_reset="latest",
                         max_poll_records=max_poll_records, fetch_max_wait_ms=200,
                         session_timeout_ms=6000, heartbeat_interval_ms=2000,
                         max_partition_fetch_bytes=4 * 1024 * 1024)


def to_messages(records: dict) -> list:
    """The records of one poll, in partition order (ConsumerRecords have the fields of a Message)."""
    return [record for batch in records.values() for record in batch]


def commit(consumer: KafkaConsumer) -> None:
    """Commit the polled offsets to Kafka; the live store's positions stay the source of truth."""
    try:
        consumer.commit()
    except (CommitFailedError, KafkaError) as exc:
        # A rebalance in progress: the next owner seeks to the position saved in the live store.
        log.warning("offset commit to Kafka failed (the live store keeps the position): %s", exc)


def saved_position(conn: store.Connection, tp: TopicPartition) -> int | None:
    """The next offset the live store has for a partition, or None for a partition never read."""
    row = conn.execute("SELECT next_offset FROM positions WHERE topic = ? AND partition = ?",
                       (tp.topic, tp.partition)).fetchone()
    return row[0] if row else None


def backtrack_offset(bootstrap_servers: str, tp: TopicPartition, max_messages: int,
                     timeout_s: float = 30.0) -> int:
    """Where a partition never read starts: the earliest of each bike's latest [SYSTEM] line among
    the last `max_messages` messages, so every ride in progress is picked up with its rider; the end
    of the partition when there is none."""
    scanner = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None,
                            enable_auto_commit=False)
    try:
        scanner.assign([tp])
        end = scanner.end_offsets([tp])[tp]
        start = max(scanner.beginning_offsets([tp])[tp], end - max_messages)
        scanner.seek(tp, start)
        latest = _latest_system_lines(scanner, tp, end, timeout_s)
    finally:
        scanner.close()
    return min(latest.values()) if latest else end


def _latest_system_lines(scanner: KafkaConsumer, tp: TopicPartition, end: int,
                         timeout_s: float) -> dict:
    """Per message key, the offset of its latest [SYSTEM] line before `end`."""
    latest, deadline = {}, time.monotonic() + timeout_s
    while scanner.position(tp) < end and time.monotonic() < deadline:
        for record in scanner.poll(timeout_ms=500).get(tp, []):
            if record.offset < end and record.value and b"[SYSTEM]" in record.value \
                    and _is_system(record.value):
                latest[record.key] = record.offset
    return latest


def _is_system(value: bytes) -> bool:
    try:
        return isinstance(parse_line(decode_value(value)), System)
    except Quarantined:
        return False


class Assignments(ConsumerRebalanceListener):
    """Seeks each newly assigned partition to its saved position (or backtracks) and remembers
    since when this consumer has owned it, for the idle timeout."""

    def __init__(self, consumer: KafkaConsumer, conn: store.Connection, bootstrap_servers: str,
                 backtrack_max: int):
        self.consumer, self.conn = consumer, conn
        self.bootstrap_servers, self.backtrack_max = bootstrap_servers, backtrack_max
        self.active_since: dict[int, float] = {}
        self.changes = 0  # how many assignments so far (--exit-when-idle counts from the latest)

    def on_partitions_revoked(self, revoked):
        """Forget the revoked partitions (their position stays saved in the live store)."""
        for tp in revoked:
            self.active_since.pop(tp.partition, None)

    def on_partitions_assigned(self, assigned):
        """Seek each new partition to its saved position, or backtrack."""
        log.info("assigned partitions %s", sorted(tp.partition for tp in assigned))
        for tp in assigned:
            offset = saved_position(self.conn, tp)
            if offset is None:
                offset = backtrack_offset(self.bootstrap_servers, tp, self.backtrack_max)
                log.info("partition %s has no saved position: starting at offset %s", tp, offset)
            self.consumer.seek(tp, offset)
            self.active_since[tp.partition] = time.time()
        if assigned:
            self.changes += 1
