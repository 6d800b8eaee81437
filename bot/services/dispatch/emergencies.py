"""Emergencies after the words are understood: staff alerted at once, an open ticket escalated,
and an urgent ticket nobody accepts in time chased (backup member, staff, the resident told).

All of it writes events and push rows inside the caller's session (sent after commit by the
outbox); the chase runs from the periodic sweep and is idempotent by its `chased` event.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain import deadlines, routing
from bot.domain import emergency_texts as texts
from bot.domain.clock import utcnow
from bot.domain.vocabulary import EventKind, PushKind
from bot.services.push.links import action_link
from bot.services.push.send import queue_push
from bot.services.tickets.lifecycle import add_event
from bot.services.uow.steward import Steward
from bot.storage.models import Ticket, TicketEvent

log = logging.getLogger(__name__)

WHY = {
    "person": "有人身处危险（摔倒、晕倒、受伤）。", "lift": "有人被困电梯。", "fire": "着火或冒烟。", "gas": "燃气泄漏。",
    "power": "漏电或电线危险。", "manhole": "井盖缺失，有人掉落的危险。", "flood": "水淹或爆管。", "wire": "楼道飞线充电。",
    "collapse": "有塌落的危险。", "danger": "居民报告险情。",
}


def alert_staff(session: Session, config: Config, ticket: Ticket, kind: str | None, tag: str = "new") -> int:
    """【紧急】to every staff member's WeChat, once per ticket and tag."""
    session.flush()
    content, text = texts.staff_alert(config, ticket, WHY.get(kind or "danger", WHY["danger"]))
    for openid in config.staff_openids:
        queue_push(session, config, ticket=ticket, openid=openid, kind=PushKind.emergency.value, tag=tag,
                   content=content, text=text)
    return len(config.staff_openids)


def escalate(session: Session, config: Config, ticket: Ticket, said: str, kind: str | None, actor: str) -> None:
    """The resident reports danger about a ticket already open: it becomes urgent (1 h to accept
    when not yet accepted), its member and staff hear of it now."""
    was_urgent = ticket.urgent
    ticket.urgent = True
    now = utcnow()
    if ticket.status == "dispatched":
        ticket.accept_due_at = min(ticket.accept_due_at or now,
                                   deadlines.accept_due(config, ticket.category, ticket.subcategory, True, now))
    event = add_event(session, ticket, EventKind.emergency_reported.value, actor=actor, note=said[:200],
                      data={"kind": kind, "was_urgent": was_urgent})
    session.flush()
    holders = [o for o in (ticket.assignee_openid, ticket.backup_openid) if o]
    if not holders and (chair := routing.chair_of(config, ticket.courtyard_id)) is not None:
        holders = [chair.openid]  # nobody holds it yet: the chair hands it on now
    for openid in dict.fromkeys(holders):
        link = action_link(config, ticket.id, openid)
        content, text = texts.escalated_task(config, ticket, said, link)
        queue_push(session, config, ticket=ticket, openid=openid, kind=PushKind.emergency.value, tag=f"e{event.id}",
                   content=content, text=text, url=link)
    alert_staff(session, config, ticket, kind, tag=f"e{event.id}")


def chase_unaccepted(steward: Steward) -> int:
    """Urgent tickets dispatched `emergency.chase_minutes` ago and still not accepted: to the backup
    (else the rest of the council) and staff; the resident is told it is being chased. Once per attempt."""
    config = steward.config
    minutes = config.emergency.chase_minutes
    cutoff = utcnow() - timedelta(minutes=minutes)
    with steward.session() as s:
        rows = list(s.scalars(select(Ticket).where(Ticket.urgent.is_(True), Ticket.status == "dispatched",
                                                   Ticket.dispatched_at <= cutoff)))
        done = {(tid, (data or {}).get("attempt")) for tid, data in s.execute(
            select(TicketEvent.ticket_id, TicketEvent.data).where(
                TicketEvent.kind == EventKind.chased.value, TicketEvent.ticket_id.in_([t.id for t in rows])))}
        n = 0
        for ticket in rows:
            if (ticket.id, ticket.dispatch_attempt) in done:
                continue
            _chase(s, config, ticket, minutes)
            n += 1
    return n


def _chase(s: Session, config: Config, ticket: Ticket, minutes: float) -> None:
    attempt = ticket.dispatch_attempt
    others = [m.openid for m in config.council(ticket.courtyard_id or "") if m.openid != ticket.assignee_openid]
    targets = [ticket.backup_openid] if ticket.backup_openid else others
    chair = routing.chair_of(config, ticket.courtyard_id)
    if chair and chair.openid != ticket.assignee_openid:
        targets.append(chair.openid)
    targets = list(dict.fromkeys(o for o in targets if o))
    add_event(s, ticket, EventKind.chased.value, note=f"紧急工单 {minutes:g} 分钟无人接单，已转备岗并通知社区",
              data={"attempt": attempt, "to": len(targets), "staff": len(config.staff_openids)})
    for openid in targets:
        link = action_link(config, ticket.id, openid)
        content, text = texts.chase_task(config, ticket, minutes, link)
        queue_push(s, config, ticket=ticket, openid=openid, kind=PushKind.emergency.value, tag=f"chase{attempt}",
                   content=content, text=text, url=link)
    content, text = texts.chase_staff(config, ticket, minutes, ticket.assignee_name)
    for openid in config.staff_openids:
        queue_push(s, config, ticket=ticket, openid=openid, kind=PushKind.escalation.value, tag=f"chase{attempt}",
                   content=content, text=text)
    if ticket.resident_openid:
        content, text = texts.chase_resident(config, ticket)
        queue_push(s, config, ticket=ticket, openid=ticket.resident_openid, kind=PushKind.notice.value,
                   tag=f"chase{attempt}", content=content, text=text)
    log.info("ticket %s: urgent and unaccepted, chased", ticket.ref)
