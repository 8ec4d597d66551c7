"""warehouse tables

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 22:55:28.561438

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('api_keys',
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('key_prefix', sa.String(length=12), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key_id'),
    sa.UniqueConstraint('key_hash')
    )
    op.create_table('daily_reports',
    sa.Column('report_date', sa.Date(), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('headline', sa.JSON(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('report_date')
    )
    op.create_table('staff_users',
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('password_hash', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('staff_id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('users',
    sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=20), nullable=True),
    sa.Column('first_name', sa.String(length=200), nullable=True),
    sa.Column('last_name', sa.String(length=200), nullable=True),
    sa.Column('gender', sa.String(length=50), nullable=True),
    sa.Column('date_of_birth', sa.Date(), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('height_cm', sa.Float(), nullable=True),
    sa.Column('weight_kg', sa.Float(), nullable=True),
    sa.Column('address_line1', sa.String(length=300), nullable=True),
    sa.Column('address_line2', sa.String(length=300), nullable=True),
    sa.Column('city', sa.String(length=200), nullable=True),
    sa.Column('postcode', sa.String(length=20), nullable=True),
    sa.Column('postcode_area', sa.String(length=4), nullable=True),
    sa.Column('account_created_on', sa.Date(), nullable=True),
    sa.Column('original_source', sa.String(length=100), nullable=True),
    sa.Column('details_from_ride_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('rides',
    sa.Column('ride_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('bike_serial', sa.String(length=100), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ride_date', sa.Date(), nullable=False),
    sa.Column('duration_s', sa.Integer(), nullable=False),
    sa.Column('readings_count', sa.Integer(), nullable=False),
    sa.Column('avg_heart_rate', sa.Float(), nullable=True),
    sa.Column('min_heart_rate', sa.Integer(), nullable=True),
    sa.Column('max_heart_rate', sa.Integer(), nullable=False),
    sa.Column('avg_power', sa.Float(), nullable=False),
    sa.Column('max_power', sa.Float(), nullable=False),
    sa.Column('avg_rpm', sa.Float(), nullable=False),
    sa.Column('max_rpm', sa.Integer(), nullable=False),
    sa.Column('avg_resistance', sa.Float(), nullable=False),
    sa.Column('max_resistance', sa.Integer(), nullable=False),
    sa.Column('energy_kj', sa.Float(), nullable=False),
    sa.Column('calories_kcal', sa.Float(), nullable=False),
    sa.Column('age_years', sa.Integer(), nullable=True),
    sa.Column('age_band', sa.String(length=10), nullable=True),
    sa.Column('hr_limit_bpm', sa.Float(), nullable=True),
    sa.Column('hr_formula', sa.String(length=10), nullable=False),
    sa.Column('hr_zone_z1_s', sa.Integer(), nullable=False),
    sa.Column('hr_zone_z2_s', sa.Integer(), nullable=False),
    sa.Column('hr_zone_z3_s', sa.Integer(), nullable=False),
    sa.Column('hr_zone_z4_s', sa.Integer(), nullable=False),
    sa.Column('hr_zone_z5_s', sa.Integer(), nullable=False),
    sa.Column('trimp', sa.Float(), nullable=False),
    sa.Column('alerts_count', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.user_id'], ),
    sa.PrimaryKeyConstraint('ride_id'),
    sa.UniqueConstraint('bike_serial', 'started_at', name='uq_rides_bike_start')
    )
    with op.batch_alter_table('rides', schema=None) as batch_op:
        batch_op.create_index('ix_rides_ride_date', ['ride_date'], unique=False)
        batch_op.create_index('ix_rides_started_at', ['started_at'], unique=False)
        batch_op.create_index('ix_rides_user_started', ['user_id', 'started_at'], unique=False)

    op.create_table('hr_alerts',
    sa.Column('alert_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bike_serial', sa.String(length=100), nullable=False),
    sa.Column('ride_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_s', sa.Integer(), nullable=False),
    sa.Column('ride_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('heart_rate', sa.SmallInteger(), nullable=False),
    sa.Column('hr_limit_bpm', sa.Float(), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('subject', sa.String(length=300), nullable=True),
    sa.Column('body_text', sa.Text(), nullable=True),
    sa.Column('body_html', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ride_id'], ['rides.ride_id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('alert_id'),
    sa.UniqueConstraint('bike_serial', 'ride_started_at', 'duration_s', name='uq_hr_alerts_reading')
    )
    with op.batch_alter_table('hr_alerts', schema=None) as batch_op:
        batch_op.create_index('ix_hr_alerts_raised_at', ['raised_at'], unique=False)

    op.create_table('ride_readings',
    sa.Column('ride_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('duration_s', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('heart_rate', sa.SmallInteger(), nullable=False),
    sa.Column('rpm', sa.SmallInteger(), nullable=False),
    sa.Column('power', sa.Float(), nullable=False),
    sa.Column('resistance', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['ride_id'], ['rides.ride_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('ride_id', 'duration_s')
    )
    


def downgrade():
    
    op.drop_table('ride_readings')
    with op.batch_alter_table('hr_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_hr_alerts_raised_at')

    op.drop_table('hr_alerts')
    with op.batch_alter_table('rides', schema=None) as batch_op:
        batch_op.drop_index('ix_rides_user_started')
        batch_op.drop_index('ix_rides_started_at')
        batch_op.drop_index('ix_rides_ride_date')

    op.drop_table('rides')
    op.drop_table('users')
    op.drop_table('staff_users')
    op.drop_table('daily_reports')
    op.drop_table('api_keys')
    
