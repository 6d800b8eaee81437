"""Widen the CHECK constraints to this round's statuses and kinds (bot.domain.vocabulary)

Revision ID: 0010
Revises: 0006
"""

import runpy
from pathlib import Path

from alembic import op

revision = '0010'
down_revision = '0006'
branch_labels = None
depends_on = None

CHECKS = {
    "tickets": {
        "ck_tickets_status": "status IN ('received', 'dispatched', 'accepted', 'triage', 'awaiting_callback', 'closed')",
        "ck_tickets_close_reason": "close_reason IS NULL OR close_reason IN ('resolved', 'answered', 'not_responsible', 'duplicate', 'withdrawn', 'unable_to_fix')",
    },
    "ticket_events": {
        "ck_ticket_events_kind": "kind IN ('received', 'dispatched', 'accepted', 'returned', 'progress', 'finished', 'closed', 'reopened', 'note', 'reclassified', 'moved', 'reassigned', 'staff_reply', 'dispatch_requested', 'redispatch_requested', 'dispatch_skipped', 'triage', 'moved_to_triage', 'published', 'public_summary', 'unpublished', 'media_attached', 'photo_attached', 'reminder', 'escalated', 'callback', 'callback_missing', 'push_failed', 'push_unknown', 'receiver_unreachable', 'outside_notified', 'emergency_reported', 'chased', 'withdrawn_notice', 'resident_followup')",
    },
    "pushes": {
        "ck_pushes_kind": "kind IN ('task', 'notice', 'reminder', 'escalation', 'callback', 'outside', 'triage', 'alert', 'event_reminder', 'reply', 'emergency', 'handoff')",
        "ck_pushes_status": "status IN ('pending', 'sent', 'delivered', 'failed', 'unknown')",
    },
}


def _replace(checks: dict[str, dict[str, str]]) -> None:
    for table, named in checks.items():
        with op.batch_alter_table(table) as batch:
            for name, condition in named.items():
                batch.drop_constraint(name, type_="check")
                batch.create_check_constraint(name, condition)


def upgrade() -> None:
    _replace(CHECKS)


def downgrade() -> None:
    # Back to the lists of 0002 (the file is not importable as a module: its name starts with a digit).
    _replace(runpy.run_path(str(Path(__file__).with_name("0002_checks.py")))["CHECKS"])
