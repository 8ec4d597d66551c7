"""Partitions the consumer cannot read: a batch its Kafka client cannot decode (a codec it lacks, a
corrupt batch). Such a partition is paused and recorded, never a crash loop (docs/reliability.md)."""
import logging
from datetime import datetime, timezone

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError, NodeNotReadyError

from app.live import queries, store

log = logging.getLogger(__name__)
# Errors that say the broker cannot be reached, not that a partition cannot be read.
UNREACHABLE = (KafkaConnectionError, KafkaTimeoutError, NodeNotReadyError)


def locate(bootstrap_servers: str, consumer: KafkaConsumer, timeout_s: float = 5.0) -> list:
    """The assigned partitions whose next batch cannot be decoded, as (partition, offset, error),
    found by reading each one from the consumer's position with a separate client. (The client's
    error does not say which partition; and every such partition must be paused at once, as the
    client keeps a batch that failed in place and would spin on it.)"""
    found = []
    for tp in sorted(consumer.assignment() - consumer.paused()):
        offset = consumer.position(tp)
        error = _read_error(bootstrap_servers, tp, offset, timeout_s)
        if error is not None:
            found.append((tp, offset, error))
    return found


def _read_error(bootstrap_servers: str, tp: TopicPartition, offset: int, timeout_s: float):
    """The error reading the partition from `offset` raises (None when it reads, or is at its end)."""
    try:
        probe = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None,
                              enable_auto_commit=False)
    except UNREACHABLE:
        return None  # the broker is away: nothing is known of the partition
    try:
        probe.assign([tp])
        if offset >= probe.end_offsets([tp])[tp]:
            return None
        probe.seek(tp, offset)
        for _ in range(int(timeout_s / 0.5)):
            if probe.poll(timeout_ms=500, max_records=1):
                return None
    except UNREACHABLE:
        return None
    except KafkaError as exc:
        return exc
    finally:
        probe.close()
    return None


def describe(error: Exception) -> str:
    """The reason kept and shown to the operator."""
    text = str(error)  # a KafkaError's text already starts with its class name
    return (text if text.startswith(type(error).__name__) else f"{type(error).__name__}: {text}")[:500]


def record(conn: store.Connection, tp: TopicPartition, offset: int, reason: str) -> None:
    """Remember that a partition cannot be read from `offset` (replacing an older record)."""
    queries.record_failure(conn, tp.topic, tp.partition, offset, reason,
                           store.to_text(datetime.now(timezone.utc)))


def clear(conn: store.Connection, messages) -> None:
    """Forget the failures of partitions that have been read again (the operator fixed them)."""
    failing = queries.failing_partitions(conn)
    if not failing:
        return  # the usual case: no need to go through the batch's messages
    read = failing & {(m.topic, m.partition) for m in messages}
    if read:
        queries.clear_failures(conn, sorted(read))
        log.info("partitions %s are readable again", sorted(read))
