"""Delivery reports and counts for recorded pushes (TEMPLATESENDJOBFINISH comes in through the webhook)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.services.tickets.lifecycle import add_event
from bot.storage.models import CouncilMember, Push, Ticket

DELIVERED, FAILED = "delivered", "failed"  # as in bot.services.push.send


def record_delivery(session: Session, msg_id: str | int | None, status: str) -> bool:
    """TEMPLATESENDJOBFINISH: `status` is "success", "failed:user block" or "failed: system failed".
    Called by the webhook inside its session; True when the push was found."""
    if not msg_id:
        return False
    push = session.scalars(select(Push).where(Push.wechat_msgid == str(msg_id))).first()
    if push is None:
        return False
    ok = status.strip().lower() == "success"
    push.status = DELIVERED if ok else FAILED
    if not ok:
        push.error = status
        ticket = session.get(Ticket, push.ticket_id) if push.ticket_id else None
        if ticket is not None:
            add_event(session, ticket, "push_failed", note=f"{push.kind} 消息未送达：{status}",
                      data={"push_id": push.id, "kind": push.kind, "error": status})
        if "block" in status.lower():
            row = session.scalars(select(CouncilMember).where(CouncilMember.openid == push.openid)).first()
            if row is not None:
                row.reachable, row.unreachable_reason = False, "43019"
    return True


def push_counts(session: Session, ticket_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Push.status, func.count()).where(Push.ticket_id == ticket_id).group_by(Push.status)
    ).all()
    return {status: n for status, n in rows}
