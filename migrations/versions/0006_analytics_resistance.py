"""analytics: resistance per ride and the two resistance leaderboards

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-29 07:30:00

PostgreSQL only, like 0002: on SQLite (the embedded default) this migration does nothing. The views
are readable by deloton_analytics through 0002's default privileges.
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# The same rule as app/services/leaderboards.py (HIGH_RESISTANCE), written out so that this
# migration keeps meaning what it meant when it ran.
HIGH = 150
RIDER_NAME = "concat_ws(' ', u.first_name, left(u.last_name, 1) || '.')"
KEYS = f"r.ride_date, u.gender, r.age_band, r.user_id, {RIDER_NAME} AS rider_name"
# Seconds at high resistance of each ride (one reading a second); rides with none count 0.
HIGH_SECONDS = f"""(SELECT x.ride_id, count(*) AS high_resistance_s FROM ride_readings x
                    WHERE x.resistance >= {HIGH} GROUP BY x.ride_id)"""

VIEWS = {
    "ride_resistance": f"""
        SELECT r.ride_id, r.started_at, {KEYS}, r.duration_s, r.avg_resistance, r.max_resistance,
               coalesce(h.high_resistance_s, 0) AS high_resistance_s,
               round(100.0 * coalesce(h.high_resistance_s, 0) / nullif(r.readings_count, 0), 1)
                   AS high_resistance_pct
        FROM rides r JOIN users u USING (user_id) LEFT JOIN {HIGH_SECONDS} h USING (ride_id)""",
    "leaderboard_avg_resistance": f"""
        SELECT r.ride_id, r.started_at, {KEYS}, r.avg_resistance FROM rides r JOIN users u USING (user_id)
        WHERE r.avg_resistance IS NOT NULL ORDER BY r.avg_resistance DESC""",
    "leaderboard_high_resistance_time": f"""
        SELECT {KEYS}, sum(h.high_resistance_s) AS high_resistance_s
        FROM rides r JOIN users u USING (user_id) JOIN {HIGH_SECONDS} h USING (ride_id)
        GROUP BY r.ride_date, u.gender, r.age_band, r.user_id, u.first_name, u.last_name
        ORDER BY high_resistance_s DESC""",
}


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, select in VIEWS.items():
        op.execute(f"CREATE OR REPLACE VIEW analytics.{name} AS {select}")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS analytics.{name}")
