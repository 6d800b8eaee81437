"""Events can be cancelled: events.status (scheduled | cancelled, bot.domain.vocabulary.EventStatus)
and the reason staff gave, which the registered and wait-listed residents are told

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events') as batch:
        batch.add_column(sa.Column('status', sa.String(length=16), server_default='scheduled', nullable=False))
        batch.add_column(sa.Column('cancel_reason', sa.String(length=200), nullable=True))
        batch.create_check_constraint('ck_events_status', "status IN ('scheduled', 'cancelled')")


def downgrade() -> None:
    with op.batch_alter_table('events') as batch:
        batch.drop_constraint('ck_events_status', type_='check')
        batch.drop_column('cancel_reason')
        batch.drop_column('status')
