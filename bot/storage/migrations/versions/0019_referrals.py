"""Referrals to and from outside desks (12345, property, utilities) with their outside reference

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'referrals',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('ticket_id', sa.Integer(), sa.ForeignKey('tickets.id', ondelete='CASCADE'), nullable=False),
        sa.Column('direction', sa.String(length=4), nullable=False),
        sa.Column('party', sa.String(length=32), nullable=False),
        sa.Column('party_name', sa.String(length=64), nullable=False),
        sa.Column('how', sa.String(length=8), nullable=False),
        sa.Column('outside_ref', sa.String(length=64), nullable=True),
        sa.Column('state', sa.String(length=8), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('reported_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("direction IN ('out', 'in')", name='ck_referrals_direction'),
        sa.CheckConstraint("how IN ('open311', 'webhook', 'phone')", name='ck_referrals_how'),
        sa.CheckConstraint("state IN ('pending', 'sent', 'open', 'closed', 'failed')", name='ck_referrals_state'),
    )
    op.create_index('ix_referrals_ticket_id', 'referrals', ['ticket_id'])
    op.create_index('ix_referrals_state', 'referrals', ['direction', 'state'])
    op.create_index('ix_referrals_out_ref', 'referrals', ['outside_ref'])
    op.create_index('uq_referrals_in_ref', 'referrals', ['party', 'outside_ref'], unique=True,
                    sqlite_where=sa.text("direction = 'in'"), postgresql_where=sa.text("direction = 'in'"))


def downgrade() -> None:
    op.drop_index('uq_referrals_in_ref', table_name='referrals')
    op.drop_index('ix_referrals_out_ref', table_name='referrals')
    op.drop_index('ix_referrals_state', table_name='referrals')
    op.drop_index('ix_referrals_ticket_id', table_name='referrals')
    op.drop_table('referrals')
