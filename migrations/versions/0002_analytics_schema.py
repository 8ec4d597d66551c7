"""analytics schema for Tableau: views without contact details and a read-only role

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 23:05:00

PostgreSQL only: on SQLite (the embedded default) this migration does nothing. The views show no
email and no street address. Local times use DELOTON_TZ as it is when the migration runs.
"""
from zoneinfo import ZoneInfo

from alembic import op
from flask import current_app

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

ROLE = "deloton_analytics"
RIDER_NAME = "concat_ws(' ', u.first_name, left(u.last_name, 1) || '.')"
# Columns every leaderboard shares, so each can be filtered by gender, age band and date.
BOARD_KEYS = "r.ride_date, u.gender, r.age_band, r.user_id, {name} AS rider_name".format(name=RIDER_NAME)


def views(tz: str) -> dict[str, str]:
    """Each analytics view by name: its SELECT."""
    local = f"(r.started_at AT TIME ZONE '{tz}')"
    per_ride = ("SELECT r.ride_id, r.started_at, {keys}, r.{col} AS {alias} FROM rides r "
                "JOIN users u USING (user_id) WHERE r.{col} IS NOT NULL ORDER BY r.{col} DESC")
    per_rider = ("SELECT {keys}, {expr} AS {alias} FROM rides r JOIN users u USING (user_id) "
                 "GROUP BY r.ride_date, u.gender, r.age_band, r.user_id, u.first_name, u.last_name "
                 "ORDER BY {alias} DESC")
    return {
        "rides": f"""
            SELECT r.ride_id, r.user_id, {RIDER_NAME} AS rider_name, r.bike_serial,
                   r.started_at, r.ended_at, r.ride_date, {local} AS started_local,
                   {local}::date AS local_date, extract(hour FROM {local})::int AS local_hour,
                   extract(isodow FROM {local})::int AS local_day_of_week,
                   u.gender, r.age_years, r.age_band, u.postcode_area,
                   r.duration_s, round(r.duration_s / 60.0, 2) AS duration_min, r.readings_count,
                   r.avg_heart_rate, r.min_heart_rate, r.max_heart_rate,
                   r.avg_power, r.max_power, r.avg_rpm, r.max_rpm, r.avg_resistance, r.max_resistance,
                   r.energy_kj, r.calories_kcal, r.hr_limit_bpm, r.hr_formula,
                   r.hr_zone_z1_s, r.hr_zone_z2_s, r.hr_zone_z3_s, r.hr_zone_z4_s, r.hr_zone_z5_s,
                   r.trimp, r.alerts_count
            FROM rides r JOIN users u USING (user_id)""",
        "riders": f"""
            SELECT u.user_id, {RIDER_NAME} AS rider_name, u.title, u.gender, u.date_of_birth,
                   date_part('year', age(current_date, u.date_of_birth))::int AS age_years_today,
                   u.height_cm, u.weight_kg, u.city, u.postcode_area, u.account_created_on,
                   u.original_source, count(r.ride_id) AS rides_count,
                   min(r.started_at) AS first_ride_at, max(r.started_at) AS last_ride_at
            FROM users u LEFT JOIN rides r USING (user_id)
            GROUP BY u.user_id""",
        "dates": """
            SELECT d::date AS date, extract(year FROM d)::int AS year,
                   extract(quarter FROM d)::int AS quarter, extract(month FROM d)::int AS month,
                   to_char(d, 'FMMonth') AS month_name, extract(week FROM d)::int AS iso_week,
                   extract(isodow FROM d)::int AS day_of_week, to_char(d, 'FMDay') AS day_name,
                   extract(isodow FROM d) >= 6 AS is_weekend
            FROM generate_series(coalesce((SELECT min(ride_date) FROM rides), current_date),
                                 current_date + 366, interval '1 day') AS d""",
        "daily_summary": """
            SELECT r.ride_date, count(*) AS rides_count, count(DISTINCT r.user_id) AS riders_count,
                   sum(r.duration_s) AS total_duration_s, sum(r.energy_kj) AS total_energy_kj,
                   sum(r.calories_kcal) AS total_calories_kcal, avg(r.avg_heart_rate) AS avg_heart_rate,
                   max(r.max_heart_rate) AS max_heart_rate, avg(r.avg_power) AS avg_power,
                   avg(r.duration_s) AS avg_duration_s, sum(r.alerts_count) AS alerts_count
            FROM rides r GROUP BY r.ride_date""",
        "leaderboard_rides_completed": per_rider.format(keys=BOARD_KEYS, expr="count(*)",
                                                        alias="rides_completed"),
        "leaderboard_total_energy": per_rider.format(keys=BOARD_KEYS, expr="sum(r.energy_kj)",
                                                     alias="total_energy_kj"),
        "leaderboard_total_riding_time": per_rider.format(keys=BOARD_KEYS, expr="sum(r.duration_s)",
                                                          alias="total_duration_s"),
        "leaderboard_avg_heart_rate": per_ride.format(keys=BOARD_KEYS, col="avg_heart_rate",
                                                      alias="avg_heart_rate"),
        "leaderboard_longest_ride": per_ride.format(keys=BOARD_KEYS, col="duration_s",
                                                    alias="duration_s"),
        "leaderboard_highest_power": per_ride.format(keys=BOARD_KEYS, col="max_power",
                                                     alias="max_power"),
        "leaderboard_avg_power": per_ride.format(keys=BOARD_KEYS, col="avg_power", alias="avg_power"),
        "leaderboard_avg_cadence": per_ride.format(keys=BOARD_KEYS, col="avg_rpm", alias="avg_rpm"),
    }


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    tz = str(ZoneInfo(current_app.config["DELOTON_TZ"]))  # a known zone name: safe to inline
    op.execute("CREATE SCHEMA IF NOT EXISTS analytics")
    for name, select in views(tz).items():
        op.execute(f"CREATE OR REPLACE VIEW analytics.{name} AS {select}")
    # Roles belong to the whole cluster, which many databases share: create it once.
    op.execute(f"""DO $$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
            CREATE ROLE {ROLE} NOLOGIN;
        END IF; END $$""")
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {ROLE}")
    op.execute(f"GRANT USAGE ON SCHEMA analytics TO {ROLE}")
    op.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO {ROLE}")
    # Views a later migration adds are readable too (they are created by this same owner).
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA analytics GRANT SELECT ON TABLES TO {ROLE}")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA analytics REVOKE SELECT ON TABLES FROM {ROLE}")
    op.execute("DROP SCHEMA IF EXISTS analytics CASCADE")
    # The role stays: other databases of the cluster may use it.
