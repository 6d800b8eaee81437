"""media in shared storage: the bytes in the database (media_blobs), transcripts on media

Revision ID: 0005
Revises: 0001
Create Date: 2026-12-01 09:30:00

Chained after 0001 on this branch; the merge puts it after the other branches' revisions.
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('media') as batch:
        batch.add_column(sa.Column('purpose', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('transcript', sa.Text(), nullable=True))
        batch.add_column(sa.Column('confidence', sa.Float(), nullable=True))
        batch.add_column(sa.Column('error', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('fetched_at', sa.DateTime(), nullable=True))
    op.create_table('media_blobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('media_row_id', sa.Integer(), nullable=False),
    sa.Column('variant', sa.String(length=16), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('path', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['media_row_id'], ['media.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('media_row_id', 'variant'),
    )


def downgrade() -> None:
    op.drop_table('media_blobs')
    with op.batch_alter_table('media') as batch:
        for name in ('fetched_at', 'error', 'confidence', 'transcript', 'purpose'):
            batch.drop_column(name)
