"""Issue 26: a resident's urge (催办) is an event on the ticket: widen the event kinds' CHECK

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

BEFORE = "kind IN ('received', 'dispatched', 'accepted', 'returned', 'progress', 'finished', 'closed', 'reopened', 'note', 'reclassified', 'moved', 'reassigned', 'staff_reply', 'dispatch_requested', 'redispatch_requested', 'dispatch_skipped', 'triage', 'moved_to_triage', 'published', 'public_summary', 'unpublished', 'media_attached', 'photo_attached', 'reminder', 'escalated', 'callback', 'callback_missing', 'push_failed', 'push_unknown', 'receiver_unreachable', 'outside_notified', 'emergency_reported', 'chased', 'withdrawn_notice', 'resident_followup')"
AFTER = "kind IN ('received', 'dispatched', 'accepted', 'returned', 'progress', 'finished', 'closed', 'reopened', 'note', 'reclassified', 'moved', 'reassigned', 'staff_reply', 'dispatch_requested', 'redispatch_requested', 'dispatch_skipped', 'triage', 'moved_to_triage', 'published', 'public_summary', 'unpublished', 'media_attached', 'photo_attached', 'reminder', 'escalated', 'callback', 'callback_missing', 'push_failed', 'push_unknown', 'receiver_unreachable', 'outside_notified', 'emergency_reported', 'chased', 'withdrawn_notice', 'resident_followup', 'urged')"


def _kinds(condition: str) -> None:
    with op.batch_alter_table("ticket_events") as batch:
        batch.drop_constraint("ck_ticket_events_kind", type_="check")
        batch.create_check_constraint("ck_ticket_events_kind", condition)


def upgrade() -> None:
    _kinds(AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM ticket_events WHERE kind = 'urged'")
    _kinds(BEFORE)
