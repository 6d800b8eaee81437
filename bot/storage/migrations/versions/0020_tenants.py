"""Issue 21: communities as tenants — every row a community owns carries `community_id`

Today's one-community deployment becomes community 1 in place: each new column's server default is
1, so every existing row lands in it. On PostgreSQL each tenant table also gets a row-level
security policy on the `steward.scope` setting (enforced once the app connects as a role that does
not own the tables; see bot/storage/tenancy.py).

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

# Tables that gain the column; the directory's own tables (courtyards, council_members,
# member_invitations, faq_entries, outside_parties) have had it since 0013 and 0018.
NEW = ('residents', 'tickets', 'ticket_events', 'inbound_messages', 'pushes', 'media', 'events', 'registrations',
       'monthly_problems', 'handoffs', 'referrals', 'ticket_intakes', 'audit_log')
POLICED = NEW + ('courtyards', 'council_members', 'member_invitations', 'faq_entries', 'outside_parties')
# '*': the deployment (every community); a list of ids: those; unset or empty: nothing. NULLIF: the
# list is cast to int[] even when the first test already holds.
POLICY = ("current_setting('steward.scope', true) = '*' OR community_id = ANY "
          "(string_to_array(NULLIF(current_setting('steward.scope', true), '*'), ',')::int[])")


def upgrade() -> None:
    for table in NEW:
        op.add_column(table, sa.Column('community_id', sa.Integer(), nullable=False, server_default='1'))
        op.create_index(f'ix_{table}_community_id', table, ['community_id'])
    op.add_column('communities', sa.Column('key', sa.String(length=32), nullable=True))
    op.add_column('communities', sa.Column('account', sa.JSON(), nullable=True))
    op.execute("UPDATE communities SET key = CAST(id AS VARCHAR(32))")
    op.create_index('ix_communities_key', 'communities', ['key'], unique=True)
    op.add_column('staff_users', sa.Column('community_id', sa.Integer(), nullable=True))
    op.add_column('api_tokens', sa.Column('community_id', sa.Integer(), nullable=True))
    # Staff, council accounts and tokens made before belonged to the one community; admins see all.
    op.execute("UPDATE staff_users SET community_id = 1 WHERE role <> 'admin'")
    op.execute("UPDATE api_tokens SET community_id = 1")
    if op.get_bind().dialect.name == 'postgresql':
        for table in POLICED:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"CREATE POLICY {table}_tenant ON {table} USING ({POLICY})")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for table in POLICED:
            op.execute(f"DROP POLICY IF EXISTS {table}_tenant ON {table}")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    # Plain DROP COLUMN (SQLite 3.35+): a batch copy of `communities` would cascade its courtyards away.
    for table, column in (('api_tokens', 'community_id'), ('staff_users', 'community_id'),
                          ('communities', 'account')):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.drop_index('ix_communities_key', 'communities')
    op.execute("ALTER TABLE communities DROP COLUMN key")
    for table in reversed(NEW):
        op.drop_index(f'ix_{table}_community_id', table)
        op.execute(f"ALTER TABLE {table} DROP COLUMN community_id")
