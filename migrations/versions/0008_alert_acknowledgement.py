"""hr_alerts.acknowledged_by, acknowledged_at, acknowledgement_note: staff acknowledge alerts

Revision ID: 0008
Revises: 0005
Create Date: 2026-11-29 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('hr_alerts') as batch:
        batch.add_column(sa.Column('acknowledged_by', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('acknowledgement_note', sa.String(length=500), nullable=True))
        batch.create_foreign_key('hr_alerts_acknowledged_by_fkey', 'staff_users',
                                 ['acknowledged_by'], ['staff_id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('hr_alerts') as batch:
        batch.drop_constraint('hr_alerts_acknowledged_by_fkey', type_='foreignkey')
        batch.drop_column('acknowledgement_note')
        batch.drop_column('acknowledged_at')
        batch.drop_column('acknowledged_by')
