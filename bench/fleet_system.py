"""The whole system as real processes for bench/fleet.py, and what it samples from them."""
import os
import random
import re
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import psycopg
import redis
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient

from app.stream.simulate import SimBike
from tests.waiting import free_port

# The services the system runs on, found by name (their CPU and memory include any other load they carry).
SERVICES = {"kafka broker": "kafka.Kafka", "postgres": "postgres", "redis": "redis-server"}
BENCH = "bench (probe, sampling)"
ASSIGNED = re.compile(r"assigned partitions \[([\d, ]*)\]")
PG_ADMIN_DSN = os.environ.get("BENCH_PG_ADMIN_DSN", "postgresql://deloton:deloton@localhost:5432/deloton")


def mean_ride_s(samples: int = 100_000) -> float:
    """The mean length of the simulator's real-length rides (2 minutes to an hour)."""
    bike = SimBike(random.Random(1), 0)
    return sum(bike.ride_length() for _ in range(samples)) / samples


REAL_MEAN_RIDE_S = mean_ride_s()


class Warehouse:
    """A throwaway PostgreSQL warehouse, migrated, dropped on exit."""

    def __enter__(self):
        self.name = f"deloton_fleet_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self.dsn = f"{PG_ADMIN_DSN.rsplit('/', 1)[0]}/{self.name}"
        self.url = self.dsn.replace("postgresql://", "postgresql+psycopg://", 1)
        root = Path(__file__).resolve().parent.parent
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=root,
                       env={**os.environ, "DATABASE_URL": self.url}, check=True, capture_output=True)
        self.conn = psycopg.connect(self.dsn, autocommit=True)
        return self

    def rides(self) -> int:
        """Rides closed into the warehouse so far."""
        return self.conn.execute("SELECT count(*) FROM rides").fetchone()[0]

    def __exit__(self, *_):
        self.conn.close()
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')



def service_processes(marker: str) -> list[psutil.Process]:
    """Processes whose name or command line shows the marker."""
    found = []
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] == marker or marker in " ".join(process.info["cmdline"] or []):
            found.append(process)
    return found


def web_command(server: str, processes: int, threads: int, port: str) -> list[str]:
    """The command line of the app under gunicorn (processes x threads) or granian (its WSGI
    interface: processes x blocking threads), as docs/scaling.md runs them."""
    if server == "granian":
        return [str(Path(sys.executable).with_name("granian")), "--interface", "wsgi", "--workers",
                str(processes), "--blocking-threads", str(threads), "--host", "127.0.0.1", "--port", port,
                "--no-ws", "--log-level", "warning", "wsgi:app"]
    return [sys.executable, "-m", "gunicorn", "-w", str(processes), "--threads", str(threads),
            "-b", f"127.0.0.1:{port}", "wsgi:app"]


class System:
    """consumer(s), worker(s), cron, web and the simulated fleet, each a subprocess with its log."""

    web_processes, web_threads = 2, 4  # the web server's processes x threads, as docs/scaling.md runs it
    web_server = "granian"  # or "gunicorn": the two servers docs/scaling.md documents

    def __init__(self, root: Path, tmp: Path, warehouse_url: str, redis_url: str, servers: str, topic: str):
        tmp.mkdir(parents=True, exist_ok=True)
        self.root, self.tmp, self.topic, self.servers = root, tmp, topic, servers
        self.group = f"fleet-{topic}"
        self.live_db = tmp / "live.db"
        self.env = {**os.environ, "DATABASE_URL": warehouse_url, "LIVE_DB_PATH": str(self.live_db),
                    "REDIS_URL": redis_url, "KAFKA_BOOTSTRAP_SERVERS": servers, "KAFKA_TOPIC": topic,
                    "KAFKA_GROUP_ID": self.group, "SECRET_KEY": "bench-fleet",
                    "PYTHONDONTWRITEBYTECODE": "1"}
        self.processes: dict[str, subprocess.Popen] = {}
        redis.Redis.from_url(redis_url).flushdb()
        self.web_url = f"http://127.0.0.1:{free_port()}"
        self.kafka = KafkaConsumer(bootstrap_servers=servers, group_id=None)
        self.admin = KafkaAdminClient(bootstrap_servers=servers)

    def spawn(self, name: str, argv: list[str]) -> None:
        with open(self.tmp / f"{name}.log", "w") as log:
            self.processes[name] = subprocess.Popen(argv, cwd=self.root, env=self.env, stdout=log,
                                                    stderr=subprocess.STDOUT)

    def start(self, consumers: int, workers: int) -> None:
        """Every process of the system; returns once each consumer has its partitions."""
        py = sys.executable
        for i in range(1, consumers + 1):
            self.spawn(f"consumer-{i}", [py, "consumer.py"])
        for i in range(1, workers + 1):
            self.spawn(f"worker-{i}", [py, "-m", "worker", "alerts", "closeout", "reports"])
        self.spawn("cron", [py, "-m", "worker.cron"])
        port = self.web_url.rsplit(":", 1)[1]
        self.spawn("web", self.web_command(port))
        partitions = len(self.admin.describe_topics([self.topic])[0]["partitions"])
        deadline = time.monotonic() + 90
        while not self.settled(consumers, partitions):
            if time.monotonic() > deadline:
                raise SystemExit("the consumers did not join the group within 90 s")
            time.sleep(0.5)

    def settled(self, consumers: int, partitions: int) -> bool:
        """Whether the group has settled: together the consumers hold every partition, and each
        holds some (when there are at least as many partitions as consumers). A consumer's first
        assignment is often empty while the others join: a fleet started then would be read only
        from where each partition is assigned later, past the rides its first seconds started
        (BACKTRACK_MAX_MESSAGES)."""
        held, holders = set(), 0
        for i in range(1, consumers + 1):
            assignments = ASSIGNED.findall(self.log(f"consumer-{i}"))
            if assignments and assignments[-1].strip():
                held |= {int(p) for p in assignments[-1].split(",")}
                holders += 1
        return len(held) == partitions and holders == min(consumers, partitions)

    def web_command(self, port: str) -> list[str]:
        """The web server's command line, with this system's server, processes and threads."""
        return web_command(self.web_server, self.web_processes, self.web_threads, port)

    def start_fleet(self, bikes: int, ride_seconds: int | None, nice: int = 0) -> None:
        """The load generator (bench/fleet_load.py, librdkafka), rides as real ones unless
        ride_seconds; with `nice`, at that lower CPU priority (the bikes are not on this machine)."""
        argv = ["nice", "-n", str(nice)] if nice else []
        argv += [sys.executable, "bench/fleet_load.py", "--bikes", str(bikes), "--seed", "7",
                 "--topic", self.topic, "--servers", self.servers]
        self.spawn("load generator", argv + (["--ride-seconds", str(ride_seconds)] if ride_seconds else []))

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")

    @staticmethod
    def nominal_rate(bikes: int, ride_seconds: int | None) -> float:
        """Messages per second of the fleet: 2 per riding second, 3 more per ride, one tick per ride."""
        mean_ride = 0.75 * ride_seconds if ride_seconds else REAL_MEAN_RIDE_S
        return bikes * (2 * mean_ride + 3) / (mean_ride + 1)

    def sample(self, warehouse) -> dict:
        """Topic end, consumer lag, rides ended (live store) and closed (warehouse), closeout backlog."""
        tps = [TopicPartition(self.topic, p) for p in self.kafka.partitions_for_topic(self.topic)]
        ends = self.kafka.end_offsets(tps)
        committed = self.admin.list_group_offsets(self.group).get(self.group, {})
        lag = sum(end - (committed[tp].offset if tp in committed else 0) for tp, end in ends.items())
        with sqlite3.connect(f"file:{self.live_db}?mode=ro", uri=True, timeout=30) as conn:
            ended = conn.execute("SELECT coalesce(sum(value), 0) FROM counters "
                                 "WHERE name = 'rides_ended'").fetchone()[0]
            backlog = conn.execute("SELECT count(*) FROM rides WHERE status = 'ended'").fetchone()[0]
        return {"at": time.monotonic(), "end": sum(ends.values()), "lag": lag, "ended": ended,
                "closed": warehouse.rides(), "backlog": backlog}

    def _tree(self, name: str) -> list[psutil.Process]:
        if name in SERVICES:
            return service_processes(SERVICES[name])
        if name == BENCH:
            return [psutil.Process()]
        parent = psutil.Process(self.processes[name].pid)
        return [parent, *parent.children(recursive=True)]

    def _cpu_seconds(self, name: str) -> dict[int, float]:
        times = {}
        for process in self._tree(name):
            try:
                spent = process.cpu_times()
                times[process.pid] = spent.user + spent.system
            except psutil.Error:
                pass  # a PostgreSQL backend that has just gone
        return times

    def cpu_start(self) -> None:
        """Start the CPU clocks of every process and service, and of the whole machine."""
        self._cpu = {name: self._cpu_seconds(name) for name in [*self.processes, *SERVICES, BENCH]}
        self._cpu_at, self._machine = time.monotonic(), psutil.cpu_times()

    def cpu_and_memory(self) -> dict[str, tuple[float, float]]:
        """{process: (CPU % of one core since cpu_start, RSS MB now)} (web: master and workers;
        services: all their processes; "machine": every core, RSS of nothing)."""
        spent = time.monotonic() - self._cpu_at
        figures = {}
        for name, before in self._cpu.items():
            now = self._cpu_seconds(name)
            cpu = sum(seconds - before.get(pid, 0.0) for pid, seconds in now.items())
            rss = 0
            for process in self._tree(name):
                try:
                    rss += process.memory_info().rss
                except psutil.Error:
                    pass
            figures[name] = (100 * cpu / spent, rss / 2**20)
        machine = psutil.cpu_times()
        busy = sum(machine) - machine.idle - machine.iowait - (sum(self._machine) - self._machine.idle
                                                                - self._machine.iowait)
        figures["machine (all cores)"] = (100 * busy / spent, 0.0)
        return figures

    def stop(self) -> None:
        """SIGTERM every process (the fleet first), then wait."""
        for name in ["load generator", *[n for n in self.processes if n != "load generator"]]:
            if name in self.processes and self.processes[name].poll() is None:
                self.processes[name].terminate()
        for process in self.processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.kafka.close()
        self.admin.close()
