"""Benchmark: one-hour rides (3,600 readings) closed per second on PostgreSQL, and the share of that
time spent loading readings, against a bare COPY of the same rows in the same run; or, with --worker,
the CPU per ride of rides of real length (300-700 readings) closed through the real RQ job path.

    .venv/bin/python bench/closeout.py [--rides 20] [--admin-dsn postgresql://deloton:deloton@localhost:5432/deloton]
    .venv/bin/python bench/closeout.py --worker [--rides 200] [--redis-url redis://localhost:6379/10] [--profile 25]

Creates a throwaway database (dropped at the end) and a temporary live store. --worker queues one
closeout job per ride and works the queue with the worker's own class (`python -m worker --burst`,
in this process), then prints CPU ms per ride of that process and of its PostgreSQL backends
(psutil); --profile N adds cProfile's N costliest functions. It flushes the given Redis database.
"""
import argparse
import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
import uuid
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import psutil
import psycopg
import redis
from rq import Queue
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.config import Config  # noqa: E402
from app.extensions import db  # noqa: E402
from app.live import store  # noqa: E402
from app.services.jobs import close_ride_job, enqueue  # noqa: E402
from app.services.rides import closeout  # noqa: E402
from worker import closeout_batch  # noqa: E402
from worker.__main__ import AppWorker  # noqa: E402

READINGS = 3600
RIDER = {"user_id": 100, "name": "Steven Pearce", "gender": "male",
         "address": "0 Simpson locks,Wilkinsonshire,E68 8SH", "date_of_birth": 273715200000,
         "email_address": "steven.p@gmail.com", "height_cm": 167, "weight_kg": 83,
         "account_create_date": 1647993600000, "bike_serial": "SN0000", "original_source": "direct"}


def ride_rows(serial: str, start: datetime, rng) -> list[tuple]:
    """3,600 live-store readings of one hour-long ride, realistic ranges."""
    hr, rpm = rng.integers(0, 190, READINGS), rng.integers(0, 120, READINGS)
    power, res = rng.random(READINGS) * 300, rng.integers(0, 100, READINGS)
    key = store.to_text(start)
    return [(serial, key, d + 1, store.to_text(start + timedelta(seconds=d + 1.5)), int(hr[d]),
             int(rpm[d]), float(power[d]), int(res[d])) for d in range(READINGS)]


def fill_live_store(path: str, rides: int) -> list[tuple[str, str, list]]:
    """Ended rides in the live store, as the consumer leaves them."""
    rng, out = np.random.default_rng(7), []
    start = datetime(2022, 7, 6, 9, 0, tzinfo=timezone.utc)
    with closing(store.connect(path)) as conn, conn:
        for n in range(rides):
            serial, rows = f"SN{n:04d}", ride_rows(f"SN{n:04d}", start, rng)
            conn.execute("INSERT INTO rides (bike_serial, started_at, user_id, rider_json, hr_limit_bpm,"
                         " hr_formula, status) VALUES (?, ?, 100, ?, 177.9, 'tanaka', 'ended')",
                         (serial, rows[0][1], json.dumps(RIDER)))
            conn.executemany("INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            out.append((serial, rows[0][1], rows))
    return out


def close_all(app, rides) -> tuple[float, float]:
    """Close every ride; (total seconds, seconds spent in loading readings)."""
    load_s, load = 0.0, closeout._load_readings

    def timed_load(connection, ride_id, readings):
        nonlocal load_s
        began = time.perf_counter()
        load(connection, ride_id, readings)
        load_s += time.perf_counter() - began

    closeout._load_readings = timed_load  # measure the load step in place
    began = time.perf_counter()
    with app.app_context():
        for serial, key, _ in rides:
            assert closeout.close_ride(serial, key) is not None
    total = time.perf_counter() - began
    closeout._load_readings = load
    return total, load_s


def bare_copy(dsn: str, rides, foreign_key: bool) -> float:
    """Seconds to COPY the same rows, from ready CSV text, into a copy of ride_readings."""
    buffers = []
    for n, (_, _, rows) in enumerate(rides):
        text = io.StringIO()
        for row in rows:
            text.write(f"{{ride_id}},{row[2]},{row[3]},{row[4]},{row[5]},{row[6]!r},{row[7]}\n")
        buffers.append(text.getvalue())  # ride_id filled in below
    with psycopg.connect(dsn) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_readings")
        conn.execute("CREATE TABLE bench_readings (LIKE ride_readings INCLUDING ALL)")
        if foreign_key:  # the same per-row check ride_readings has
            conn.execute("ALTER TABLE bench_readings ADD FOREIGN KEY (ride_id) REFERENCES rides")
        ride_ids = [row[0] for row in conn.execute("SELECT ride_id FROM rides ORDER BY ride_id")]
        texts = [text.replace("{ride_id}", str(ride_id)) for text, ride_id in zip(buffers, ride_ids)]
        conn.commit()
        began = time.perf_counter()
        for text in texts:  # one transaction per ride, as closeout has
            with conn.cursor().copy("COPY bench_readings FROM STDIN (FORMAT csv)") as copy:
                copy.write(text)
            conn.commit()
        return time.perf_counter() - began


def fill_real_rides(path: str, rides: int) -> list[tuple[str, str]]:
    """Ended rides of real length (300-700 readings, some without a heart rate, 0-3 alerts, riders
    seen more than once) in the live store, as the consumer leaves them."""
    rng, out = np.random.default_rng(16), []
    start = datetime(2022, 7, 6, 9, 0, tzinfo=timezone.utc)
    with closing(store.connect(path)) as conn, conn:
        for n in range(rides):
            serial, began, count = f"SN{n:04d}", start + timedelta(seconds=37 * n), int(rng.integers(300, 701))
            rider = {**RIDER, "user_id": 100 + n % max(1, rides // 3), "bike_serial": serial}
            hr = np.where(rng.random(count) < 0.1, 0, rng.integers(60, 190, count))
            rpm, power, res = rng.integers(0, 120, count), rng.random(count) * 300, rng.integers(0, 100, count)
            key = store.to_text(began)
            conn.execute("INSERT INTO rides (bike_serial, started_at, user_id, rider_json, hr_limit_bpm,"
                         " hr_formula, status) VALUES (?, ?, ?, ?, 177.9, 'tanaka', 'ended')",
                         (serial, key, rider["user_id"], json.dumps(rider)))
            conn.executemany("INSERT INTO readings VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
                (serial, key, d + 1, store.to_text(began + timedelta(seconds=d + 1.5)), int(hr[d]),
                 int(rpm[d]), float(power[d]), int(res[d])) for d in range(count)])
            conn.executemany("INSERT INTO alerts VALUES (?, ?, ?, ?, ?, 177.9)",
                             [(serial, key, 10 * (a + 1), key, 190) for a in range(int(rng.integers(0, 4)))])
            out.append((serial, key))
    return out


def backends_cpu_s(admin_dsn: str, database: str) -> float:
    """CPU seconds (user + system) used so far by the PostgreSQL backends connected to `database`."""
    with psycopg.connect(admin_dsn) as conn:
        pids = [row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s",
                                               (database,))]
    total = 0.0
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def run_worker(app, admin_dsn: str, database: str, redis_url: str, count: int, profile: int) -> None:
    """Queue a closeout job per ride of real length, work them as `python -m worker --burst` does,
    and print the CPU per ride of this process and of PostgreSQL."""
    rides = fill_real_rides(app.config["LIVE_DB_PATH"], count)
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    for serial, key in rides:
        enqueue(connection, close_ride_job(serial, key))
    with app.app_context():
        db.engine.dispose()  # the run's backends are new: their CPU is all the closeout's
    AppWorker.flask_app = app
    worker = AppWorker(["alerts", "closeout", "reports"], connection=connection)
    profiler = cProfile.Profile(time.process_time) if profile else None
    cpu, wall = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    worker.work(burst=True)
    if profiler:
        profiler.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    pg_cpu = backends_cpu_s(admin_dsn, database)
    jobs_run = Queue("closeout", connection=connection).finished_job_registry.count
    with app.app_context():
        landed = db.session.scalar(sa.text("SELECT count(*) FROM rides"))
        readings = db.session.scalar(sa.text("SELECT count(*) FROM ride_readings"))
        db.engine.dispose()
    connection.flushdb()
    assert landed == count, f"{landed} of {count} rides landed"
    print(f"rides: {count} of 300-700 readings ({readings / count:.0f} on average), through RQ "
          f"(SimpleWorker, burst): {jobs_run} jobs run")
    print(f"worker process: {cpu / count * 1000:.1f} ms CPU per ride ({wall / count * 1000:.1f} ms wall)")
    print(f"PostgreSQL backends: {pg_cpu / count * 1000:.1f} ms CPU per ride")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(profile)


def main() -> None:
    """Run the benchmark and print the figures for BENCHMARKS.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rides", type=int, default=20)
    parser.add_argument("--admin-dsn", default="postgresql://deloton:deloton@localhost:5432/deloton")
    parser.add_argument("--worker", action="store_true", help="rides of real length through the RQ job path")
    parser.add_argument("--redis-url", default="redis://localhost:6379/10", help="flushed: --worker's queue")
    parser.add_argument("--profile", type=int, default=0, help="with --worker, print cProfile's N costliest")
    parser.add_argument("--batch", type=int, default=closeout_batch.BATCH,
                        help="with --worker, queued rides a job lands besides its own (0: one ride per job)")
    args = parser.parse_args()
    closeout_batch.BATCH = args.batch
    name = f"deloton_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = f"{args.admin_dsn.rsplit('/', 1)[0]}/{name}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = bench_app(dsn, f"{tmp}/live.db", args.redis_url)
            if args.worker:
                run_worker(app, args.admin_dsn, name, args.redis_url, args.rides, args.profile)
            else:
                run(app, dsn, args.rides)
    finally:
        with psycopg.connect(args.admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_app(dsn: str, live_path: str, redis_url: str):
    """The app on the throwaway warehouse (migrated) and a fresh live store."""
    settings = {"SQLALCHEMY_DATABASE_URI": dsn.replace("postgresql://", "postgresql+psycopg://"),
                "LIVE_DB_PATH": live_path, "REDIS_URL": redis_url, "SECRET_KEY": "bench"}
    app = create_app(type("BenchConfig", (Config,), settings))
    with app.app_context():
        upgrade()
    return app


def run(app, dsn: str, count: int) -> None:
    """Fill, close out, COPY bare, and print."""
    rides = fill_live_store(app.config["LIVE_DB_PATH"], count)
    total, load = close_all(app, rides)
    with app.app_context():
        db.engine.dispose()
    copy = bare_copy(dsn, rides, foreign_key=False)
    copy_fk = bare_copy(dsn, rides, foreign_key=True)
    print(f"rides: {count} x {READINGS} readings")
    print(f"closeout: {count / total:.2f} rides/s ({total / count * 1000:.1f} ms per ride)")
    print(f"loading readings: {load / total:.0%} of closeout time ({load / count * 1000:.1f} ms per ride)")
    print(f"bare COPY of the same rows: {copy / count * 1000:.1f} ms per ride")
    print(f"bare COPY with ride_readings' foreign key: {copy_fk / count * 1000:.1f} ms per ride")
    print(f"ratio load / bare COPY: {load / copy:.2f}x (with foreign key: {load / copy_fk:.2f}x); "
          f"closeout / bare COPY: {total / copy:.2f}x")


if __name__ == "__main__":
    main()
