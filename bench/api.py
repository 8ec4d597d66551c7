"""API benchmark: a warehouse of 100,000 rides with readings, loaded from a separate process.

Measures requests per second and p50/p99 latency of GET /api/ride/<id>, /api/rider/<id> and
/api/daily?date= against /livez (a trivial endpoint of the same server) in the same run.
Usage: .venv/bin/python bench/api.py [--rides 100000] [--readings 100] [--seconds 10] [--threads 8 32]
                                    [--reuse] [--code-dir DIR] [--web-server gunicorn|granian]
Needs `make services` (PostgreSQL, Redis). --reuse keeps a bench database already filled (10 million
readings take minutes to write); --code-dir serves another checkout of the app (a "before" run).
"""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.fleet_system import web_command  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ADMIN_DSN = os.environ.get("BENCH_PG_ADMIN_DSN", "postgresql://deloton:deloton@localhost:5432/deloton")
DB_NAME = "deloton_bench_api"
PORT = 5077

FILL_SQL = """
INSERT INTO users (user_id, name, first_name, last_name, gender, date_of_birth, email, postcode,
                   postcode_area, first_seen_at, updated_at)
SELECT u, 'Rider ' || u, 'Rider', 'No' || u, (ARRAY['male','female','other'])[1 + u % 3],
       DATE '1950-01-01' + (u * 7 % 20000), 'r' || u || '@example.com', 'AB1 2CD', 'AB', now(), now()
FROM generate_series(1, {users}) AS u;

INSERT INTO rides (ride_id, user_id, bike_serial, started_at, ended_at, ride_date, duration_s,
                   readings_count, avg_heart_rate, min_heart_rate, max_heart_rate, avg_power, max_power,
                   avg_rpm, max_rpm, avg_resistance, max_resistance, energy_kj, calories_kcal,
                   age_years, age_band, hr_limit_bpm, hr_formula, hr_zone_z1_s, hr_zone_z2_s,
                   hr_zone_z3_s, hr_zone_z4_s, hr_zone_z5_s, trimp, alerts_count, closed_at)
SELECT r, 1 + r % {users}, 'SD' || (r % 500), ts, ts + make_interval(secs => {readings}),
       (ts AT TIME ZONE 'Europe/London')::date, {readings}, {readings}, 120 + r % 30, 60,
       170, 100 + r % 50, 300, 60, 90, 30, 40, 6 + r % 5, 6.0, 40, '35-44', 180, 'tanaka',
       10, 20, 20, 8, 0, 30.5, 0, now()
FROM (SELECT r, TIMESTAMPTZ '2026-01-01' + make_interval(secs => r * 300) AS ts
      FROM generate_series(1, {rides}) AS r) AS s;

INSERT INTO ride_readings (ride_id, duration_s, recorded_at, heart_rate, rpm, power, resistance)
SELECT r.ride_id, d, r.started_at + make_interval(secs => d),
       CASE WHEN (d + r.ride_id) % 17 = 0 THEN 0 ELSE 100 + (d * 7 + r.ride_id) % 80 END,
       50 + d % 40, 80 + (d * 13) % 150, 30
FROM rides r CROSS JOIN generate_series(1, {readings}) AS d;

-- The rides' heart-rate figures from their readings, as the closeout computes them (hr > 0).
UPDATE rides SET avg_heart_rate = h.avg_hr, hr_readings_count = h.n
FROM (SELECT ride_id, avg(heart_rate) FILTER (WHERE heart_rate > 0) AS avg_hr,
             count(*) FILTER (WHERE heart_rate > 0) AS n
      FROM ride_readings GROUP BY ride_id) AS h
WHERE h.ride_id = rides.ride_id;
"""


def build_warehouse(rides: int, readings: int, reuse: bool) -> str:
    """A database with the schema (migrations) and the synthetic rows; its URL.

    With reuse, a bench database that already holds `rides` rides is kept as it is."""
    url = ADMIN_DSN.rsplit("/", 1)[0] + f"/{DB_NAME}"
    env = {**os.environ, "DATABASE_URL": url.replace("postgresql://", "postgresql+psycopg://")}
    if reuse and existing_rides(url) == rides:
        print(f"reusing {DB_NAME} ({rides} rides), migrated to the latest schema")
        migrate(env)  # a new index or column of the code under test
        return env["DATABASE_URL"]
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    migrate(env)
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(FILL_SQL.format(users=max(1, rides // 20), rides=int(rides), readings=int(readings)))
        conn.execute("VACUUM ANALYZE")  # visibility map and statistics, as a live database has them
    print(f"filled {rides} rides x {readings} readings in {time.perf_counter() - started:.0f}s")
    return env["DATABASE_URL"]


def migrate(env: dict) -> None:
    """Apply this checkout's migrations to the bench database (nothing when it is up to date)."""
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    with psycopg.connect(env["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://"),
                         autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE rides")  # an index-only scan needs the visibility map


def existing_rides(url: str) -> int | None:
    """How many rides the bench database holds (None when it does not exist)."""
    try:
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT count(*) FROM rides").fetchone()[0]
    except psycopg.Error:
        return None


def start_server(database_url: str, code_dir: Path, server: str) -> tuple[subprocess.Popen, str]:
    """gunicorn or granian (2 processes x 4 threads) serving the app of code_dir; returns the
    process and a reader key."""
    env = {**os.environ, "DATABASE_URL": database_url, "API_RATE_LIMIT": "10000000 per minute",
           "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://localhost:6379/9"), "SECRET_KEY": "bench"}
    key = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "deloton", "create-api-key",
                          "--role", "reader", "--name", "bench"], cwd=code_dir, env=env, check=True,
                         capture_output=True, text=True).stdout.strip().splitlines()[-1]
    process = subprocess.Popen(web_command(server, 2, 4, str(PORT)), cwd=code_dir, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{PORT}/livez", timeout=1)
            return process, key
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def load(seconds: float, threads: int, key: str, paths: list[str]) -> dict:
    """Run bench/loadgen.py in its own process and return its figures."""
    output = subprocess.run([sys.executable, str(ROOT / "bench/loadgen.py"), f"http://127.0.0.1:{PORT}",
                             str(seconds), str(threads), key, *paths], check=True,
                            capture_output=True, text=True).stdout
    return json.loads(output)


def main() -> None:
    """Build, serve, load each endpoint, print the table of figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rides", type=int, default=100_000)
    parser.add_argument("--readings", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--threads", type=int, nargs="+", default=[8, 32],
                        help="concurrent clients; one round of every endpoint per value")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the bench database when it already holds --rides rides")
    parser.add_argument("--code-dir", type=Path, default=ROOT, help="the checkout whose app is served")
    parser.add_argument("--web-server", choices=("gunicorn", "granian"), default="granian")
    args = parser.parse_args()
    database_url = build_warehouse(args.rides, args.readings, args.reuse)
    server, key = start_server(database_url, args.code_dir, args.web_server)
    rng = random.Random(7)
    users = max(1, args.rides // 20)
    targets = {
        "GET /livez (baseline)": ["/livez"],
        "GET /api/ride/<id>": [f"/api/ride/{rng.randint(1, args.rides)}" for _ in range(2000)],
        "GET /api/rider/<id>": [f"/api/rider/{rng.randint(1, users)}" for _ in range(2000)],
        "GET /api/daily?date=": [f"/api/daily?date={d:02d}-03-2026" for d in range(1, 29)],
    }
    try:
        for threads in args.threads:
            results = {name: load(args.seconds, threads, key, paths) for name, paths in targets.items()}
            report(results, threads)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def report(results: dict, threads: int) -> None:
    """One table: each endpoint's figures and its ratios to the baseline's."""
    base = results["GET /livez (baseline)"]
    print(f"\n{threads} concurrent clients")
    print(f"{'endpoint':<24}{'req/s':>9}{'x base':>8}{'p50 ms':>9}{'p99 ms':>9}{'x base':>8}{'errors':>8}")
    for name, r in results.items():
        print(f"{name:<24}{r['rps']:>9.0f}{r['rps'] / base['rps']:>8.2f}{r['p50_ms']:>9.1f}"
              f"{r['p99_ms']:>9.1f}{r['p99_ms'] / base['p99_ms']:>8.2f}{r['errors']:>8}")


if __name__ == "__main__":
    main()
