"""Issue 23: this deployment's id (in every client_msg_id) and the webhook query strings used while
Redis was away (replay protection that does not depend on Redis alone)

Revision ID: 0014
Revises: 0013
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    deployment = op.create_table(
        'deployment',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('deployment_id', sa.String(length=16), nullable=False),
    )
    op.bulk_insert(deployment, [{'id': 1, 'deployment_id': secrets.token_hex(4)}])
    op.create_table(
        'used_queries',
        sa.Column('query_hash', sa.String(length=64), primary_key=True),
        sa.Column('body_digest', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
    )
    op.create_index('ix_used_queries_expires_at', 'used_queries', ['expires_at'])


def downgrade() -> None:
    op.drop_index('ix_used_queries_expires_at', table_name='used_queries')
    op.drop_table('used_queries')
    op.drop_table('deployment')
