"""conversation: hand-offs to a person (转人工); a resident's "no" to 以后默认…？ remembered; a
second event place signed up by name (registrations.guest)

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-01 09:30:00

Written on the conversation branch on top of 0001; when branches merge, chain it after the
latest revision (only `down_revision` changes).
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('handoffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('said', sa.Text(), nullable=False),
    sa.Column('asked_at', sa.DateTime(), nullable=False),
    sa.Column('until', sa.DateTime(), nullable=False),
    sa.Column('staff', sa.String(length=64), nullable=True),
    sa.Column('released_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_handoffs_open', 'handoffs', ['released_at', 'asked_at'], unique=False)
    op.create_index('ix_handoffs_openid', 'handoffs', ['openid'], unique=False)
    with op.batch_alter_table('residents') as batch:
        batch.add_column(sa.Column('no_default_offer', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('registrations') as batch:
        batch.add_column(sa.Column('guest', sa.String(length=32), nullable=False, server_default=''))
        batch.drop_constraint('uq_registration_event_openid', type_='unique')
        batch.create_unique_constraint('uq_registration_event_openid_guest', ['event_id', 'openid', 'guest'])


def downgrade() -> None:
    with op.batch_alter_table('registrations') as batch:
        batch.drop_constraint('uq_registration_event_openid_guest', type_='unique')
        batch.create_unique_constraint('uq_registration_event_openid', ['event_id', 'openid'])
        batch.drop_column('guest')
    with op.batch_alter_table('residents') as batch:
        batch.drop_column('no_default_offer')
    op.drop_index('ix_handoffs_openid', table_name='handoffs')
    op.drop_index('ix_handoffs_open', table_name='handoffs')
    op.drop_table('handoffs')
