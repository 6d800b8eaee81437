"""The working-day calendar (holidays, 调休 make-up days) and 每月一题 tracked problems

Revision ID: 0007
Revises: 0002
Create Date: 2026-12-01 09:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'calendar_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('holiday', 'workday')", name='ck_calendar_days_kind'),
        sa.PrimaryKeyConstraint('day'),
    )
    op.create_table(
        'monthly_problems',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('courtyard_id', sa.String(length=16), nullable=True),
        sa.Column('category', sa.String(length=16), nullable=False),
        sa.Column('subcategory', sa.String(length=32), nullable=True),
        sa.Column('title', sa.String(length=128), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('confirmed_by', sa.String(length=64), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('month', 'courtyard_id', name='uq_monthly_problem_month_courtyard'),
    )
    op.create_index('ix_monthly_problems_month', 'monthly_problems', ['month'])
    op.create_table(
        'monthly_problem_tickets',
        sa.Column('problem_id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['problem_id'], ['monthly_problems.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('problem_id', 'ticket_id'),
    )


def downgrade() -> None:
    op.drop_table('monthly_problem_tickets')
    op.drop_index('ix_monthly_problems_month', table_name='monthly_problems')
    op.drop_table('monthly_problems')
    op.drop_table('calendar_days')
