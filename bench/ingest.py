"""Ingest benchmark: consumer.py against a bare kafka-python loop on the same topic (BENCHMARKS.md).

Produces a simulated fleet (default 400 bikes x 300 s) to a fresh topic on the real broker for each
partition count, then measures in the same run:
- the baseline: a bare kafka-python loop that polls and `json.loads` every message;
- consumer.py (one process, and two processes in one group) reading the same topic into a fresh
  live store, with its positions set to the start of each partition.
With --live-url postgresql://... the live store is that PostgreSQL database (emptied first).
Throughput is messages per second from the first stored batch to the last message, for both.
The benchmark machine runs other load and is noisy, and the first read of a fresh topic is slow: one untimed bare
pass warms the broker, then bare loop and consumer runs alternate --repeats times and the medians
are compared; each repeat's own ratio is printed too.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from app.live import store  # noqa: E402
from app.stream.produce import build_producer  # noqa: E402
from app.stream.simulate import Fleet  # noqa: E402


def produce(servers: str, topic: str, bikes: int, seconds: int, seed: int) -> tuple[int, int]:
    """Send the fleet; return (messages, readings expected)."""
    producer, fleet, sent, readings = build_producer(servers), Fleet(bikes, seed=seed), 0, 0
    while fleet.seconds < seconds:
        for key, value in fleet.tick():
            producer.send(topic, key=key, value=value)
            sent += 1
            readings += b"Telemetry" in value
    producer.flush()
    producer.close()
    return sent, readings


def bare_loop(servers: str, topic: str, partitions: int, expected: int) -> float:
    """Messages per second of poll + json.loads, from the end of the first poll to the last message."""
    consumer = KafkaConsumer(bootstrap_servers=servers, group_id=None, enable_auto_commit=False,
                             max_poll_records=5000, fetch_max_wait_ms=200,
                             max_partition_fetch_bytes=4 * 1024 * 1024)
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    seen, first, started = 0, 0, None
    while seen < expected:
        for batch in consumer.poll(timeout_ms=1000).values():
            for record in batch:
                json.loads(record.value)
            seen += len(batch)
        if started is None and seen:
            started, first = time.perf_counter(), seen
    elapsed = time.perf_counter() - started
    consumer.close()
    return (expected - first) / elapsed


def consumer_run(servers: str, topic: str, partitions: int, expected: int, processes: int,
                 redis_url: str, live_url: str | None) -> tuple[float, int]:
    """Messages per second of consumer.py into a fresh live store, and the readings it stored."""
    with tempfile.TemporaryDirectory() as folder:
        live = live_url or str(Path(folder) / "live.db")
        conn = store.connect(live)
        with conn:
            if live_url:
                conn.execute("TRUNCATE bikes, rides, readings, pending_halves, alerts, quarantine, "
                             "counters, positions, outbox")
            conn.executemany("INSERT INTO positions (topic, partition, next_offset) VALUES (?, ?, 0)",
                             [(topic, p) for p in range(partitions)])
        env = {**os.environ, "LIVE_DB_PATH": live, "REDIS_URL": redis_url,
               "DATABASE_URL": f"sqlite:///{folder}/warehouse.db", "KAFKA_BOOTSTRAP_SERVERS": servers}
        group = f"bench-{uuid.uuid4().hex[:8]}"
        procs = [subprocess.Popen([sys.executable, str(PROJECT / "consumer.py"), "--topic", topic,
                                   "--group-id", group, "--exit-when-idle", "3"], env=env,
                                  cwd=PROJECT, stderr=subprocess.DEVNULL) for _ in range(processes)]
        rate = watch(live, expected)
        for proc in procs:
            proc.wait(timeout=300)
        readings = store.get_counters(conn).get("readings", 0)
        conn.close()
    return rate, readings


def watch(live: str, expected: int) -> float:
    """Follow the live store's message counter; the rate from its first change to `expected`."""
    conn = store.connect(live, readonly=True)
    first = started = None
    while True:
        row = conn.execute("SELECT CAST(SUM(value) AS BIGINT) FROM counters WHERE name = 'messages'").fetchone()
        seen = row[0] if row else 0
        if seen and started is None:
            started, first = time.perf_counter(), seen
        if seen >= expected:
            conn.close()
            return (expected - first) / (time.perf_counter() - started)
        time.sleep(0.01)


def compare(args, topic: str, partitions: int, sent: int, readings: int) -> None:
    """Alternate bare loop and consumer runs on one topic; print the medians and each ratio."""
    bare_loop(args.servers, topic, partitions, sent)  # warm-up, not timed
    runs = [1] if partitions == 1 else [1, 2]
    bares, rates = [], {processes: [] for processes in runs}
    stored = {}
    for _ in range(args.repeats):
        bares.append(bare_loop(args.servers, topic, partitions, sent))
        for processes in runs:
            rate, stored[processes] = consumer_run(args.servers, topic, partitions, sent, processes,
                                                   args.redis_url, args.live_url)
            rates[processes].append(rate)
    bare = statistics.median(bares)
    for processes in runs:
        rate = statistics.median(rates[processes])
        each = " ".join(f"{r / b:.2f}" for r, b in zip(rates[processes], bares))
        print(f"partitions={partitions} processes={processes} messages={sent} bare={bare:,.0f}/s "
              f"consumer={rate:,.0f}/s ratio={rate / bare:.2f} (each repeat: {each}) "
              f"readings={stored[processes]}/{readings}", flush=True)


def main() -> None:
    """Run every configuration and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bikes", type=int, default=400)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--partitions", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://localhost:6379/1"))
    parser.add_argument("--live-url", help="a postgresql:// live store (emptied first) instead of SQLite")
    args = parser.parse_args()
    admin = KafkaAdminClient(bootstrap_servers=args.servers)
    for partitions in args.partitions:
        topic = f"deloton-bench-ingest-{uuid.uuid4().hex[:8]}"
        admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
        try:
            sent, readings = produce(args.servers, topic, args.bikes, args.seconds, args.seed)
            compare(args, topic, partitions, sent, readings)
        finally:
            admin.delete_topics([topic])
    admin.close()


if __name__ == "__main__":
    main()
