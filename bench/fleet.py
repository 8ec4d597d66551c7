"""Fleet benchmark: the simulated fleet in real time through Kafka with every process of the system.

For each fleet size: a fresh topic (--partitions), the real consumer(s), worker(s), cron and the
web server (granian, as docs/scaling.md runs it), against a throwaway PostgreSQL warehouse and Redis; bench/fleet_load.py
produces the fleet in real time through librdkafka (rides as long as real ones, 2 minutes to an hour,
about 11.5 minutes on average, each bike starting part-way through its first ride so that rides end at
their steady rate; --ride-seconds S for rides of S/2 to S seconds). While it runs the script samples: consumer lag (end offsets minus the group's committed
offsets), the rate produced against the fleet's nominal rate, the delay from a probe bike's reading
produced to its appearance in the bike's live fragment (over HTTP), rides closed into the warehouse
per minute against rides ended by the consumer, the closeout's backlog (ended rides not yet
forgotten), and CPU and memory of each process: the system's (its processes and the services) apart
from the load generator's and the bench's own.
Usage: .venv/bin/python bench/fleet.py [--sizes 500 2000 5000] [--seconds 90] [--partitions 8]
       [--consumers 1] [--workers 1] [--ride-seconds S] [--generator-nice N] [--until-behind]
Needs `make services` (PostgreSQL, Redis, Kafka). Redis: BENCH_REDIS_URL (default database 8), which
the script flushes before each size: do not point it at a database anything else uses.
"""
import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kafka.admin import KafkaAdminClient, NewTopic  # noqa: E402

from bench.fleet_probe import Probe  # noqa: E402
from bench.loadgen import percentile  # noqa: E402
from bench.fleet_system import System, Warehouse  # noqa: E402

SERVERS = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://localhost:6379/8")
# Sustained in real time: the simulator keeps pace, the consumer keeps up, the page is fresh.
MIN_PRODUCED_SHARE = 0.95
MAX_LAG_S = 2.0
MAX_P99_DELAY_S = 1.5
# The system's own processes and services (the rest is the load generator and the bench).
SYSTEM_PARTS = ("consumer", "worker", "cron", "web", "kafka broker", "postgres", "redis")


def run_size(args, bikes: int, warehouse: Warehouse, tmp: Path) -> dict:
    """One fleet size: start everything, warm up, measure for args.seconds, stop; the figures."""
    topic = f"bench-fleet-{bikes}-{uuid.uuid4().hex[:6]}"
    admin = KafkaAdminClient(bootstrap_servers=SERVERS)
    admin.create_topics([NewTopic(topic, num_partitions=args.partitions, replication_factor=1)])
    system = System(ROOT, tmp / f"{bikes}", warehouse.url, REDIS, SERVERS, topic)
    try:
        system.start(args.consumers, args.workers)
        system.start_fleet(bikes, args.ride_seconds, args.generator_nice)
        probe = Probe(SERVERS, topic, system.web_url)
        probe.start()
        time.sleep(args.warmup)
        figures = measure(args, bikes, system, probe, warehouse)
        probe.stop()
        return figures
    finally:
        system.stop()
        admin.delete_topics([topic])
        admin.close()


def measure(args, bikes: int, system: System, probe, warehouse: Warehouse) -> dict:
    """Sample every 5 s for args.seconds; summarise lag, delay, rides and resources."""
    system.cpu_start()
    probe.delays.clear()
    first = system.sample(warehouse)
    lags, samples = [], []
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        time.sleep(5)
        samples.append(system.sample(warehouse))
        lags.append(samples[-1]["lag"])
    last = samples[-1]
    minutes = (last["at"] - first["at"]) / 60
    backlogs = [sample["backlog"] for sample in samples]
    half = len(backlogs) // 2
    produced_rate = (last["end"] - first["end"]) / (last["at"] - first["at"])
    nominal = system.nominal_rate(bikes, args.ride_seconds)
    return {"bikes": bikes, "produced_rate": produced_rate, "produced_share": produced_rate / nominal,
            "lag_p50": percentile(lags, 50), "lag_max": max(lags), "lag_end": last["lag"],
            "lag_s": max(lags) / max(produced_rate, 1.0),
            "delay_p50": percentile(probe.delays, 50), "delay_p99": percentile(probe.delays, 99),
            "delays": len(probe.delays),
            "closed_per_min": (last["closed"] - first["closed"]) / minutes,
            "ended_per_min": (last["ended"] - first["ended"]) / minutes,
            "closeout_backlog": last["backlog"], "backlog_max": max(backlogs),
            "backlog_bounded": max(backlogs[half:]) <= 1.5 * max(backlogs[:half] or [0]) + 10,
            "processes": system.cpu_and_memory(),
            "load": os.getloadavg()[0]}


def sustained(row: dict) -> bool:
    """Real time: producer at pace, lag under MAX_LAG_S of messages, p99 delay under MAX_P99_DELAY_S,
    and the closeout's backlog no larger in the second half of the run than in the first."""
    return (row["produced_share"] >= MIN_PRODUCED_SHARE and row["lag_s"] <= MAX_LAG_S
            and row["delay_p99"] <= MAX_P99_DELAY_S and row["backlog_bounded"])


def cpu_split(processes: dict) -> dict[str, float]:
    """CPU % of one core: the system (its processes and services), the load generator, the bench."""
    system = sum(cpu for name, (cpu, _) in processes.items() if name.split("-")[0] in SYSTEM_PARTS)
    return {"system": system, "load generator": processes["load generator"][0],
            "bench": processes["bench (probe, sampling)"][0]}


def print_tables(rows: list[dict]) -> None:
    """The tables of BENCHMARKS.md and docs/scaling.md."""
    print("| bikes | produced msg/s (share of nominal) | consumer lag p50 / max (msgs) | max lag in s "
          "| fragment delay p50 / p99 ms (n) | rides ended / closed per min | closeout backlog end / max "
          "| CPU % system / generator | load avg | real time? |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['bikes']:,} | {r['produced_rate']:,.0f} ({r['produced_share']:.2f}) "
              f"| {r['lag_p50']:,.0f} / {r['lag_max']:,.0f} | {r['lag_s']:.1f} "
              f"| {1000 * r['delay_p50']:,.0f} / {1000 * r['delay_p99']:,.0f} ({r['delays']}) "
              f"| {r['ended_per_min']:,.0f} / {r['closed_per_min']:,.0f} "
              f"| {r['closeout_backlog']:,} / {r['backlog_max']:,} "
              f"| {cpu_split(r['processes'])['system']:.0f} / {cpu_split(r['processes'])['load generator']:.0f} "
              f"| {r['load']:.1f} | {'yes' if sustained(r) else 'no'} |")
    names = sorted({name for r in rows for name in r["processes"]})
    print()
    print("| process: CPU % of one core / RSS MB | " + " | ".join(f"{r['bikes']:,} bikes" for r in rows) + " |")
    print("|---|" + "---|" * len(rows))
    for name in names:
        cells = [r["processes"].get(name) for r in rows]
        print(f"| {name} | " + " | ".join(cell_text(c) for c in cells) + " |")
    for part in ("system", "load generator"):
        print(f"| **{part}** | " + " | ".join(f"{cpu_split(r['processes'])[part]:.0f} %" for r in rows) + " |")


def cell_text(cell: tuple[float, float] | None) -> str:
    if cell is None:
        return "-"
    return f"{cell[0]:.0f} %" + (f" / {cell[1]:.0f}" if cell[1] else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000, 5000])
    parser.add_argument("--seconds", type=float, default=90, help="measured seconds per size")
    parser.add_argument("--warmup", type=float, default=20, help="seconds before measuring")
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--consumers", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--ride-seconds", type=int, default=None,
                        help="rides of S/2 to S seconds (default: as long as real ones)")
    parser.add_argument("--generator-nice", type=int, default=0, metavar="N",
                        help="run the load generator at nice N: the bikes are not on this machine, and "
                             "at 0 it takes the system's CPU when the cores are short")
    parser.add_argument("--until-behind", action="store_true",
                        help="after the sizes, keep adding the last step until a size falls behind")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="deloton-bench-fleet-"))
    rows, sizes = [], list(args.sizes)
    with Warehouse() as warehouse:
        while sizes:
            bikes = sizes.pop(0)
            rows.append(run_size(args, bikes, warehouse, tmp))
            print(f"{bikes} bikes: {'sustained' if sustained(rows[-1]) else 'behind'}", flush=True)
            if args.until_behind and not sizes and sustained(rows[-1]):
                step = args.sizes[-1] - args.sizes[-2] if len(args.sizes) > 1 else bikes
                sizes.append(bikes + step)
    rides = f"{args.ride_seconds // 2}-{args.ride_seconds} s" if args.ride_seconds else "real length"
    print(f"\n{args.partitions} partitions, {args.consumers} consumer(s), {args.workers} worker(s), "
          f"rides of {rides}, {args.seconds:.0f} s measured "
          f"after {args.warmup:.0f} s; {os.cpu_count()} cores shared with the services"
          + (f"; load generator at nice {args.generator_nice}" if args.generator_nice else "") + "\n")
    print_tables(rows)


if __name__ == "__main__":
    main()
