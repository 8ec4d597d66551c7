"""Benchmark: building the daily report (figures, HTML, PDF) for days of 1,000 to 10,000 rides on
PostgreSQL, against a bare pandas read of the same rows in the same run.

    .venv/bin/python bench/report.py [--sizes 1000 3000 10000] [--admin-dsn postgresql://...]

Creates a throwaway database per run (dropped at the end). Every one of the report's 8 windows (the
day and the 7 before it, which the comparisons read) gets the same number of rides.
"""
import argparse
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import pandas as pd
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402

from app import create_app  # noqa: E402
from app.config import Config  # noqa: E402
from app.extensions import db  # noqa: E402
from app.services.report import build as reports  # noqa: E402
from app.services.report.figures import history_window  # noqa: E402

DAY = date(2026, 3, 10)
FILL = """
INSERT INTO users (user_id, name, first_name, last_name, gender, first_seen_at, updated_at)
SELECT u, 'Rider ' || u, 'Rider', u::text, (ARRAY['male','female','other'])[1 + u %% 3], now(), now()
FROM generate_series(1, %(riders)s) u;
INSERT INTO rides (user_id, bike_serial, started_at, ended_at, ride_date, duration_s, readings_count,
  hr_readings_count, avg_heart_rate, min_heart_rate, max_heart_rate, avg_power, max_power, avg_rpm, max_rpm, avg_resistance,
  max_resistance, energy_kj, calories_kcal, age_years, age_band, hr_limit_bpm, hr_formula,
  hr_zone_z1_s, hr_zone_z2_s, hr_zone_z3_s, hr_zone_z4_s, hr_zone_z5_s, trimp, alerts_count, closed_at)
SELECT 1 + n %% %(riders)s, 'SN' || (n %% 500), ts, ts + make_interval(secs => dur), ts::date, dur, dur, dur,
  110 + n %% 50, 60, 170, 150, 200 + n %% 300, 70, 110, 40, 80, dur * 0.15, dur * 0.15 / (4.184 * 0.24),
  20 + n %% 50, (ARRAY['18-24','25-34','35-44','45-54','55+'])[1 + n %% 5], 180, 'tanaka',
  dur / 5, dur / 5, dur / 5, dur / 5, dur - 4 * (dur / 5), 10, 0, now()
FROM (SELECT n, %(start)s::timestamptz + (n::float8 / %(total)s) * (%(end)s::timestamptz - %(start)s::timestamptz) AS ts,
             300 + n %% 3300 AS dur FROM generate_series(0, %(total)s - 1) n) s;
"""


def timed(action) -> tuple[float, object]:
    began = time.perf_counter()
    result = action()
    return time.perf_counter() - began, result


def measure(app, rides_per_day: int) -> dict:
    """Fill 8 windows with rides_per_day each, then time each stage of the report."""
    with app.app_context():
        start, end = history_window(DAY, app.config["DELOTON_TZ"])
        db.session.execute(db.text("TRUNCATE rides, users RESTART IDENTITY CASCADE"))
        raw = db.session.connection().connection.driver_connection
        with raw.cursor() as cursor:
            params = {"riders": max(rides_per_day // 5, 1), "total": rides_per_day * 8,
                      "start": start, "end": end}
            for statement in FILL.split(";")[:2]:
                cursor.execute(statement, params)
        db.session.commit()
        query = db.text("SELECT r.*, u.gender FROM rides r JOIN users u USING (user_id) "
                        "WHERE started_at >= :s AND started_at < :e")
        bare, _ = timed(lambda: pd.read_sql(query, db.session.connection(), params={"s": start, "e": end}))
        figures, report = timed(lambda: reports.compose(DAY))
        html_s, html = timed(lambda: reports.render_html(report))
        pdf_s, _ = timed(lambda: reports.render_pdf(html))
        total, stored = timed(lambda: reports.build_report(DAY))
        assert stored.headline["rides"] == rides_per_day, stored.headline
    return {"rides": rides_per_day, "bare_read": bare, "figures": figures, "html": html_s, "pdf": pdf_s,
            "build": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000])
    parser.add_argument("--admin-dsn", default="postgresql://deloton:deloton@localhost:5432/deloton")
    args = parser.parse_args()
    name = f"deloton_bench_report_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = args.admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = type("BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                                                     "LIVE_DB_PATH": f"{tmp}/live.db"})
            app = create_app(config)
            with app.app_context():
                upgrade()
            report([measure(app, size) for size in args.sizes])
            with app.app_context():
                db.engine.dispose()
    finally:
        with psycopg.connect(args.admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def report(rows: list[dict]) -> None:
    """Print a Markdown table: times in ms, ratios to the bare read and to the smallest size."""
    first = rows[0]
    print("| rides per day (x 8 windows) | bare pandas read | figures + charts | HTML | PDF | whole build "
          "| build / bare read | build vs smallest |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['rides']:,} | {row['bare_read'] * 1000:.0f} ms | {row['figures'] * 1000:.0f} ms "
              f"| {row['html'] * 1000:.0f} ms | {row['pdf'] * 1000:.0f} ms | {row['build'] * 1000:.0f} ms "
              f"| {row['build'] / row['bare_read']:.1f}x | {row['build'] / first['build']:.2f}x |")


if __name__ == "__main__":
    main()
