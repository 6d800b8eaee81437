"""Dispatch (派单): route a ticket to its council member, set its deadlines, push the task.

`dispatch_ticket(ticket_id, attempt)` is idempotent in the database: it claims the attempt with a
compare-and-set on `tickets.dispatch_attempt` (attempt-1 → attempt) in the same transaction as the
status change and the push rows, so however often the job runs, the ticket is dispatched once per
attempt. Attempt 1 is the first dispatch; later attempts are the backup after 43004, a staff
re-dispatch, or 重办 after a "not solved" callback.
"""

from __future__ import annotations

import logging
import typing
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    DateTime,
    Table,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session, make_transient_to_detached

from bot.config import Config
from bot.domain import deadlines, routing, texts
from bot.domain.clock import utcnow
from bot.services.dispatch import workcalendar
from bot.services.dispatch.deadlines import schedule_deadline_checks
from bot.services.push import inline
from bot.services.push.links import action_link
from bot.services.push.send import PENDING, PushSpec, queue_push, queue_pushes, schedule_send
from bot.services.tickets import merges
from bot.services.tickets.lifecycle import add_event, event_row, transition, transition_changes, write_core
from bot.services.uow import jobs, outbox
from bot.services.uow.steward import Steward
from bot.storage import tenancy
from bot.storage.models import CouncilMember, Push, Resident, Ticket, TicketEvent

log = logging.getLogger(__name__)

DISPATCHABLE = ("received", "triage", "dispatched")


def dispatch_ticket(steward: Steward, ticket_id: int, attempt: int = 1, assignee_openid: str | None = None,
                    in_process: bool = True) -> str:
    """The dispatch job: claim, route, write the push rows in one transaction; once it has committed
    its outbox sends the new pushes from this process (`in_process`; else as push jobs).
    Returns what happened: dispatched | triage | already | skipped | missing."""
    config = steward.config
    with steward.session() as s:
        # The claim gives back the claimed ticket (UPDATE … RETURNING): one statement, not two.
        ticket = _claim(s, ticket_id, attempt)
        claimed = ticket is not None
        if ticket is None:
            ticket = s.scalars(select(Ticket).where(Ticket.id == ticket_id)
                               .execution_options(populate_existing=True)).first()
        if ticket is None:
            return "missing"
        if not claimed:
            if ticket.dispatch_attempt == attempt:
                # A run that died after commit left them unsent; as push jobs (deterministic ids),
                # never in-process, so a push job already waiting for one is not raced.
                requeue_pending(s, config, ticket.id)
            log.info("ticket %s attempt %s already dispatched", ticket.ref, attempt)
            return "already"
        allowed = DISPATCHABLE + (("accepted",) if assignee_openid else ())
        if ticket.status not in allowed:
            add_event(s, ticket, "dispatch_skipped", note=f"状态为{ticket.status_label}，不再派单",
                      data={"attempt": attempt})
            return "skipped"
        # Moved here from the webhook (issue 24): staff read the suggestion, the resident's reply
        # does not wait for it. Attempt 1 is claimed once, so it is written once (by dispatch_now).
        merge = merges.suggestion(s, config, ticket) if attempt == 1 and ticket.courtyard_id else None
        if in_process:
            outbox.send_in_process(s, lambda pushes: inline.send_all(steward, pushes))
        return dispatch_now(s, config, ticket, attempt, assignee_openid, merge)


def dispatch_now(s: Session, config: Config, ticket: Ticket, attempt: int, assignee_openid: str | None,
                 merge: tuple[str, str] | None = None) -> str:
    """Route and dispatch the claimed `ticket`; `merge`: a merge suggestion (ref, note) to write with it."""
    previous = ticket.status
    again = previous == "dispatched" and ticket.reopen_count > 0 and ticket.finished_at is not None
    candidates = [m.openid for m in config.council(ticket.courtyard_id)] if ticket.courtyard_id else []
    facts = route_facts(s, ticket.id, candidates, candidates + ([ticket.resident_openid] if ticket.resident_openid else []))
    route = routing.choose(
        config,
        ticket.courtyard_id,
        ticket.category,
        ticket.subcategory,
        unreachable=facts.unreachable,
        exclude=(facts.returned | _reporter_if_member(config, ticket)) - {assignee_openid},
        prefer=assignee_openid or (ticket.assignee_openid if again else None),
        load=facts.load,
    )
    if route.triage:
        if merge is not None:
            add_event(s, ticket, "note", data=merges.note_data(merge[0]), note=merge[1])
        return to_triage(s, config, ticket, attempt, route.reason)
    now = utcnow()
    member = route.primary
    assert member is not None  # routing.choose always sets the primary when it does not triage
    backup = route.backup.openid if route.backup else None
    # The ticket's UPDATE and its events as Core statements (lifecycle.write_core), not ORM flushes.
    events = [] if merge is None else [event_row(ticket, "note", at=now, note=merge[1], data=merges.note_data(merge[0]))]
    events.append(event_row(
        ticket, "dispatched", at=now, to_status="dispatched",
        note=f"派给{member.name}" + (f"（备岗：{route.backup.name}）" if route.backup else ""),
        data={
            "attempt": attempt,
            "assignee": member.openid,
            "assignee_name": member.name,
            "backup": backup,
            "skill": route.skill,
            "outside": [p.key for p in route.outside],
            "again": again,
        },
    ))
    if route.outside:
        events.append(event_row(ticket, "outside_notified", at=now, from_status="dispatched", to_status="dispatched",
                                note="、".join(p.name for p in route.outside),
                                data={"parties": [p.key for p in route.outside]}))
    changes = transition_changes(ticket, "dispatched", now) | {
        "assignee_openid": member.openid, "assignee_name": member.name, "backup_openid": backup,
        "accept_due_at": deadlines.accept_due(config, ticket.category, ticket.subcategory, ticket.urgent, now),
        "finish_due_at": deadlines.finish_due(config, ticket.category, now, workcalendar.current(s, config)),
    }
    write_core(s, ticket, changes, events)
    said = _callback_words(s, ticket.id) if again else ""
    link = action_link(config, ticket.id, member.openid)
    content, text = texts.task(config, ticket, link, again=again, said=said)
    pushes = [PushSpec(member.openid, "task", attempt, content, text, link)]
    for party in route.outside:
        if party.openid:
            content, text = texts.outside(config, ticket, party.name)
            pushes.append(PushSpec(party.openid, "outside", "o", content, text))
    if ticket.resident_openid and (previous in ("received", "triage") or again):
        content, text = texts.notice_dispatched(config, ticket, member.name, again=again)
        pushes.append(PushSpec(ticket.resident_openid, "notice", f"d{attempt}", content, text))
    queue_pushes(s, config, ticket, pushes, known=(facts.read, facts.last))  # the rows in one INSERT
    schedule_deadline_checks(s, config, ticket)
    log.info("ticket %s dispatched (attempt %s)", ticket.ref, attempt)
    return "dispatched"


def to_triage(s: Session, config: Config, ticket: Ticket, attempt: int, reason: str) -> str:
    """Nobody on the council can take it (or no courtyard): community staff assign it by hand."""
    first_time = ticket.status != "triage"
    if first_time:
        transition(s, ticket, "triage", "triage", note=reason, data={"attempt": attempt})
    else:
        add_event(s, ticket, "triage", note=reason, data={"attempt": attempt})
    ticket.assignee_openid = ticket.assignee_name = ticket.backup_openid = None
    for staff in config.staff_openids:
        content, text = texts.triage(config, ticket, reason)
        queue_push(s, config, ticket=ticket, openid=staff, kind="triage", tag=attempt, content=content, text=text)
    if ticket.resident_openid and attempt == 1:
        content, text = texts.notice_triage(config, ticket)
        queue_push(s, config, ticket=ticket, openid=ticket.resident_openid, kind="notice", tag="triage",
                   content=content, text=text)
    log.info("ticket %s to triage (attempt %s)", ticket.ref, attempt)
    return "triage"


def request_dispatch(
    session: Session, config: Config, ticket: Ticket, *, assignee_openid: str | None = None,
    actor: str = "system", actor_name: str | None = None, note: str | None = None,
) -> int:
    """Staff (workbench) re-dispatch: enqueue the next attempt after `session` commits.
    Returns that attempt number. `assignee_openid` names the member to put first."""
    nxt = ticket.dispatch_attempt + 1
    add_event(session, ticket, "redispatch_requested", actor=actor, actor_name=actor_name, note=note,
              data={"attempt": nxt, "assignee": assignee_openid})
    outbox.add(session, jobs.dispatch_job(ticket.id, nxt, assignee_openid))
    return nxt


def _reporter_if_member(config: Config, ticket: Ticket) -> set[str]:
    """A member's own report goes to another member of the council (nobody assigns himself)."""
    who = ticket.resident_openid or ""
    return {who} if config.member(who) is not None else set()


def _callback_words(s: Session, ticket_id: int) -> str:
    """What the resident said when answering "not solved" (the reopened task carries it)."""
    note = s.scalars(select(TicketEvent.note).where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "callback")
                     .order_by(TicketEvent.id.desc()).limit(1)).first()
    return note or ""


def _claim(s: Session, ticket_id: int, attempt: int) -> Ticket | None:
    """Claim the attempt (compare-and-set on dispatch_attempt) and return the ticket, loaded: a Core
    UPDATE … RETURNING whose row becomes the session's persistent Ticket, as `create_ticket`'s does.
    The ORM's UPDATE … RETURNING of the entity (its bulk-update machinery) was ~8 % of the job's
    CPU (bench/dispatch_cpu.py --profile). Core gets no tenancy criteria: the scope is added here."""
    params: dict[str, Any] = {"ticket_id": ticket_id, "previous": attempt - 1, "attempt": attempt}
    visible = tenancy.visible_of(s)
    if visible is not None:
        params["visible"] = list(visible)
    row = s.connection().execute(_CLAIM if visible is None else _CLAIM_SCOPED, params).mappings().first()
    if row is None:
        return None
    ticket = Ticket(**row)
    make_transient_to_detached(ticket)
    s.add(ticket)
    return ticket


# The per-dispatch statements, built once (constructing a statement costs more CPU than running it).
_TICKETS = typing.cast(Table, Ticket.__table__)
_CLAIM = (update(_TICKETS)
          .where(_TICKETS.c.id == bindparam("ticket_id"), _TICKETS.c.dispatch_attempt == bindparam("previous"))
          .values(dispatch_attempt=bindparam("attempt"))
          .returning(*_TICKETS.c))
_CLAIM_SCOPED = _CLAIM.where(_TICKETS.c.community_id.in_(bindparam("visible", expanding=True)))
# What routing needs from the database, one statement (was three): members marked unreachable,
# those who returned (退单) this ticket, and the open tickets of the candidates only — counting every
# open ticket of the community (a scan growing with the ledger) in every dispatch job was per-ticket
# cost that made a long run fall behind; by the assignee index it is a handful of rows per member.
_NO_TIME = cast(null(), DateTime)
_ROUTE_FACTS: CompoundSelect[Any] = union_all(
    select(literal_column("'unreachable'"), CouncilMember.openid, literal_column("0"), _NO_TIME)
    .where(CouncilMember.reachable.is_(False)),
    select(literal_column("'returned'"), TicketEvent.actor, literal_column("0"), _NO_TIME)
    .where(TicketEvent.ticket_id == bindparam("ticket_id"), TicketEvent.kind == "returned"),
    select(literal_column("'load'"), Ticket.assignee_openid, func.count(), _NO_TIME)
    .where(Ticket.assignee_openid.in_(bindparam("openids", expanding=True)),
           Ticket.status.in_(("dispatched", "accepted")))
    .group_by(Ticket.assignee_openid),
    # The likely receivers' last messages (channel.last_messages: customer-service or template),
    # read here too: one statement and round trip less per dispatch.
    select(literal_column("'last'"), Resident.openid, literal_column("0"), Resident.last_message_at)
    .where(Resident.openid.in_(bindparam("receivers", expanding=True))),
    select(literal_column("'last'"), CouncilMember.openid, literal_column("0"), CouncilMember.last_message_at)
    .where(CouncilMember.openid.in_(bindparam("receivers", expanding=True))),
)


@dataclass
class RouteFacts:
    unreachable: set[str] = field(default_factory=set)
    returned: set[str] = field(default_factory=set)  # members who returned the ticket: not given it again
    load: dict[str, int] = field(default_factory=dict)  # open tickets per candidate
    read: set[str] = field(default_factory=set)  # the receivers whose last message was read…
    last: dict[str, Any] = field(default_factory=dict)  # …and those who ever wrote: when they last did


def route_facts(s: Session, ticket_id: int, openids: list[str], receivers: Collection[str] = ()) -> RouteFacts:
    """The database's part of routing ticket `ticket_id` among the candidates `openids`, and the last
    message of each of `receivers` (as `channel.last_messages`)."""
    s.flush()  # Core on the connection: what this session changed must be in the database first
    facts = RouteFacts(read=set(receivers))
    params = {"ticket_id": ticket_id, "openids": openids, "receivers": list(facts.read)}
    for what, openid, n, at in s.connection().execute(_ROUTE_FACTS, params):
        if openid is None:
            continue
        if what == "unreachable":
            facts.unreachable.add(openid)
        elif what == "returned":
            facts.returned.add(openid)
        elif what == "load":
            facts.load[openid] = n
        elif at is not None and (facts.last.get(openid) is None or at > facts.last[openid]):
            facts.last[openid] = at
    return facts


def requeue_pending(s: Session, config: Config, ticket_id: int) -> int:
    pending = list(s.scalars(select(Push).where(Push.ticket_id == ticket_id, Push.status == PENDING)))
    for push in pending:
        schedule_send(s, config, push)
    return len(pending)
