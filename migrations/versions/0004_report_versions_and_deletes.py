"""per-ride heart-rate reading count, report version and provisional state, ride deletion audit

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 07:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# Existing rides count their heart-rate readings from ride_readings; a ride stored without
# readings falls back to its zone seconds (one per heart-rate reading, when the rider has a limit).
BACKFILL_HR_COUNT = """
UPDATE rides SET hr_readings_count = CASE
    WHEN EXISTS (SELECT 1 FROM ride_readings x WHERE x.ride_id = rides.ride_id)
    THEN (SELECT count(*) FROM ride_readings x WHERE x.ride_id = rides.ride_id AND x.heart_rate > 0)
    ELSE hr_zone_z1_s + hr_zone_z2_s + hr_zone_z3_s + hr_zone_z4_s + hr_zone_z5_s END
"""

# analytics.daily_summary (PostgreSQL): its average heart rate as the report's, over every heart-rate
# reading of the day (was the mean of the rides' averages). Same columns, so CREATE OR REPLACE keeps grants.
DAILY_SUMMARY = """
CREATE OR REPLACE VIEW analytics.daily_summary AS
SELECT r.ride_date, count(*) AS rides_count, count(DISTINCT r.user_id) AS riders_count,
       sum(r.duration_s) AS total_duration_s, sum(r.energy_kj) AS total_energy_kj,
       sum(r.calories_kcal) AS total_calories_kcal, {avg_hr} AS avg_heart_rate,
       max(r.max_heart_rate) AS max_heart_rate, avg(r.avg_power) AS avg_power,
       avg(r.duration_s) AS avg_duration_s, sum(r.alerts_count) AS alerts_count
FROM rides r GROUP BY r.ride_date"""
WEIGHTED_HR = ("sum(r.avg_heart_rate * r.hr_readings_count) FILTER (WHERE r.avg_heart_rate IS NOT NULL)"
               " / nullif(sum(r.hr_readings_count) FILTER (WHERE r.avg_heart_rate IS NOT NULL), 0)")


def upgrade():
    with op.batch_alter_table('rides') as batch:
        batch.add_column(sa.Column('hr_readings_count', sa.Integer(), server_default='0', nullable=False))
    op.execute(BACKFILL_HR_COUNT)
    with op.batch_alter_table('daily_reports') as batch:
        batch.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch.add_column(sa.Column('status', sa.String(length=12), server_default='final', nullable=False))
        batch.add_column(sa.Column('in_progress', sa.Integer(), server_default='0', nullable=False))
    op.create_table('ride_deletions',
        sa.Column('deletion_id', sa.Integer(), nullable=False),
        sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('key_id', sa.Integer(), nullable=True),
        sa.Column('key_name', sa.String(length=100), nullable=False),
        sa.Column('key_prefix', sa.String(length=12), nullable=False),
        sa.Column('ride_id', sa.BigInteger(), nullable=False),
        sa.Column('bike_serial', sa.String(length=100), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ride_closed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('user_id', sa.BigInteger(), nullable=False),
        sa.Column('rider_name', sa.String(length=200), nullable=True),
        sa.Column('readings_deleted', sa.Integer(), nullable=False),
        sa.Column('alerts_kept', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('deletion_id'))
    op.create_index('ix_ride_deletions_started_at', 'ride_deletions', ['started_at'])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DAILY_SUMMARY.format(avg_hr=WEIGHTED_HR))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DAILY_SUMMARY.format(avg_hr="avg(r.avg_heart_rate)"))
    op.drop_index('ix_ride_deletions_started_at', table_name='ride_deletions')
    op.drop_table('ride_deletions')
    with op.batch_alter_table('daily_reports') as batch:
        for column in ('in_progress', 'status', 'version'):
            batch.drop_column(column)
    with op.batch_alter_table('rides') as batch:
        batch.drop_column('hr_readings_count')
