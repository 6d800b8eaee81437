"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26 17:44:54.766627
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

# The open statuses (bot.storage.models.OPEN_STATUSES): the workbench queues' partial index.
OPEN_PREDICATE = "status IN ('received', 'dispatched', 'accepted', 'triage', 'awaiting_callback')"


def upgrade() -> None:
    op.create_table('council_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('courtyard_id', sa.String(length=16), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('skills', sa.String(length=128), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('reachable', sa.Boolean(), nullable=False),
    sa.Column('unreachable_reason', sa.String(length=128), nullable=True),
    sa.Column('last_message_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('openid')
    )
    with op.batch_alter_table('council_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_council_members_courtyard_id'), ['courtyard_id'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=128), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('place', sa.String(length=128), nullable=False),
    sa.Column('courtyard_id', sa.String(length=16), nullable=True),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('reminder_sent', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('labelled_examples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('subcategory', sa.String(length=32), nullable=True),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('monthly_rates',
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('month')
    )
    op.create_table('residents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('courtyard_id', sa.String(length=16), nullable=True),
    sa.Column('unit', sa.String(length=64), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('name', sa.String(length=32), nullable=True),
    sa.Column('subscribed', sa.Boolean(), nullable=False),
    sa.Column('last_message_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('openid')
    )
    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('courtyard_id', sa.String(length=16), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=16), nullable=True),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('subcategory', sa.String(length=32), nullable=True),
    sa.Column('courtyard_id', sa.String(length=16), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('resident_openid', sa.String(length=64), nullable=True),
    sa.Column('assignee_openid', sa.String(length=64), nullable=True),
    sa.Column('assignee_name', sa.String(length=32), nullable=True),
    sa.Column('backup_openid', sa.String(length=64), nullable=True),
    sa.Column('dispatch_attempt', sa.Integer(), nullable=False),
    sa.Column('accept_due_at', sa.DateTime(), nullable=True),
    sa.Column('finish_due_at', sa.DateTime(), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('solved', sa.Boolean(), nullable=True),
    sa.Column('close_reason', sa.String(length=20), nullable=True),
    sa.Column('callback_missing', sa.Boolean(), nullable=False),
    sa.Column('referral', sa.String(length=128), nullable=True),
    sa.Column('duplicate_of', sa.String(length=16), nullable=True),
    sa.Column('published', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('dispatched_at', sa.DateTime(), nullable=True),
    sa.Column('accepted_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('last_activity_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('ref')
    )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tickets_assignee_openid'), ['assignee_openid'], unique=False)
        batch_op.create_index('ix_tickets_courtyard_created', ['courtyard_id', 'created_at'], unique=False)
        batch_op.create_index('ix_tickets_created', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_tickets_resident_openid'), ['resident_openid'], unique=False)
        batch_op.create_index('ix_tickets_status_accept_due', ['status', 'accept_due_at'], unique=False)
        batch_op.create_index('ix_tickets_status_activity', ['status', 'last_activity_at'], unique=False)
        batch_op.create_index('ix_tickets_open_activity', ['last_activity_at', 'id'], unique=False,
                              postgresql_where=sa.text(OPEN_PREDICATE), sqlite_where=sa.text(OPEN_PREDICATE))

    op.create_table('inbound_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dedup_key', sa.String(length=160), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('msg_type', sa.String(length=32), nullable=False),
    sa.Column('event', sa.String(length=32), nullable=True),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dedup_key')
    )
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbound_messages_openid'), ['openid'], unique=False)
        batch_op.create_index('ix_inbound_status', ['status', 'received_at'], unique=False)

    op.create_table('media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('media_id', sa.String(length=128), nullable=False),
    sa.Column('path', sa.String(length=255), nullable=True),
    sa.Column('content_type', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('pushes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('client_msg_id', sa.String(length=64), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('wechat_msgid', sa.String(length=32), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_msg_id')
    )
    with op.batch_alter_table('pushes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pushes_openid'), ['openid'], unique=False)
        batch_op.create_index(batch_op.f('ix_pushes_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pushes_wechat_msgid'), ['wechat_msgid'], unique=False)

    op.create_table('registrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('checked_in', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id', 'openid', name='uq_registration_event_openid')
    )
    op.create_table('ticket_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('actor_name', sa.String(length=32), nullable=True),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_events_kind_at', ['kind', 'at'], unique=False)
        batch_op.create_index('ix_ticket_events_ticket', ['ticket_id', 'id'], unique=False)
        batch_op.create_index('ix_ticket_events_at', ['at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_events_at')
        batch_op.drop_index('ix_ticket_events_ticket')
        batch_op.drop_index('ix_ticket_events_kind_at')

    op.drop_table('ticket_events')
    op.drop_table('registrations')
    with op.batch_alter_table('pushes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pushes_wechat_msgid'))
        batch_op.drop_index(batch_op.f('ix_pushes_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_pushes_openid'))

    op.drop_table('pushes')
    with op.batch_alter_table('media', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_ticket_id'))

    op.drop_table('media')
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_inbound_status')
        batch_op.drop_index(batch_op.f('ix_inbound_messages_openid'))

    op.drop_table('inbound_messages')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_open_activity')
        batch_op.drop_index('ix_tickets_status_activity')
        batch_op.drop_index('ix_tickets_status_accept_due')
        batch_op.drop_index(batch_op.f('ix_tickets_resident_openid'))
        batch_op.drop_index('ix_tickets_created')
        batch_op.drop_index('ix_tickets_courtyard_created')
        batch_op.drop_index(batch_op.f('ix_tickets_assignee_openid'))

    op.drop_table('tickets')
    op.drop_table('staff_users')
    op.drop_table('residents')
    op.drop_table('monthly_rates')
    op.drop_table('labelled_examples')
    op.drop_table('events')
    with op.batch_alter_table('council_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_council_members_courtyard_id'))

    op.drop_table('council_members')
