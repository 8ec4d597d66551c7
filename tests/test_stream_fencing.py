"""Consumers of one group write the PostgreSQL live store side by side, each only the partitions
Kafka gave it: a consumer that lost its partitions in a rebalance in the middle of a batch cannot
write them, and every message is still stored exactly once."""
import threading
import time
import uuid
from contextlib import closing

import pytest
from kafka import KafkaConsumer, TopicPartition

import consumer as consumer_main
from app.live import store
from app.stream import kafka_io
from app.stream.produce import build_producer, produce_fleet
from app.stream.rides import Settings
from app.stream.writer import StoreWriter
from tests.conftest import KAFKA_SERVERS
from tests.waiting import wait_for

pytestmark = pytest.mark.slow
PARTITIONS = 4  # the kafka_topic fixture's


def produce(topic: str) -> tuple[int, int]:
    """A keyed fleet of 8 bikes for 2 minutes; (messages sent, Telemetry lines among them)."""
    with closing(build_producer(KAFKA_SERVERS)) as producer:
        return produce_fleet(producer, topic, 8, speed=0, seed=5, seconds=120, ride_s=40)


class Member:
    """One consumer of the group, run by the test one poll at a time with consumer.py's own steps."""

    def __init__(self, topic: str, group: str, live: str, **options):
        self.writer = StoreWriter(store.connect(live), Settings())
        self.kafka = kafka_io.build_consumer(KAFKA_SERVERS, group, 300, **options)
        self.assignments = kafka_io.Assignments(self.kafka, self.writer, KAFKA_SERVERS, 5000, "latest", group)
        self.kafka.subscribe(topics=[topic], listener=self.assignments)

    def poll(self) -> list:
        """One poll's messages (joining the group or rebalancing as the client needs)."""
        return self.assignments.only_new(kafka_io.to_messages(self.kafka.poll(timeout_ms=500)))

    def store(self, messages: list) -> bool:
        """consumer.py's write of one batch; False when it was refused."""
        self.writer.submit(messages, self.assignments.active_since)
        return consumer_main.finish_batch(self.kafka, self.assignments, self.writer, messages)

    def run(self, done, timeout_s: float = 90) -> None:
        """Poll and store until done() (or the timeout: the assertions then say what is missing)."""
        deadline = time.monotonic() + timeout_s
        while not done() and time.monotonic() < deadline:
            messages = self.poll()
            if messages:
                self.store(messages)

    def member_id(self) -> str:
        return self.kafka.group_metadata().member_id

    def close(self) -> None:
        self.kafka.close(autocommit=False)
        self.writer.close()


def stored(live: str) -> dict:
    """The counters, the readings, the positions and the leases of the live store."""
    with closing(store.connect(live, readonly=True)) as conn:
        return {"counters": store.get_counters(conn),
                "readings": conn.execute("SELECT COUNT(*) FROM readings").fetchone()[0],
                "positions": dict(conn.execute("SELECT partition, next_offset FROM positions").fetchall()),
                "leases": dict(conn.execute("SELECT partition, member FROM partition_leases").fetchall())}


def end_offsets(topic: str) -> dict[int, int]:
    reader = KafkaConsumer(bootstrap_servers=KAFKA_SERVERS)
    try:
        ends = reader.end_offsets([TopicPartition(topic, p) for p in range(PARTITIONS)])
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        reader.close()


def test_a_consumer_that_lost_its_partitions_mid_batch_writes_nothing_and_nothing_is_lost(
        pg_live, kafka_topic):
    sent, telemetry = produce(kafka_topic)
    with closing(store.connect(pg_live)) as conn, conn:  # read every partition from its start
        conn.executemany("INSERT INTO positions (topic, partition, next_offset) VALUES (?, ?, 0)",
                         [(kafka_topic, p) for p in range(PARTITIONS)])
    group = f"fencing-{uuid.uuid4().hex[:8]}"
    # The first consumer's batch stalls longer than its max_poll_interval: the group goes on without it.
    first = Member(kafka_topic, group, pg_live, max_poll_interval_ms=4000)
    second = Member(kafka_topic, group, pg_live)
    stop = threading.Event()
    everything = lambda: stop.is_set() or stored(pg_live)["counters"].get("messages", 0) >= sent  # noqa: E731
    running = threading.Thread(target=second.run, args=(everything,))
    try:
        held = wait_for(first.poll)  # the first holds every partition and has read a batch
        assert set(stored(pg_live)["leases"].values()) == {first.member_id()}
        running.start()
        wait_for(lambda: set(stored(pg_live)["leases"].values()) == {second.member_id()})
        assert first.store(held) is False  # the batch of partitions it lost is refused
        first.run(everything)  # it rejoins the group and reads on with the second
    finally:
        stop.set()
        if running.is_alive():
            running.join()
        first.close()
        second.close()

    after = stored(pg_live)
    assert after["counters"]["messages"] == sent and "duplicates" not in after["counters"]
    assert after["readings"] == after["counters"]["readings"] == telemetry
    assert after["positions"] == end_offsets(kafka_topic)
