"""Ticket lifecycle: every change of state goes through `transition`, which writes the event row.

The ledger, the rates and the timeline are computed from `ticket_events`, so nothing may change
a ticket's status without passing here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from bot.domain.clock import utcnow
from bot.domain.vocabulary import CLOSE_REASONS, TicketStatus
from bot.storage import tenancy
from bot.storage.models import Ticket, TicketEvent
from bot.storage.ticket_insert import insert_ticket

S = TicketStatus

# from-status → allowed to-statuses (docs/DESIGN.md's 受理 → 派单 → 接单 → 办理 → 反馈 → 回访 → 办结 loop,
# plus staff closing any open ticket and reopening a closed one).
ALLOWED: dict[str, set[str]] = {
    S.received: {S.dispatched, S.triage, S.closed},
    S.triage: {S.dispatched, S.triage, S.closed},
    S.dispatched: {S.dispatched, S.accepted, S.triage, S.closed},
    S.accepted: {S.accepted, S.awaiting_callback, S.triage, S.dispatched, S.closed},
    S.awaiting_callback: {S.closed, S.dispatched},
    S.closed: {S.dispatched, S.triage},
}

REF_PREFIX = "R"
REF_OFFSET = 1000


class TransitionError(ValueError):
    """The ticket is not in a state where that can happen; `message` is plain Chinese."""


def ref_for(ticket_id: int) -> str:
    return f"{REF_PREFIX}{ticket_id + REF_OFFSET}"


def normalise_ref(text: str) -> str:
    return text.strip().upper()


def create_ticket(
    session: Session,
    *,
    category: str,
    text: str,
    courtyard: str | None,
    subcategory: str | None = None,
    urgent: bool = False,
    confidence: float = 1.0,
    resident_openid: str | None = None,
    actor: str = "system",
    actor_name: str | None = None,
    note: str | None = None,
) -> Ticket:
    """Insert a ticket in `received` with its first event (caller commits: one transaction).

    This runs for every resident's report inside the webhook, so it goes straight to the database
    (`bot.storage.ticket_insert`: one statement on PostgreSQL). The returned Ticket is attached to `session`
    as the persistent object for that row, with every column loaded: using it costs no query.
    """
    now = utcnow()
    community = tenancy.community_of(session)  # from_select takes no column-default callable: said here
    row = insert_ticket(
        session.connection(),  # Core statements on the session's connection: no ORM layer
        dict(category=category, subcategory=subcategory, courtyard_id=courtyard, text=text, urgent=urgent,
             confidence=confidence, status=S.received.value, resident_openid=resident_openid, created_at=now,
             last_activity_at=now, community_id=community),
        dict(community_id=community, at=now, kind="received", actor=actor, actor_name=actor_name, to_status=S.received.value, note=note,
             data={"category": category, "subcategory": subcategory, "courtyard": courtyard, "urgent": urgent}),
        REF_PREFIX, REF_OFFSET,
    )
    ticket = Ticket(**row)
    make_transient_to_detached(ticket)
    session.add(ticket)
    return ticket


def get_by_ref(session: Session, ref: str, for_update: bool = False) -> Ticket | None:
    stmt = select(Ticket).where(Ticket.ref == normalise_ref(ref))
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def add_event(
    session: Session,
    ticket: Ticket,
    kind: str,
    *,
    actor: str = "system",
    actor_name: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
    to_status: str | None = None,
) -> TicketEvent:
    """Write one event row. Without `to_status` it records something that leaves the status as it
    is (a note, a reminder, a push failure...); `transition` passes the new status."""
    at = at or utcnow()
    event = TicketEvent(
        ticket_id=ticket.id,
        at=at,
        kind=kind,
        actor=actor,
        actor_name=actor_name,
        from_status=ticket.status,
        to_status=to_status or ticket.status,
        note=note,
        data=data,
    )
    session.add(event)
    ticket.last_activity_at = at
    return event


def transition(
    session: Session,
    ticket: Ticket,
    to: TicketStatus | str,
    kind: str,
    *,
    actor: str = "system",
    actor_name: str | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    """Move `ticket` to `to`, stamping the matching timestamp and writing one event."""
    at = at or utcnow()
    changes = transition_changes(ticket, to, at)
    event = add_event(session, ticket, kind, actor=actor, actor_name=actor_name, note=note, data=data, at=at,
                      to_status=changes["status"])
    for key, value in changes.items():
        setattr(ticket, key, value)
    return event


def transition_changes(ticket: Ticket, to: TicketStatus | str, at: datetime) -> dict[str, Any]:
    """The ticket's column changes when it moves to `to` at `at` (TransitionError where it may not)."""
    to = S(to)
    current = S(ticket.status)
    if to not in ALLOWED[current]:
        raise TransitionError(f"工单 {ticket.ref} 当前状态为「{current.label}」，不能变为「{to.label}」")
    changes: dict[str, Any] = {"status": to.value, "last_activity_at": at}
    if to is S.dispatched:
        changes |= {"dispatched_at": at, "accepted_at": None}
    elif to is S.accepted and current is not S.accepted:
        changes["accepted_at"] = at
    elif to is S.awaiting_callback:
        changes["finished_at"] = at
    elif to is S.closed:
        changes["closed_at"] = at
    if current is S.closed and to is not S.closed:
        changes |= {"closed_at": None, "close_reason": None}
    return changes


def event_row(ticket: Ticket, kind: str, *, at: datetime, actor: str = "system", actor_name: str | None = None,
              note: str | None = None, data: dict[str, Any] | None = None, to_status: str | None = None,
              from_status: str | None = None) -> dict[str, Any]:
    """`add_event`'s row as plain values, for `write_core`."""
    return {"ticket_id": ticket.id, "at": at, "kind": kind, "actor": actor, "actor_name": actor_name,
            "from_status": from_status or ticket.status, "to_status": to_status or ticket.status, "note": note,
            "data": data}


def write_core(session: Session, ticket: Ticket, changes: dict[str, Any], events: list[dict[str, Any]]) -> None:
    """`changes` to `ticket` in one Core UPDATE and `events` (`event_row`s) in one INSERT, on the
    session's connection; the ORM object shows the changes as loaded, so no flush writes them again.
    The dispatch job's path: its two ORM flushes (ticket UPDATE, event INSERT, with the unit of
    work's bookkeeping) were ~15 % of its CPU (bench/dispatch_cpu.py --profile)."""
    conn = session.connection()
    conn.execute(_UPDATE_TICKET, {"ticket_id_": ticket.id, **changes})
    if events:
        conn.execute(_INSERT_EVENTS, events)
    for key, value in changes.items():
        set_committed_value(ticket, key, value)


# Built once; the SET clause comes from the parameters' keys (SQLAlchemy caches one per set of keys).
_TICKETS, _EVENTS = cast(Table, Ticket.__table__), cast(Table, TicketEvent.__table__)
_UPDATE_TICKET = update(_TICKETS).where(_TICKETS.c.id == bindparam("ticket_id_"))
_INSERT_EVENTS = insert(_EVENTS)


def close(
    session: Session,
    ticket: Ticket,
    reason: str,
    *,
    actor: str = "system",
    actor_name: str | None = None,
    note: str | None = None,
    referral: str | None = None,
    duplicate_of: str | None = None,
) -> TicketEvent:
    """Close with one of models.CLOSE_REASONS; not_responsible needs the referral, duplicate the ref."""
    if reason not in CLOSE_REASONS:
        raise TransitionError(f"未知的办结原因：{reason}")
    if reason == "not_responsible" and not (referral or "").strip():
        raise TransitionError("「非本社区职责」需要写明转办给哪个单位")
    if reason == "duplicate":
        original = get_by_ref(session, duplicate_of or "")
        if original is None or original.id == ticket.id:
            raise TransitionError("「重复工单」需要填写另一张已存在的工单号")
        ticket.duplicate_of = original.ref
    ticket.close_reason = reason
    ticket.referral = (referral or "").strip() or None
    return transition(
        session,
        ticket,
        S.closed,
        "closed",
        actor=actor,
        actor_name=actor_name,
        note=note,
        data={"reason": reason, "referral": ticket.referral, "duplicate_of": ticket.duplicate_of},
    )
