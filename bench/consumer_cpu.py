"""The consumer's CPU per message at the fleet's pace, measured small enough for a shared machine.

Two measures, each for one or more checkouts of the code (`--code-dir`, default this one), taken in
turn so that a "before" and an "after" share the same minutes:
- `batch`: the simulated fleet's messages through `pipeline.process_batch` in this process (no
  Kafka), cut into batches of `--batch-s` seconds of the fleet as a consumer in real time gets them,
  into a fresh SQLite live store (8 partitions), or with `--live-url postgresql://...` that
  PostgreSQL database, emptied first. CPU µs per message (time.process_time) after a warm-up, split
  into parsing, reading the bikes, the per-message loop, the writes and the commit; on PostgreSQL
  (on this machine) also its backend's CPU per message.
- `realtime`: `bench/fleet_load.py --bikes N` into a fresh 8-partition topic and `consumer.py` of
  each checkout reading it in turn (SQLite live store, started at the topic's end); the
  consumer's CPU (user + system, its writer process's included) over `--window` s after `--warm` s, per message stored.
  The first checkout is run once more at the start, untimed: the first consumer on a fresh topic
  pays for the broker's warm-up.
Usage: .venv/bin/python bench/consumer_cpu.py batch|realtime [--bikes 3000] [--code-dir DIR ...]
"""
import argparse
import collections
import importlib
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
PHASES = ("parse_messages", "load", "flush", "commit")


def batch_path(code_dir: str, bikes: int, batch_s: float, warm_s: int, measure_s: int,
               live_url: str | None = None) -> str:
    """Run in a child process of its own (`--child`): one checkout's batch path, as one line."""
    sys.path.insert(0, code_dir)
    os.chdir(code_dir)
    import gc

    from app.live import store
    from app.stream import pipeline
    from app.stream.rides import BikeCache, Settings
    from app.stream.simulate import Fleet
    from bench import fleet_load

    fleet, offsets = Fleet(bikes, seed=7), [0] * 8

    def batches(seconds: int, first=()) -> list[list]:
        values = list(first)
        for _ in range(seconds):
            values += fleet_load.tick(fleet)
        size = max(1, int(len(values) / seconds * batch_s))
        cut = []
        for start in range(0, len(values), size):
            batch = []
            for key, value in values[start:start + size]:
                partition = zlib.crc32(key) % 8
                batch.append(pipeline.Message("bench", partition, offsets[partition], key, value))
                offsets[partition] += 1
            cut.append(sorted(batch, key=lambda message: message.partition))  # as a poll has them
        return cut

    with tempfile.TemporaryDirectory() as folder:
        conn, cache, settings = store.connect(live_url or f"{folder}/live.db"), BikeCache(), Settings()
        backend = emptied(conn) if live_url else None
        gc.freeze()  # as consumer.py does, with its young generation's threshold if it has one
        gc.set_threshold(getattr(importlib.import_module("consumer"), "YOUNG_GC_THRESHOLD", 700))
        for batch in batches(warm_s, fleet_load.steady_start(fleet)):
            pipeline.process_batch(conn, batch, settings, cache=cache)
        measured = batches(measure_s)
        spent = collections.Counter()
        timed(pipeline, "parse_messages", spent)
        timed(pipeline.Batch, "load", spent)
        timed(pipeline.Batch, "flush", spent)
        if live_url:
            timed(conn, "commit", spent)  # a PgConnection's own method (the store tells it by its class)
        else:
            conn = TimedCommit(conn, spent)
        counts = collections.Counter()
        started, backend_started = time.process_time(), backend and process_cpu_s(backend)
        for batch in measured:
            counts += pipeline.process_batch(conn, batch, settings, cache=cache)
        total = time.process_time() - started
        backend_s = backend and process_cpu_s(backend) - backend_started
        conn.close()
    messages = sum(map(len, measured))
    assert counts["messages"] == messages and not counts["quarantined"], counts
    parts = " ".join(f"{name}={1e6 * spent[name] / messages:.2f}" for name in PHASES)
    rest = 1e6 * (total - sum(spent.values())) / messages
    server = f"; PostgreSQL's backend {1e6 * backend_s / messages:.2f} µs a message" if backend else ""
    return (f"{Path(code_dir).name}: batch path, {bikes} bikes, {len(measured)} batches of about "
            f"{messages // len(measured)} messages: {1e6 * total / messages:.2f} µs a message "
            f"({parts} loop and the rest={rest:.2f}){server}")


def emptied(conn) -> int:
    """Empty a PostgreSQL live store; the process id of this connection's backend."""
    with conn:
        conn.execute("TRUNCATE bikes, rides, readings, pending_halves, alerts, quarantine, counters, "
                     "positions, outbox, partition_leases")
    return conn.execute("SELECT pg_backend_pid()").fetchone()[0]


def timed(owner, name: str, spent: collections.Counter) -> None:
    """Wrap owner.name to add its CPU seconds to spent[name]."""
    function = getattr(owner, name)

    def wrapper(*args, **kwargs):
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.process_time() - started
    setattr(owner, name, wrapper)


class TimedCommit:
    """A live store connection whose commits are timed (sqlite3's own methods cannot be wrapped)."""

    def __init__(self, conn, spent: collections.Counter):
        self.conn, self.spent = conn, spent

    def __getattr__(self, name):
        return getattr(self.conn, name)

    def commit(self) -> None:
        """Commit, adding the CPU it took to spent["commit"]."""
        started = time.process_time()
        self.conn.commit()
        self.spent["commit"] += time.process_time() - started


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds so far of a process and its children (consumer.py's writer)."""
    total = 0.0
    for process in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
        spent = process.cpu_times()
        total += spent.user + spent.system
    return total


def stored_messages(live: str) -> int:
    """The live store's message counter."""
    with sqlite3.connect(f"file:{live}?mode=ro", uri=True, timeout=30) as conn:
        row = conn.execute("SELECT SUM(value) FROM counters WHERE name = 'messages'").fetchone()
    return row[0] or 0


def realtime(code_dirs: list[str], bikes: int, warm_s: float, window_s: float, servers: str) -> None:
    """consumer.py of each checkout in turn on one topic fed in real time; a line each."""
    from kafka.admin import KafkaAdminClient, NewTopic
    admin = KafkaAdminClient(bootstrap_servers=servers)
    topic = f"deloton-bench-cpu-{uuid.uuid4().hex[:8]}"
    admin.create_topics([NewTopic(topic, num_partitions=8, replication_factor=1)])
    load = subprocess.Popen([sys.executable, str(ROOT / "bench" / "fleet_load.py"), "--bikes", str(bikes),
                             "--topic", topic, "--servers", servers], stdout=subprocess.DEVNULL)
    try:
        for index, code_dir in enumerate([code_dirs[0]] + code_dirs):
            line = consumer_window(code_dir, topic, servers, warm_s, window_s)
            if index:
                print(f"{Path(code_dir).name}: real time, {bikes} bikes: {line}", flush=True)
    finally:
        load.send_signal(signal.SIGTERM)
        load.wait(30)
        admin.delete_topics([topic])
        admin.close()


def consumer_window(code_dir: str, topic: str, servers: str, warm_s: float, window_s: float) -> str:
    """One consumer.py run: its CPU per message stored over the window."""
    with tempfile.TemporaryDirectory() as folder:
        live = f"{folder}/live.db"
        env = {**os.environ, "LIVE_DB_PATH": live, "DATABASE_URL": f"sqlite:///{folder}/warehouse.db",
               "KAFKA_BOOTSTRAP_SERVERS": servers,
               "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://localhost:6379/1")}
        proc = subprocess.Popen([sys.executable, "consumer.py", "--topic", topic, "--group-id",
                                 f"bench-cpu-{uuid.uuid4().hex[:8]}"], cwd=code_dir, env=env,
                                stderr=subprocess.DEVNULL)
        try:
            time.sleep(warm_s)
            cpu, stored, started = process_cpu_s(proc.pid), stored_messages(live), time.monotonic()
            time.sleep(window_s)
            cpu = process_cpu_s(proc.pid) - cpu
            stored, elapsed = stored_messages(live) - stored, time.monotonic() - started
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
    return (f"{stored / elapsed:,.0f} messages/s, {1e6 * cpu / max(stored, 1):.1f} µs a message "
            f"({cpu / elapsed:.0%} of a core)")


def main() -> None:
    """Measure each checkout in turn and print a line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("measure", choices=["batch", "realtime"])
    parser.add_argument("--code-dir", nargs="+", default=[str(ROOT)])
    parser.add_argument("--bikes", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=2, help="batch: runs of each checkout, alternated")
    parser.add_argument("--batch-s", type=float, default=0.5, help="batch: seconds of the fleet a batch")
    parser.add_argument("--warm", type=float, default=15)
    parser.add_argument("--window", type=float, default=30, help="batch: seconds of the fleet measured")
    parser.add_argument("--live-url", help="batch: a PostgreSQL live store (emptied) instead of SQLite")
    parser.add_argument("--servers", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    dirs = [str(Path(d).resolve()) for d in args.code_dir]
    if args.child:
        print(batch_path(args.child, args.bikes, args.batch_s, int(args.warm), int(args.window),
                         args.live_url), flush=True)
    elif args.measure == "batch":
        for _ in range(args.rounds):
            for code_dir in dirs:  # a process each: every checkout imports its own app
                subprocess.run([sys.executable, __file__, "batch", "--child", code_dir, "--bikes",
                                str(args.bikes), "--batch-s", str(args.batch_s), "--warm", str(args.warm),
                                "--window", str(args.window)]
                               + (["--live-url", args.live_url] if args.live_url else []), check=True)
    else:
        realtime(dirs, args.bikes, args.warm, args.window, args.servers)


if __name__ == "__main__":
    main()
