"""The open-ticket queue index leads with `urgent`: the workbench lists urgent tickets first

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

OPEN_PREDICATE = "status IN ('received', 'dispatched', 'accepted', 'triage', 'awaiting_callback')"


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_open_activity')
        batch_op.create_index('ix_tickets_open_urgent_activity', ['urgent', 'last_activity_at', 'id'], unique=False,
                              postgresql_where=sa.text(OPEN_PREDICATE), sqlite_where=sa.text(OPEN_PREDICATE))


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_open_urgent_activity')
        batch_op.create_index('ix_tickets_open_activity', ['last_activity_at', 'id'], unique=False,
                              postgresql_where=sa.text(OPEN_PREDICATE), sqlite_where=sa.text(OPEN_PREDICATE))
