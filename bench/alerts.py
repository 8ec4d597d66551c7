"""Alert latency: from the reading that completes a run above the limit to the email in SMTP.

    .venv/bin/python bench/alerts.py [--samples 50] [--redis-url redis://localhost:6379/2]

Runs the real worker (`python -m worker alerts`) and the real consumer (`python consumer.py`) as
processes against a throwaway PostgreSQL database, a fresh Kafka topic and an aiosmtpd server.
Baseline, measured in the same run: the same alert job enqueued straight onto RQ (no Kafka, no
consumer), from the enqueue to the email. Samples are taken one at a time, so each is a latency,
not a queueing delay. Prints the median and the 99th percentile of both, and their ratio.
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

import psycopg  # noqa: E402
import redis  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from kafka import KafkaProducer  # noqa: E402
from kafka.admin import KafkaAdminClient, NewTopic  # noqa: E402

from app import create_app  # noqa: E402
from app.config import Config  # noqa: E402
from app.extensions import db  # noqa: E402
from app.live.store import to_text  # noqa: E402
from app.services.jobs import enqueue, hr_alert_job  # noqa: E402
from tests.alert_stream import RECORDED_RIDER, ride_lines  # noqa: E402
from tests.smtp_sink import SmtpSink  # noqa: E402

PG_ADMIN = "postgresql://deloton:deloton@localhost:5432/deloton"
HOT = {1: 190, 2: 191, 3: 192}  # three seconds above 180 bpm: the third raises the alert


class TimedSink(SmtpSink):
    """An SMTP server that notes when each recipient's email arrived."""

    def __init__(self):
        super().__init__()
        self.arrived = {}

    async def handle_DATA(self, server, session, envelope):
        for recipient in envelope.rcpt_tos:
            self.arrived[recipient] = time.monotonic()
        return await super().handle_DATA(server, session, envelope)

    def wait_for(self, recipient: str, timeout_s: float) -> float | None:
        """When the recipient's email arrived (monotonic), or None after timeout_s."""
        deadline = time.monotonic() + timeout_s
        while recipient not in self.arrived and time.monotonic() < deadline:
            time.sleep(0.002)
        return self.arrived.get(recipient)


def rider(i: int, kind: str) -> dict:
    """A distinct rider per sample, so each email names its sample."""
    return RECORDED_RIDER | {"user_id": 10_000 + i, "bike_serial": f"BENCH{i:04d}",
                             "email_address": f"{kind}-{i}@bench.test"}


def make_warehouse(url: str, live_path: str, redis_url: str) -> None:
    """Migrate the throwaway warehouse."""
    config = type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": url, "LIVE_DB_PATH": live_path,
                                             "REDIS_URL": redis_url})
    app = create_app(config)
    with app.app_context():
        upgrade()
        db.engine.dispose()


def measure_baseline(connection, sink: TimedSink, samples: int) -> list[float]:
    """Latency of an alert job enqueued straight onto RQ; sample 0 waits for the worker to start."""
    latencies = []
    for i in range(samples + 1):
        started = datetime.now(timezone.utc)
        spec = hr_alert_job("BENCH", to_text(started), 3, recorded_at=to_text(started),
                            heart_rate=192, hr_limit_bpm=180.0, hr_formula="tanaka",
                            rider=rider(i, "direct"))
        t0 = time.monotonic()
        enqueue(connection, spec)
        arrived = sink.wait_for(f"direct-{i}@bench.test", 60 if i == 0 else 30)
        if arrived is None:
            raise SystemExit(f"baseline sample {i}: no email within 30 s (is the worker running?)")
        latencies.append(arrived - t0)
    return latencies[1:]


def as_value(line: str) -> bytes:
    """A message value as the topic carries it."""
    return json.dumps({"log": line + "\n"}).encode()


def send_ride(producer, topic: str, i: int, sink: TimedSink, timeout_s: float) -> float | None:
    """Produce one ride that raises an alert; the latency from its last Telemetry line to the email."""
    details = rider(i, "stream")
    lines = ride_lines(datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=4),
                       HOT, details)
    for line in lines[:-1]:
        producer.send(topic, key=details["bike_serial"].encode(), value=as_value(line))
    producer.flush()
    t0 = time.monotonic()
    producer.send(topic, key=details["bike_serial"].encode(), value=as_value(lines[-1]))
    producer.flush()
    arrived = sink.wait_for(details["email_address"], timeout_s)
    return None if arrived is None else arrived - t0


def measure_stream(producer, topic: str, sink: TimedSink, samples: int) -> list[float]:
    """Latency through Kafka, the consumer, its outbox, RQ and the worker; sample 0 warms up."""
    if send_ride(producer, topic, 0, sink, 90) is None:
        raise SystemExit("no alert email from the consumer within 90 s: is the stream consumer "
                         "(python consumer.py) merged and able to raise alerts?")
    latencies = []
    for i in range(1, samples + 1):
        latency = send_ride(producer, topic, i, sink, 30)
        if latency is None:
            raise SystemExit(f"stream sample {i}: no email within 30 s")
        latencies.append(latency)
    return latencies


def summary(name: str, latencies: list[float]) -> tuple[float, float]:
    """Print and return the median and 99th percentile in milliseconds."""
    median = statistics.median(latencies) * 1000
    p99 = statistics.quantiles(latencies, n=100, method="inclusive")[98] * 1000
    print(f"{name:<40} n={len(latencies):<4} median {median:8.1f} ms   p99 {p99:8.1f} ms")
    return median, p99


def main() -> None:
    """Set up the services, run both measurements, print the figures, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--redis-url", default="redis://localhost:6379/2")
    parser.add_argument("--bootstrap-servers", default="localhost:9092")
    args = parser.parse_args()
    name = f"deloton_bench_{uuid.uuid4().hex[:8]}"
    topic = f"deloton-bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp, psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        processes = []
        sink = TimedSink().start()
        kafka_admin = KafkaAdminClient(bootstrap_servers=args.bootstrap_servers)
        try:
            url = f"postgresql+psycopg://deloton:deloton@localhost:5432/{name}"
            make_warehouse(url, f"{tmp}/live.db", args.redis_url)
            env = {"DATABASE_URL": url, "REDIS_URL": args.redis_url, "LIVE_DB_PATH": f"{tmp}/live.db",
                   "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(sink.port), "PATH": "/usr/bin:/bin",
                   "RIDE_IDLE_TIMEOUT_S": "120"}
            processes.append(subprocess.Popen([sys.executable, "-m", "worker", "alerts"], env=env,
                                              cwd=PROJECT_DIR, stdout=subprocess.DEVNULL,
                                              stderr=subprocess.DEVNULL))
            connection = redis.Redis.from_url(args.redis_url)
            base = summary("baseline: RQ job -> worker -> SMTP", measure_baseline(connection, sink,
                                                                                  args.samples))
            kafka_admin.create_topics([NewTopic(topic, num_partitions=4, replication_factor=1)])
            processes.append(subprocess.Popen(
                [sys.executable, "consumer.py", "--bootstrap-servers", args.bootstrap_servers,
                 "--topic", topic, "--group-id", f"bench-{topic}"], env=env, cwd=PROJECT_DIR,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            producer = KafkaProducer(bootstrap_servers=args.bootstrap_servers)
            stream = summary("reading -> Kafka -> consumer -> email",
                             measure_stream(producer, topic, sink, args.samples))
            producer.close()
            print(f"ratio stream/baseline: median {stream[0] / base[0]:.2f}x, "
                  f"p99 {stream[1] / base[1]:.2f}x")
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=30)
            sink.stop()
            try:
                kafka_admin.delete_topics([topic])
            except Exception:  # the topic exists only when the baseline finished
                pass
            kafka_admin.close()
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
