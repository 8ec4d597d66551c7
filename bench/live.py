"""Live pages benchmark: the simulated fleet through Kafka, and hundreds of screens polling the web.

For each fleet size (--sizes): a fresh topic, the real consumer, the web server (--web-server:
granian by default, or gunicorn; 2 processes x 4 threads) and the fleet in real time from bench/fleet_load.py (librdkafka, cheap: the load must not
starve what it measures); once every bike is on the fleet page, --screens bike screens (each polling a
different bike's live fragment every second) and --fleet-pages fleet pages (polling their grid every
second: the first page, the second, a state filter, a search) run for --warmup seconds unmeasured
(every screen's first polls fill the server's caches of its ride, as a running site has long since
done), then for --seconds measured, in bench/screens.py
(one asyncio process, a keep-alive connection per screen), while a probe bike times the delay from
its reading produced to Kafka to its figure in its fragment (bench/fleet_probe.py). Baseline in
the same run: --baseline screens polling /livez, a trivial view of the same server. CPU of the
system (consumer, web, cron, Kafka, PostgreSQL, Redis) is reported apart from the load's (the fleet's
generator, the screens' generator, this script with its probe), as bench/fleet.py does.
Usage: .venv/bin/python bench/live.py [--sizes 1000 5000] [--screens 500] [--fleet-pages 20]
       [--seconds 60] [--warmup 15] [--baseline 20] [--web-processes 2] [--web-threads 4]
Needs `make services` (Kafka, PostgreSQL, Redis). Redis: BENCH_REDIS_URL (default database 4), which
the script flushes: do not point it at a database anything else uses.
"""
import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kafka.admin import KafkaAdminClient, NewTopic  # noqa: E402

from bench.fleet_probe import PROBE, Probe  # noqa: E402
from bench.fleet import cpu_split  # noqa: E402
from bench.fleet_system import System, Warehouse  # noqa: E402
from bench.loadgen import percentile  # noqa: E402

SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://localhost:6379/4")
RIDE_SECONDS = 3600  # rides far longer than the run: every bike rides throughout
FLEET_VIEWS = ["/", "/?page=2", "/?state=riding", "/?q=SN0", "/?state=above"]


def serials_of(live_db: Path, bikes: int, timeout_s: float = 240) -> list[str]:
    """Wait until the consumer has heard from every bike; their serials, the riding ones first."""
    deadline = time.monotonic() + timeout_s
    found = []
    while time.monotonic() < deadline:
        if live_db.exists():
            with sqlite3.connect(f"file:{live_db}?mode=ro", uri=True, timeout=30) as conn:
                found = [r[0] for r in conn.execute(
                    "SELECT bike_serial FROM bikes WHERE bike_serial != ? "
                    "ORDER BY ride_started_at IS NULL, bike_serial", (PROBE,))]
            if len(found) >= bikes:
                return found
        time.sleep(2)
    raise SystemExit(f"only {len(found)} of {bikes} bikes seen after {timeout_s} s")


def screens(args, web_url: str, serials: list[str]) -> dict:
    """bench/screens.py with every bike screen, fleet page and baseline poll; its figures."""
    specs = [f"bike=/bikes/{serial}" for serial in serials[:args.screens]]
    specs += [f"fleet={FLEET_VIEWS[i % len(FLEET_VIEWS)]}" for i in range(args.fleet_pages)]
    specs += ["baseline=/livez" for _ in range(args.baseline)]
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "screens.py"), "--warmup", str(args.warmup),
                          web_url, str(args.seconds), *specs], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench/screens.py failed ({out.returncode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def run_size(args, bikes: int, warehouse: Warehouse, tmp: Path) -> dict:
    """One fleet size: start the pipeline and the web, load it, measure, stop."""
    topic = f"bench-live-{bikes}-{uuid.uuid4().hex[:6]}"
    admin = KafkaAdminClient(bootstrap_servers=SERVERS)
    admin.create_topics([NewTopic(topic, num_partitions=8, replication_factor=1)])
    system = System(ROOT, tmp / f"{bikes}", warehouse.url, REDIS, SERVERS, topic)
    system.web_processes, system.web_threads = args.web_processes, args.web_threads
    system.web_server = args.web_server
    try:
        system.start(consumers=1, workers=0)
        system.start_fleet(bikes, RIDE_SECONDS)
        serials = serials_of(system.live_db, bikes)
        probe = Probe(SERVERS, topic, system.web_url)
        probe.start()
        # The measured seconds start after the screens' warmup: the probe's delays and the CPU too.
        measure = threading.Timer(args.warmup, lambda: (probe.delays.clear(), system.cpu_start()))
        measure.start()
        figures = screens(args, system.web_url, serials)
        processes = system.cpu_and_memory()
        figures["cpu"] = {**cpu_split(processes), "web": processes["web"][0]}
        generator = figures.pop("generator")  # its own process, measured by itself
        figures["cpu"]["screens generator"] = generator["cpu_percent"]
        figures["generator_ms"] = generator["cpu_ms_per_request"]
        probe.stop()
        figures["delay"] = {"requests": len(probe.delays), "p50_ms": 1000 * percentile(probe.delays, 50),
                            "p99_ms": 1000 * percentile(probe.delays, 99)}
        figures["bikes"], figures["load"] = bikes, os.getloadavg()[0]
        return figures
    finally:
        system.stop()
        admin.delete_topics([topic])
        admin.close()


def report(rows: list[dict]) -> None:
    """Print the table of BENCHMARKS.md."""
    print("| bikes | measure | requests (errors) | req/s served / asked | p50 ms | p99 ms | bytes on the wire / page |")
    print("|---|---|---|---|---|---|---|")
    names = {"baseline": "/livez (baseline)", "bike": "bike live fragment", "fleet": "fleet fragment",
             "delay": "reading produced -> in the fragment"}
    for row in rows:
        for kind, name in names.items():
            f = row[kind]
            size = f"{f['wire_bytes']:,.0f} / {f['page_bytes']:,.0f}" if "wire_bytes" in f else "n/a"
            rate = f"{f['rate']:.0f} / {f['asked']}" if "rate" in f else "n/a"
            print(f"| {row['bikes']:,} | {name} | {f['requests']} ({f.get('errors', 0)}) | {rate} | "
                  f"{f['p50_ms']:.1f} | {f['p99_ms']:.1f} | {size} |")
    print("load average (1 min) at the end of each size: " + ", ".join(f"{r['load']:.1f}" for r in rows))
    for r in rows:
        cpu = r["cpu"]
        print(f"{r['bikes']:,} bikes, CPU % of one core: system {cpu['system']:.0f} (of it the web "
              f"{cpu['web']:.0f}), fleet generator {cpu['load generator']:.0f}, screens generator "
              f"{cpu['screens generator']:.0f} ({r['generator_ms']:.2f} ms a request), bench and probe "
              f"{cpu['bench']:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--screens", type=int, default=500)
    parser.add_argument("--fleet-pages", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=15,
                        help="seconds the screens poll before the measured --seconds (caches fill)")
    parser.add_argument("--baseline", type=int, default=20, help="screens polling /livez")
    parser.add_argument("--web-processes", type=int, default=System.web_processes, help="processes (-w, --workers)")
    parser.add_argument("--web-threads", type=int, default=System.web_threads, help="threads a process (--threads, --blocking-threads)")
    parser.add_argument("--web-server", choices=("gunicorn", "granian"), default=System.web_server)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="deloton-bench-live-"))
    with Warehouse() as warehouse:
        rows = [run_size(args, bikes, warehouse, tmp) for bikes in args.sizes]
    report(rows)


if __name__ == "__main__":
    main()
