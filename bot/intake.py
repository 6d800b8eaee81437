"""From a stored inbound message to a reply: context, decision, actions in one transaction.

The raw message is committed before anything else (see webhook), so a failure here loses
nothing: the row stays `failed` with its error and `steward replay` runs it again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

import handlers
from bot.actions import EXECUTORS
from bot.clock import utcnow
from bot.models import CouncilMember as MemberRow
from bot.models import Event, InboundMessage, Resident, Ticket
from bot.sandbox import note_inbound
from bot.state import Steward
from bot.wechat.messages import to_inbound
from bot.wechat.security import parse_xml
from handlers.base import Context, Decision, EventView, Inbound, Outcome, TicketView
from handlers.replies import compose

log = logging.getLogger(__name__)

DIALOGUE_KEY = "steward:dialogue:{}"


@dataclass
class Run:
    """What one message's processing needs to carry out after its transaction commits."""

    steward: Steward
    msg: Inbound
    session: Session
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    ticket_ids: list[int] = field(default_factory=list)


def load_state(steward: Steward, openid: str) -> dict:
    try:
        raw = steward.redis.get(DIALOGUE_KEY.format(openid))
    except Exception:  # Redis down: carry on without dialogue memory rather than fail the message
        log.warning("dialogue state unavailable", exc_info=True)
        return {}
    return json.loads(raw) if raw else {}


def save_state(steward: Steward, openid: str, state: dict | None) -> None:
    key = DIALOGUE_KEY.format(openid)
    try:
        if state:
            steward.redis.set(key, json.dumps(state, ensure_ascii=False), ex=steward.config.dialogue_ttl)
        else:
            steward.redis.delete(key)
    except Exception:
        log.warning("could not save dialogue state", exc_info=True)


def _view(t: Ticket) -> TicketView:
    return TicketView(
        ref=t.ref or "",
        status=t.status,
        category=t.category,
        courtyard=t.courtyard_id,
        text=t.text,
        created_at=t.created_at,
        assignee=t.assignee_openid,
    )


def build_context(session: Session, steward: Steward, msg: Inbound, resident: Resident) -> Context:
    from bot import tickets

    cfg = steward.config
    now = utcnow()
    mine = tickets.open_tickets_of(session, msg.openid)
    upcoming = session.scalars(
        select(Event).where(Event.starts_at >= now).order_by(Event.starts_at).limit(10)
    ).all()
    events = []
    for ev in upcoming:
        regs = [r for r in ev.registrations if r.status == "registered"]
        mine_reg = any(r.openid == msg.openid and r.status != "cancelled" for r in ev.registrations)
        events.append(
            EventView(ev.id, ev.title, ev.starts_at, ev.place, ev.capacity, len(regs), ev.courtyard_id, mine_reg)
        )
    member = cfg.member(msg.openid)
    if member is not None:
        row = session.scalars(select(MemberRow).where(MemberRow.openid == msg.openid)).first()
        if row is not None and not row.active:
            member = None
    return Context(
        config=cfg,
        courtyard=resident.courtyard_id,
        state=load_state(steward, msg.openid),
        member=member,
        open_tickets=[_view(t) for t in mine],
        awaiting_callback=[_view(t) for t in mine if t.status == "awaiting_callback"],
        events=events,
        now=now,
    )


def touch_resident(session: Session, msg: Inbound) -> Resident:
    resident = session.scalars(select(Resident).where(Resident.openid == msg.openid)).first()
    now = utcnow()
    if resident is None:
        resident = Resident(openid=msg.openid, created_at=now)
        session.add(resident)
    if msg.kind != "event" or msg.event in ("subscribe", "scan", "click", "view", "location"):
        # The 48-hour customer-service window opens on a user's message or interaction.
        resident.last_message_at = now
    if msg.kind == "event" and msg.event == "unsubscribe":
        resident.subscribed = False
    elif msg.kind == "event" and msg.event == "subscribe":
        resident.subscribed = True
    member = session.scalars(select(MemberRow).where(MemberRow.openid == msg.openid)).first()
    if member is not None:
        member.last_message_at = now
        if not member.reachable and msg.event != "unsubscribe":
            member.reachable, member.unreachable_reason = True, None
    session.flush()
    return resident


def process(steward: Steward, inbound_id: int) -> str | None:
    """Run the message stored as `inbound_id`; return the reply text (None: nothing to say)."""
    with steward.session() as session:
        row = session.get(InboundMessage, inbound_id)
        if row is None:
            return None
        msg = to_inbound(parse_xml(row.raw.encode("utf-8")))
        resident = touch_resident(session, msg)
        ctx = build_context(session, steward, msg, resident)
        decision: Decision = handlers.decide(msg, ctx)
        run = Run(steward, msg, session)
        outcomes: list[Outcome] = [EXECUTORS[type(a)](run, a) for a in decision.actions]
        row.status = "handled"
        row.error = None
        row.ticket_id = run.ticket_ids[0] if run.ticket_ids else None
    save_state(steward, msg.openid, decision.state)
    note_inbound(steward, msg.openid)
    for job in run.after_commit:
        try:
            job()
        except Exception:  # the outbox sweep covers a failed enqueue; never fail the reply for it
            log.warning("post-commit step failed", exc_info=True)
    return compose(decision, outcomes, ctx)


def mark_failed(steward: Steward, inbound_id: int, error: str) -> None:
    try:
        with steward.session() as session:
            row = session.get(InboundMessage, inbound_id)
            if row is not None:
                row.status, row.error = "failed", error[:2000]
    except Exception:
        log.exception("could not mark inbound message %s failed", inbound_id)
