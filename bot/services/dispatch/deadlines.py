"""A ticket's deadlines: the reminder before one passes, 督办 escalation after.

`check_deadlines(ticket_id)` looks at the ticket as the database has it now and does whatever is due
and not yet done (`bot.domain.deadlines.due_actions`), recording each as an event. It runs from RQ's
scheduler at the reminder time, then (scheduled by that run) at the due time, and for every open
ticket from the periodic sweep — so a lost Redis key, a worker that was down, or a clock driven by a
test loses nothing, and running it twice does nothing twice (the events say what was done; pushes
are idempotent by client_msg_id).
"""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain import deadlines, routing, texts
from bot.domain.clock import utcnow
from bot.services.push.send import queue_push
from bot.services.tickets.lifecycle import add_event
from bot.services.uow import jobs, outbox
from bot.services.uow.steward import Steward
from bot.storage.models import Ticket, TicketEvent

log = logging.getLogger(__name__)

EVENT_FOR = {deadlines.REMINDER: "reminder", deadlines.ESCALATION: "escalated"}


def done_actions(s: Session, ticket_id: int) -> set[tuple[str, str, int]]:
    """{(reminder|escalation, deadline kind, attempt)} already recorded on the ticket."""
    return _done_actions_of(s, [ticket_id]).get(ticket_id, set())


def check_deadlines(steward: Steward, ticket_id: int) -> list[str]:
    """The deadline job: send the reminder / escalation now due for one ticket. Returns what it did."""
    with steward.session() as s:
        ticket = s.get(Ticket, ticket_id)
        if ticket is None:
            return []
        did = check_ticket(s, steward.config, ticket)
        # The reminder's run (or the sweep's) schedules the due check; a job of that id already
        # waiting is left as it is (not fresh: read back first).
        schedule_deadline_checks(s, steward.config, ticket, fresh=False)
        return did


def check_ticket(s: Session, config: Config, ticket: Ticket) -> list[str]:
    now = utcnow()
    deadline = deadlines.current_deadline(config, ticket)
    did: list[str] = []
    if deadline is None:
        return did
    for action, kind in deadlines.due_actions(config, ticket, now, done_actions(s, ticket.id)):
        if action == deadlines.REMINDER:
            remind(s, config, ticket, kind, deadline.due)
        else:
            escalate(s, config, ticket, kind, deadline.due)
        did.append(f"{action}:{kind}")
    return did


def schedule_deadline_checks(s: Session, config: Config, ticket: Ticket, fresh: bool = True) -> None:
    """The next check of the ticket's current deadline via RQ's scheduler, after `s` commits: at its
    reminder time, or at its due time once the reminder time has come (nothing after that) — when
    the deadline is new (`fresh`), the reminder's check even if its time has passed (as before).

    One RQ job per deadline, not two (reminder and due): the reminder's run schedules the due check
    (`check_deadlines`). Building the second `Job` in every dispatch was ~4 % of the job's CPU
    (bench/dispatch_cpu.py --profile); a ticket accepted before its reminder never needs it. The
    periodic sweep covers a lost one. `fresh`: the caller claimed the attempt (or accepted) in this
    transaction, so no job with this id waits yet — no read-back."""
    deadline = deadlines.current_deadline(config, ticket)
    if deadline is None:
        return
    now = utcnow()
    if fresh or now < deadline.remind:  # a new deadline whose reminder time has passed: checked at once
        label, at = "remind", deadline.remind
    elif now < deadline.due:
        label, at = "due", deadline.due
    else:
        return
    job_id = f"deadline-{ticket.id}-{ticket.dispatch_attempt}-{deadline.kind}-{label}"
    outbox.add(s, replace(jobs.call_job(jobs.CHECK_DEADLINES, ticket.id, job_id=job_id, at=at), fresh=fresh))


def remind(s: Session, config: Config, ticket: Ticket, kind: str, due) -> None:  # noqa: ANN001
    attempt = ticket.dispatch_attempt
    add_event(s, ticket, "reminder", note=f"{'接单' if kind == deadlines.ACCEPT else '办结'}期限前提醒",
              data={"deadline": kind, "attempt": attempt, "due": due.isoformat()})
    if ticket.assignee_openid:
        content, text = texts.reminder(config, ticket, kind, due)
        queue_push(s, config, ticket=ticket, openid=ticket.assignee_openid, kind="reminder",
                   tag=f"{kind}{attempt}", content=content, text=text)
    log.info("ticket %s: %s reminder", ticket.ref, kind)


def escalate(s: Session, config: Config, ticket: Ticket, kind: str, due) -> None:  # noqa: ANN001
    """督办: a missed deadline goes to the courtyard chair and community staff, as an event."""
    attempt = ticket.dispatch_attempt
    chair = routing.chair_of(config, ticket.courtyard_id)
    receivers = ([chair.openid] if chair and chair.openid != ticket.assignee_openid else []) + list(config.staff_openids)
    add_event(s, ticket, "escalated", note=f"超时未{'接单' if kind == deadlines.ACCEPT else '办结'}，已督办",
              data={"deadline": kind, "attempt": attempt, "due": due.isoformat(), "chair": chair.openid if chair else None,
                    "staff": len(config.staff_openids)})
    content, text = texts.escalation(config, ticket, kind, due, ticket.assignee_name)
    for openid in dict.fromkeys(receivers):
        queue_push(s, config, ticket=ticket, openid=openid, kind="escalation", tag=f"{kind}{attempt}",
                   content=content, text=text)
    log.info("ticket %s: %s deadline missed, escalated", ticket.ref, kind)


# -- the sweep ---------------------------------------------------------------------------------------


def sweep_deadlines(steward: Steward) -> int:
    """Check every ticket running against a deadline, in bulk: one query reads them all as plain
    rows, one more reads what was already done for those whose reminder time has come; only a
    ticket with something due gets its own transaction (`check_deadlines`, which checks again).
    A transaction per open ticket every minute was seconds of work at a few thousand tickets."""
    config, now = steward.config, utcnow()
    with steward.session() as s:
        rows = s.execute(select(*_DEADLINE_COLUMNS).where(Ticket.status.in_(("dispatched", "accepted")))).all()
        # Before its reminder time nothing can be due: most tickets stop here.
        started = [r for r in rows if (d := deadlines.current_deadline(config, r)) is not None and now >= d.remind]
        done = _done_actions_of(s, [r.id for r in started])
    n = 0
    for row in started:
        if not deadlines.due_actions(config, row, now, done.get(row.id, set())):
            continue
        try:
            n += bool(check_deadlines(steward, row.id))
        except Exception:  # one bad ticket must not stop the others
            log.exception("deadline check failed for ticket id %s", row.id)
    return n


# What `deadlines.current_deadline` and `due_actions` read of a ticket.
_DEADLINE_COLUMNS = (Ticket.id, Ticket.status, Ticket.dispatched_at, Ticket.accept_due_at, Ticket.accepted_at,
                     Ticket.finish_due_at, Ticket.created_at, Ticket.dispatch_attempt, Ticket.urgent,
                     Ticket.subcategory)


def _done_actions_of(s: Session, ticket_ids: list[int], chunk: int = 500) -> dict[int, set[tuple[str, str, int]]]:
    """`done_actions` for many tickets at once: {ticket id: {(action, deadline kind, attempt)}}."""
    back = {v: k for k, v in EVENT_FOR.items()}
    out: dict[int, set[tuple[str, str, int]]] = {}
    for i in range(0, len(ticket_ids), chunk):
        rows = s.execute(
            select(TicketEvent.ticket_id, TicketEvent.kind, TicketEvent.data)
            .where(TicketEvent.ticket_id.in_(ticket_ids[i : i + chunk]),
                   TicketEvent.kind.in_(tuple(EVENT_FOR.values())))
        ).all()
        for row in rows:
            data = row.data or {}
            out.setdefault(row.ticket_id, set()).add(
                (back[row.kind], data.get("deadline", ""), int(data.get("attempt", 0))))
    return out
