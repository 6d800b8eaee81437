"""FAQ entries and outside parties in the database, seeded once from the config (`[[faq]]`,
`[outside_parties.*]`); `communities.reference_seeded` says the copy was made.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: a batch copy of `communities` on SQLite (foreign keys on) would cascade-delete
    # every courtyard, member and invitation hanging off it.
    op.add_column('communities',
                  sa.Column('reference_seeded', sa.Boolean(), server_default=sa.text('false'), nullable=False))
    op.create_table(
        'faq_entries',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('community_id', sa.Integer(), sa.ForeignKey('communities.id', ondelete='CASCADE'), nullable=False),
        sa.Column('patterns', sa.JSON(), nullable=False),
        sa.Column('places', sa.JSON(), nullable=False),
        sa.Column('answer', sa.String(length=2000), nullable=False),
        sa.Column('position', sa.Integer(), server_default='0', nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_faq_entries_community_id', 'faq_entries', ['community_id'])
    op.create_table(
        'outside_parties',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('community_id', sa.Integer(), sa.ForeignKey('communities.id', ondelete='CASCADE'), nullable=False),
        sa.Column('key', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('openid', sa.String(length=64), nullable=False),
        sa.Column('subcategories', sa.String(length=256), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.UniqueConstraint('community_id', 'key', name='uq_outside_parties_community_key'),
    )


def downgrade() -> None:
    op.drop_table('outside_parties')
    op.drop_index('ix_faq_entries_community_id', table_name='faq_entries')
    op.drop_table('faq_entries')
    op.drop_column('communities', 'reference_seeded')  # SQLite ≥ 3.35 drops a column in place
