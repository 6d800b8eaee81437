"""Issue 21 at street scale (bench/street.py, 1M tickets in 20 communities): (urgent, id) for the JSON
API's ticket list, which sorted every ticket (or a community's 50,000) for each page.

Composite indexes with community_id first — (community_id, urgent, id), (community_id, created_at),
ticket_events (community_id, at) — were measured too and left out: PostgreSQL's planner kept
choosing the time-ordered single-column indexes over them (a community's rows are spread over every
page of a shared table, so it prices them as random reads; docs/BENCHMARKS.md).

Revision ID: 0021
Revises: 0020
"""

from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_tickets_urgent_id', 'tickets', ['urgent', 'id'])


def downgrade() -> None:
    op.drop_index('ix_tickets_urgent_id', 'tickets')
