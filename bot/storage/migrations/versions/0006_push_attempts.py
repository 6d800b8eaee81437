"""pushes.custom_tried_at: a customer-service send was attempted (its outcome may be unknown)

WeChat's customer-service messages have no idempotency key, so the attempt is recorded before the
send; a push with this set is never sent as a customer-service message again (bot.services.push.send).

Revision ID: 0006
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pushes') as batch:
        batch.add_column(sa.Column('custom_tried_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('pushes') as batch:
        batch.drop_column('custom_tried_at')
