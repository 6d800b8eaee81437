"""Staff-side intake (电话、来访、走访、12345): how a ticket entered when it did not come through WeChat

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'ticket_intakes',
        sa.Column('ticket_id', sa.Integer(), sa.ForeignKey('tickets.id', ondelete='CASCADE'), primary_key=True),
        sa.Column('channel', sa.String(length=8), nullable=False),
        sa.Column('resident_name', sa.String(length=32), nullable=True),
        sa.Column('resident_phone', sa.String(length=20), nullable=True),
        sa.Column('photos', sa.JSON(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("channel IN ('电话', '来访', '走访', '12345', '其他')", name='ck_ticket_intakes_channel'),
    )
    op.create_index('ix_ticket_intakes_resident_phone', 'ticket_intakes', ['resident_phone'])
    op.create_index('ix_ticket_intakes_created', 'ticket_intakes', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_ticket_intakes_created', table_name='ticket_intakes')
    op.drop_index('ix_ticket_intakes_resident_phone', table_name='ticket_intakes')
    op.drop_table('ticket_intakes')
