"""A council member leaves: deactivated, and each of his open tasks goes at once to the next
member by the routing rules (or to staff triage), the resident and the new assignee are told.

Routed in the same transaction with a directory that no longer holds him, so no process whose
directory cache is a moment old can hand a task back to him; his task links die with his entry
in the directory (bot.services.push.links reads the members from it).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from bot.domain import texts
from bot.services.community import members
from bot.services.dispatch.assign import dispatch_now
from bot.services.push.send import queue_push
from bot.services.tickets.lifecycle import add_event
from bot.services.uow import audit
from bot.services.uow.steward import Steward
from bot.storage.models import Ticket


def member_leaves(steward: Steward, member_id: int, actor: str = "system", address: str | None = None) -> list[str]:
    """Deactivate the member; returns the refs of the tasks handed on."""
    config = steward.config
    moved: list[str] = []
    with steward.session() as s:
        row = members.deactivate(s, steward.file_config, member_id)
        openid = row.openid
        entry = audit.record(s, actor, "member_remove", f"理事会成员 {row.name}（{row.courtyard_id}，编号 {row.id}）",
                             {"active": True}, {"active": False}, address)
        if openid is None:
            return moved
        without = replace(config, members=tuple(m for m in config.members if m.openid != openid))
        open_tasks = s.scalars(select(Ticket).where(Ticket.assignee_openid == openid,
                                                    Ticket.status.in_(("dispatched", "accepted")))
                               .order_by(Ticket.id).with_for_update()).all()
        for ticket in open_tasks:
            add_event(s, ticket, "redispatch_requested", actor=actor, note=f"{row.name}已离任，按规则转派",
                      data={"attempt": ticket.dispatch_attempt + 1, "left": row.id})
            ticket.dispatch_attempt += 1
            outcome = dispatch_now(s, without, ticket, ticket.dispatch_attempt, None)
            if outcome == "dispatched" and ticket.resident_openid:
                content, text = texts.notice_dispatched(without, ticket, ticket.assignee_name, again=True)
                queue_push(s, without, ticket=ticket, openid=ticket.resident_openid, kind="notice",
                           tag=f"left{ticket.dispatch_attempt}", content=content, text=text)
            moved.append(ticket.ref or str(ticket.id))
        entry.after = {"active": False, "handed_on": moved}
    return moved
