"""staff_users.session_version: raising it ends every earlier session of that member of staff

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-29 08:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_users') as batch:
        batch.add_column(sa.Column('session_version', sa.Integer(), nullable=False,
                                   server_default='0'))


def downgrade():
    with op.batch_alter_table('staff_users') as batch:
        batch.drop_column('session_version')
