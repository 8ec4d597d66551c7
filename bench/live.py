"""Live pages benchmark: 500 simulated bikes riding through Kafka into the real consumer.

Measures, while the fleet streams: p50/p99 time to serve a bike's live fragment and the fleet page
(in-process, through the app's WSGI stack), against a static file of the same app as the baseline
(same run); and the delay from a reading produced to Kafka to its appearance in the fragment.
Usage: .venv/bin/python bench/live.py [--bikes 500] [--samples 400] [--probes 30]
       [--code-dir DIR]  (where consumer.py and the simulate command live; default: this project)
Needs `make services` (Kafka, Redis) and the stream pipeline (`python consumer.py`,
`flask --app wsgi deloton simulate`).
"""
import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kafka import KafkaProducer  # noqa: E402
from kafka.admin import KafkaAdminClient, NewTopic  # noqa: E402

from app import create_app  # noqa: E402
from app.config import Config  # noqa: E402
from bench.loadgen import percentile  # noqa: E402

SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://localhost:6379/4")
HTMX_FLEET = {"HX-Request": "true"}
HTMX_LIVE = {"HX-Request": "true", "HX-Target": "live-figures"}
PROBE = "BENCHPROBE"


def timed(client, url: str, headers: dict, samples: int) -> list[float]:
    """Seconds per request of `samples` GETs (each must answer 200)."""
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        response = client.get(url, headers=headers)
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
    return times


def start_pipeline(code_dir: Path, topic: str, bikes: int, env: dict) -> list[subprocess.Popen]:
    """The real consumer and the simulated fleet, as two processes."""
    consumer = subprocess.Popen([sys.executable, "consumer.py", "--bootstrap-servers", SERVERS,
                                 "--topic", topic, "--group-id", f"bench-{topic}"], cwd=code_dir, env=env)
    fleet = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "deloton", "simulate",
                              "--bikes", str(bikes), "--topic", topic, "--seed", "7"],
                             cwd=code_dir, env=env, stdout=subprocess.DEVNULL)
    return [consumer, fleet]


def wait_for_fleet(client, bikes: int, timeout_s: float = 180) -> list[str]:
    """Wait until the fleet page lists every bike riding; their serials."""
    deadline = time.monotonic() + timeout_s
    serials = []
    while time.monotonic() < deadline:
        html = client.get("/", headers=HTMX_FLEET).get_data(as_text=True)
        serials = re.findall(r'data-bike="([^"]+)"', html)
        if len(serials) >= bikes:
            return serials
        time.sleep(1)
    raise SystemExit(f"only {len(serials)} of {bikes} bikes appeared in {timeout_s} s")


def line(text: str) -> bytes:
    """A Kafka value of the probe bike, timestamped now."""
    ts = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    return json.dumps({"log": f"{ts} probe v1: {text}\n"}).encode()


def probe_delays(client, topic: str, probes: int) -> list[float]:
    """Seconds from a reading's Telemetry line sent to Kafka to its figure in the bike's fragment."""
    producer = KafkaProducer(bootstrap_servers=SERVERS, linger_ms=0)
    rider = {"user_id": 999999, "name": "Probe Rider", "gender": "female", "date_of_birth": 0,
             "address": "1 A St,Leeds,LS1 1AA", "email_address": "p@example.com", "bike_serial": PROBE}
    producer.send(topic, key=PROBE.encode(), value=line(f"[SYSTEM] data = {json.dumps(rider)}"))
    delays = []
    for second in range(1, probes + 1):
        producer.send(topic, key=PROBE.encode(), value=line(f"[INFO]: Ride - duration = {second}.0; resistance = 50"))
        producer.send(topic, key=PROBE.encode(), value=line("[INFO]: Telemetry - hrt = 120; rpm = 70; power = 150.0"))
        producer.flush()
        sent = time.perf_counter()
        marker = f'data-elapsed="{second}"'
        while marker not in client.get(f"/bikes/{PROBE}", headers=HTMX_LIVE).get_data(as_text=True):
            if time.perf_counter() - sent > 30:
                raise SystemExit(f"reading {second} of the probe never appeared")
            time.sleep(0.005)
        delays.append(time.perf_counter() - sent)
        time.sleep(max(0.0, 1 - delays[-1]))
    producer.close()
    return delays


def report(rows: list[tuple[str, list[float]]], baseline: list[float]) -> None:
    """Print the table of BENCHMARKS.md."""
    base = 1000 * percentile(baseline, 50)
    print("| measure | samples | p50 ms | p99 ms | p50 vs baseline |")
    print("|---|---|---|---|---|")
    for name, values in [("static file (baseline)", baseline)] + rows:
        p50, p99 = 1000 * percentile(values, 50), 1000 * percentile(values, 99)
        ratio = f"{p50 / base:.1f}x" if "->" not in name else "n/a"
        print(f"| {name} | {len(values)} | {p50:.1f} | {p99:.1f} | {ratio} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bikes", type=int, default=500)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--probes", type=int, default=30)
    parser.add_argument("--code-dir", type=Path, default=ROOT)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="deloton-bench-live-"))
    topic = f"bench-live-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=SERVERS)
    admin.create_topics([NewTopic(topic, num_partitions=8, replication_factor=1)])
    env = {**os.environ, "LIVE_DB_PATH": str(tmp / "live.db"), "KAFKA_BOOTSTRAP_SERVERS": SERVERS,
           "DATABASE_URL": f"sqlite:///{tmp / 'warehouse.db'}", "REDIS_URL": REDIS,
           "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    processes = start_pipeline(args.code_dir, topic, args.bikes, env)
    try:
        config = type("BenchConfig", (Config,), {"LIVE_DB_PATH": env["LIVE_DB_PATH"],
                                                 "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"]})
        client = create_app(config).test_client()
        while not Path(env["LIVE_DB_PATH"]).exists():  # the consumer creates the live store
            time.sleep(0.5)
        time.sleep(2)
        serials = wait_for_fleet(client, args.bikes)
        time.sleep(10)  # let every bike's ride build up some readings
        baseline = timed(client, "/static/css/app.css", {}, args.samples)
        live = []
        for serial in random.Random(1).choices(serials, k=args.samples):
            live += timed(client, f"/bikes/{serial}", HTMX_LIVE, 1)
        fleet = timed(client, "/", HTMX_FLEET, max(50, args.samples // 8))
        delays = probe_delays(client, topic, args.probes)
        print(f"{args.bikes} bikes streaming through Kafka into consumer.py; {len(serials)} on the fleet page")
        report([("bike live fragment", live), (f"fleet page fragment ({len(serials)} bikes)", fleet),
                ("reading produced to Kafka -> in the fragment", delays)], baseline)
    finally:
        for process in processes:
            process.terminate()
            process.wait(15)
        admin.delete_topics([topic])
        admin.close()


if __name__ == "__main__":
    main()
