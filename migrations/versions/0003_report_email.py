"""daily_reports: the report email as sent or stored (no MAIL_SERVER)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('daily_reports') as batch:
        batch.add_column(sa.Column('email_to', sa.String(length=320), nullable=True))
        batch.add_column(sa.Column('email_status', sa.String(length=10), nullable=True))
        batch.add_column(sa.Column('email_subject', sa.String(length=300), nullable=True))
        batch.add_column(sa.Column('email_text', sa.Text(), nullable=True))
        batch.add_column(sa.Column('email_html', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('daily_reports') as batch:
        for column in ('email_html', 'email_text', 'email_subject', 'email_status', 'email_to'):
            batch.drop_column(column)
