"""Ingest benchmark: consumer.py against a bare kafka-python loop on the same topic (BENCHMARKS.md).

Produces a simulated fleet (default 400 bikes x 300 s) to a fresh topic on the real broker for each
partition count, then measures in the same run:
- the baseline: a bare kafka-python loop that polls and `json.loads` every message;
- consumer.py (one, and two in one group) reading the same topic into a fresh live store, with its
  positions set to the start of each partition. Each consumer.py is two processes, its Kafka side
  and its live-store writer (docs/stream.md, "Two processes"); "processes" below counts consumers.
With --live-url postgresql://... the live store is that PostgreSQL database (emptied first); with
--pin each consumer (with its writer) is pinned to a core of its own (os.sched_setaffinity), and
each run prints the CPU seconds of every consumer (its writer's included) and, on PostgreSQL, how often a consumer was seen
waiting on a lock (pg_stat_activity, sampled every 50 ms).
Throughput is messages per second from the first stored batch to the last message for the bare
loop and one process; with several processes, from the moment they all hold partitions (the group
has settled: one process reads alone until the others have joined).
The benchmark machine runs other load and is noisy, and the first read of a fresh topic is slow: one untimed bare
pass warms the broker, then bare loop and consumer runs alternate --repeats times and the medians
are compared; each repeat's own ratio is printed too. With --budget, kafka-python's poll alone is
timed in each repeat as well, to print how many µs a message of its own work the 0.85 floor leaves the consumer.
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

import psutil
from kafka import TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from app.config import Config  # noqa: E402
from app.live import store  # noqa: E402
from app.stream.kafka_io import build_consumer  # noqa: E402
from app.stream.produce import build_producer, produce_fleet  # noqa: E402


def produce(servers: str, topic: str, bikes: int, seconds: int, seed: int) -> tuple[int, int]:
    """Send the fleet; return (messages, readings expected)."""
    producer = build_producer(servers)
    try:
        return produce_fleet(producer, topic, bikes, speed=0, seed=seed, seconds=seconds)
    finally:
        producer.close()


def bare_loop(servers: str, topic: str, partitions: int, expected: int, decode: bool = True) -> float:
    """Messages per second of poll + json.loads (poll alone without `decode`), from the end of the
    first poll to the last message. The client is built as consumer.py builds its own (the same
    fetch settings and poll size)."""
    consumer = build_consumer(servers, None, Config.KAFKA_MAX_POLL_RECORDS)
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    seen, first, started = 0, 0, None
    while seen < expected:
        for batch in consumer.poll(timeout_ms=500).values():
            if decode:
                for record in batch:
                    json.loads(record.value)
            seen += len(batch)
        if started is None and seen:
            started, first = time.perf_counter(), seen
    elapsed = time.perf_counter() - started
    consumer.close()
    return (expected - first) / elapsed


def consumer_run(servers: str, topic: str, partitions: int, expected: int, processes: int,
                 redis_url: str, live_url: str | None, pin: bool = False) -> tuple[float, int, str]:
    """Messages per second of consumer.py into a fresh live store, the readings it stored, and
    what each process cost."""
    with tempfile.TemporaryDirectory() as folder:
        live = live_url or str(Path(folder) / "live.db")
        conn = store.connect(live)
        with conn:
            if live_url:
                conn.execute("TRUNCATE bikes, rides, readings, pending_halves, alerts, quarantine, "
                             "counters, positions, outbox, partition_leases")
            conn.executemany("INSERT INTO positions (topic, partition, next_offset) VALUES (?, ?, 0)",
                             [(topic, p) for p in range(partitions)])
        env = {**os.environ, "LIVE_DB_PATH": live, "REDIS_URL": redis_url,
               "DATABASE_URL": f"sqlite:///{folder}/warehouse.db", "KAFKA_BOOTSTRAP_SERVERS": servers}
        group = f"bench-{uuid.uuid4().hex[:8]}"
        procs = [subprocess.Popen([sys.executable, str(PROJECT / "consumer.py"), "--topic", topic,
                                   "--group-id", group, "--exit-when-idle", "3"], env=env,
                                  cwd=PROJECT, stderr=subprocess.DEVNULL,
                                  preexec_fn=pinned(index) if pin else None)
                 for index in range(processes)]
        rate, lock_share, backend_cpu = watch(live, topic, expected, processes)
        cpu = [child_cpu_s(proc) for proc in procs]
        readings = store.get_counters(conn).get("readings", 0)
        conn.close()
    cost = f"cpu_s={'+'.join(f'{c:.1f}' for c in cpu)}"
    if live_url:
        cost += f" postgres_cpu_s={backend_cpu:.1f} lock_wait_share={lock_share:.2f}"
    return rate, readings, cost


def pinned(index: int):
    """A preexec_fn pinning a child process to core index mod the cores this bench may use."""
    cores = sorted(os.sched_getaffinity(0))
    return lambda: os.sched_setaffinity(0, {cores[index % len(cores)]})


def child_cpu_s(proc: subprocess.Popen) -> float:
    """Wait for a child; its user + system CPU seconds."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def watch(live: str, topic: str, expected: int, processes: int) -> tuple[float, float, float]:
    """Follow the live store's message counter; the rate from its first change once `processes`
    consumers hold the topic's leases, to `expected`; and on PostgreSQL (on this machine), the
    share of samples in which a consumer was waiting on a lock and the CPU seconds of their
    PostgreSQL backends."""
    conn = store.connect(live, readonly=True)
    pg = store.is_url(live)
    first = started = None
    samples = waiting = 0
    alone = None  # the first change, should the group settle only after the last message
    backend_cpu: dict[int, float] = {}  # the consumers' PostgreSQL backends: CPU seconds last seen
    next_sample = time.perf_counter()
    while True:
        row = conn.execute("SELECT CAST(SUM(value) AS BIGINT) FROM counters WHERE name = 'messages'").fetchone()
        seen = row[0] if row and row[0] else 0
        if seen and alone is None:
            alone = time.perf_counter(), seen
        if seen and started is None and settled(conn, topic, processes):
            started, first = time.perf_counter(), seen
        if seen >= expected:
            if started is None or seen == first:
                started, first = alone
            conn.close()
            return ((expected - first) / (time.perf_counter() - started), waiting / max(samples, 1),
                    sum(backend_cpu.values()))
        if pg and time.perf_counter() >= next_sample:
            backends = conn.execute("SELECT pid, wait_event_type FROM pg_stat_activity WHERE "
                                    "datname = current_database() AND pid <> pg_backend_pid()").fetchall()
            backend_cpu.update(cpu_seconds(pid) for pid, _ in backends)
            if started is not None:
                samples += 1
                waiting += any(wait == "Lock" for _, wait in backends)
            next_sample = time.perf_counter() + 0.05
        time.sleep(0.01)


def cpu_seconds(pid: int) -> tuple[int, float]:
    """(pid, user + system CPU seconds so far) of a local process; 0 when it is gone."""
    try:
        times = psutil.Process(pid).cpu_times()
        return pid, times.user + times.system
    except psutil.Error:
        return pid, 0.0


def settled(conn, topic: str, processes: int) -> bool:
    """Whether `processes` consumers hold the topic's partitions (always, for a live store of code
    older than leases: the rate then counts from the first change)."""
    if processes == 1:
        return True
    try:
        row = conn.execute("SELECT COUNT(DISTINCT member) FROM partition_leases WHERE topic = ?",
                           (topic,)).fetchone()
    except store.Error:
        return True
    return row[0] >= processes


def compare(args, topic: str, partitions: int, sent: int, readings: int) -> None:
    """Alternate bare loop and consumer runs on one topic; print the medians and each ratio."""
    bare_loop(args.servers, topic, partitions, sent)  # warm-up, not timed
    runs = [1] if partitions == 1 else [1, 2]
    bares, polls, rates = [], [], {processes: [] for processes in runs}
    stored, costs = {}, {processes: [] for processes in runs}
    for _ in range(args.repeats):
        bares.append(bare_loop(args.servers, topic, partitions, sent))
        if args.budget:
            polls.append(bare_loop(args.servers, topic, partitions, sent, decode=False))
        for processes in runs:
            rate, stored[processes], cost = consumer_run(args.servers, topic, partitions, sent, processes,
                                                         args.redis_url, args.live_url, args.pin)
            rates[processes].append(rate)
            costs[processes].append(cost)
    bare = statistics.median(bares)
    if polls:
        print_budget(partitions, statistics.median(polls), bare)
    for processes in runs:
        rate = statistics.median(rates[processes])
        each = " ".join(f"{r / b:.2f}" for r, b in zip(rates[processes], bares))
        print(f"partitions={partitions} processes={processes} messages={sent} bare={bare:,.0f}/s "
              f"consumer={rate:,.0f}/s ratio={rate / bare:.2f} (each repeat: {each}) "
              f"readings={stored[processes]}/{readings} [{'; '.join(costs[processes])}]", flush=True)
    if len(runs) == 2:
        each = " ".join(f"{two / one:.2f}" for one, two in zip(rates[1], rates[2]))
        print(f"partitions={partitions} two processes / one: "
              f"{statistics.median(rates[2]) / statistics.median(rates[1]):.2f} (each repeat: {each})",
              flush=True)


def print_budget(partitions: int, poll_alone: float, bare: float) -> None:
    """What the floor leaves the consumer: kafka-python's poll alone against poll + json.loads
    (medians, messages a second), and so the µs a message of its own work that 0.85 allows."""
    poll_us, bare_us = 1e6 / poll_alone, 1e6 / bare
    print(f"partitions={partitions} budget: poll alone {poll_us:.1f} µs a message, json.loads "
          f"{bare_us - poll_us:.1f}; at 0.85 of the bare loop the consumer's own work may take "
          f"{bare_us / 0.85 - poll_us:.1f} µs a message", flush=True)


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
    parser.add_argument("--pin", action="store_true", help="pin each consumer process to a core of its own")
    parser.add_argument("--budget", action="store_true",
                        help="also time poll alone: what the 0.85 floor leaves the consumer's own work")
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
