"""CHECK constraints: statuses, close reasons, event and push kinds hold to bot.domain.vocabulary

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:20:00
"""

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# Frozen here as they were at this revision: a later value needs a later migration (the storage
# tests insert every enum value and fail until it exists).
CHECKS = {
    "tickets": {
        "ck_tickets_status": "status IN ('received', 'dispatched', 'accepted', 'triage', 'awaiting_callback', 'closed')",
        "ck_tickets_close_reason": "close_reason IS NULL OR close_reason IN ('resolved', 'answered', 'not_responsible', 'duplicate', 'withdrawn', 'unable_to_fix')",
    },
    "ticket_events": {
        "ck_ticket_events_kind": "kind IN ('received', 'dispatched', 'accepted', 'returned', 'progress', 'finished', 'closed', 'reopened', 'note', 'reclassified', 'moved', 'reassigned', 'staff_reply', 'dispatch_requested', 'redispatch_requested', 'dispatch_skipped', 'triage', 'moved_to_triage', 'published', 'unpublished', 'media_attached', 'photo_attached', 'reminder', 'escalated', 'callback', 'callback_missing', 'push_failed', 'receiver_unreachable', 'outside_notified')",
    },
    "pushes": {
        "ck_pushes_kind": "kind IN ('task', 'notice', 'reminder', 'escalation', 'callback', 'outside', 'triage', 'alert', 'event_reminder', 'reply')",
        "ck_pushes_status": "status IN ('pending', 'sent', 'delivered', 'failed')",
    },
}


def upgrade() -> None:
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for name, condition in checks.items():
                batch.create_check_constraint(name, condition)


def downgrade() -> None:
    for table, checks in CHECKS.items():
        with op.batch_alter_table(table) as batch:
            for name in checks:
                batch.drop_constraint(name, type_="check")
