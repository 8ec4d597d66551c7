"""CPU per API request in the web process, measured in-process on the bench database of bench/api.py.

Steadier than the load test on a shared machine: `time.process_time` around N requests of the Flask
test client (the client itself costs about a third of /livez's figure), the least of several
interleaved rounds, /livez in the same rounds as the baseline. The requests carry the load
generator's Accept-Encoding, as bench/api.py's do.
Usage: .venv/bin/python bench/api_cpu.py [--code-dir DIR] [--rounds 7] [--requests 150] [--only daily]
Needs the database bench/api.py builds (run it once, or with --reuse it is kept); --code-dir measures
another checkout of the app against the same database (a "before" figure).
"""
import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = "postgresql+psycopg://deloton:deloton@localhost:5432/deloton_bench_api"
ACCEPT_ENCODING = "gzip, deflate, br, zstd"  # what `requests` (bench/loadgen.py) sends


def targets(rides: int, riders: int) -> dict[str, list[str]]:
    """The paths of each endpoint, as bench/api.py picks them, and the other API reads."""
    rng = random.Random(7)
    return {
        "/livez": ["/livez"],
        "/api/ride/<id>": [f"/api/ride/{rng.randint(1, rides)}" for _ in range(150)],
        "/api/rider/<id>": [f"/api/rider/{rng.randint(1, riders)}" for _ in range(150)],
        "/api/daily?date=": [f"/api/daily?date={d:02d}-03-2026" for d in range(1, 29)],
        "/api/rides": ["/api/rides"],
        "/api/rider/<id>/rides": [f"/api/rider/{rng.randint(1, riders)}/rides" for _ in range(150)],
        "/api/leaderboard": ["/api/leaderboard?metric=total_energy&period=all",
                             "/api/leaderboard?metric=rides&period=month"],
    }


def main() -> None:
    """Measure each endpoint and print CPU ms per request and its ratio to /livez."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--code-dir", type=Path, default=ROOT, help="the checkout whose app is measured")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=150, help="requests per endpoint per round")
    parser.add_argument("--only", action="append", default=[], metavar="TEXT",
                        help="measure only the endpoints whose name holds TEXT (and /livez); repeatable")
    args = parser.parse_args()
    os.environ.update(DATABASE_URL=os.environ.get("BENCH_DATABASE_URL", DATABASE_URL),
                      REDIS_URL=os.environ.get("BENCH_REDIS_URL", "redis://localhost:6379/9"),
                      API_RATE_LIMIT="10000000 per minute", SECRET_KEY="bench")
    sys.path.insert(0, str(args.code_dir))
    os.chdir(args.code_dir)
    from app import create_app
    from app.services.accounts.api_keys import create_api_key

    app = create_app()
    with app.app_context():
        key = create_api_key("reader", "bench cpu")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}", "Accept-Encoding": ACCEPT_ENCODING}
    paths = targets(rides=100_000, riders=5_000)
    if args.only:
        paths = {name: found for name, found in paths.items()
                 if name == "/livez" or any(text in name for text in args.only)}
    for endpoint_paths in paths.values():  # warm up: connections, caches, each ride's JSON once
        for path in endpoint_paths:
            assert client.get(path, headers=headers).status_code == 200, path
    best = dict.fromkeys(paths, float("inf"))
    for _ in range(args.rounds):
        for name, endpoint_paths in paths.items():
            started = time.process_time()
            for i in range(args.requests):
                client.get(endpoint_paths[i % len(endpoint_paths)], headers=headers)
            best[name] = min(best[name], (time.process_time() - started) / args.requests * 1000)
    print("| endpoint | CPU ms per request | x /livez |\n|---|---|---|")
    for name, ms in best.items():
        print(f"| {name} | {ms:.2f} | {ms / best['/livez']:.1f} |")


if __name__ == "__main__":
    main()
