"""The rates in plain Python, one ticket at a time: the independent reference (the oracle) that the
tests compare `bot.services.rates` with, and bench/rates.py's "Python over fetched rows" alternative.

It reads the rules of bot/services/rates/definitions.py literally and shares only their constants (event
kinds, the late-accept window, the `Rates` fields) and `accept_hours`, never the SQL: all events
of the month (and the week after it) come back in one plain query, and everything else is here.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain.deadlines import accept_hours
from bot.services.rates.definitions import (
    ALL,
    LATE_ACCEPT_WINDOW,
    MISSING_KINDS,
    OVERDUE_KINDS,
    RATING_KINDS,
    Rates,
    month_bounds,
)
from bot.storage.models import Ticket, TicketEvent

D, A, T, C, W = "dispatched", "accepted", "triage", "closed", "awaiting_callback"
COUNTED_NOTES = OVERDUE_KINDS + RATING_KINDS + MISSING_KINDS
# an accept_due_at the dispatch may carry: date, optional 'T' / ' ' time, optional fraction, optional Z
DUE_SHAPE = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
                       r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?)?")


@dataclass
class Ev:
    id: int
    at: datetime
    kind: str
    frm: str | None
    to: str | None
    data: dict[str, Any]


def fetch(session: Session, start: datetime, end: datetime) -> dict[int, tuple[Any, list[Ev]]]:
    """Every event in [start, end + LATE_ACCEPT_WINDOW) with its ticket's columns, in one query."""
    rows = session.execute(
        select(TicketEvent.ticket_id, TicketEvent.id, TicketEvent.at, TicketEvent.kind, TicketEvent.from_status,
               TicketEvent.to_status, TicketEvent.data, Ticket.courtyard_id, Ticket.category, Ticket.subcategory,
               Ticket.urgent, Ticket.created_at, Ticket.finish_due_at, Ticket.status, Ticket.close_reason)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(TicketEvent.at >= start, TicketEvent.at < end + LATE_ACCEPT_WINDOW)
    ).all()
    out: dict[int, tuple[Any, list[Ev]]] = {}
    for r in rows:
        ticket, events = out.setdefault(r[0], (r, []))
        events.append(Ev(r[1], r[2], r[3], r[4], r[5], r[6] if isinstance(r[6], dict) else {}))
    for _, events in out.values():
        events.sort(key=lambda e: (e.at, e.id))
    return out


def _counts(e: Ev) -> bool:
    """Transitions, dispatches and the notes that carry an answer, a rating or an overdue mark."""
    moved = e.frm is not None and e.to is not None and e.frm != e.to
    return moved or e.to == D or e.kind in COUNTED_NOTES


def _own_due(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    raw = raw.removesuffix("Z")
    if not DUE_SHAPE.fullmatch(raw):
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def _rating(data: dict[str, Any]) -> int | None:
    v = data.get("rating")
    return v if type(v) is int and 1 <= v <= 5 else None


def _us(d: timedelta) -> int:
    return d // timedelta(microseconds=1)


def ticket_month(config: Config, t: Any, events: list[Ev], start: datetime, end: datetime,
                 now: datetime) -> tuple[Rates, list[int], list[int]] | None:
    """One ticket's part of the month: (counts, accept durations, finish durations) in µs."""
    events = [e for e in events if _counts(e)]
    month = [e for e in events if start <= e.at < end]
    if not month:
        return None
    r, acc_us, fin_us = Rates(), [], []
    excluded = t.status == C and t.close_reason in config.rates.excluded_reasons
    late = False
    first = next((e for e in month if e.to == D), None)
    if first is not None:
        r.dispatched = 1
        deadline = _own_due(first.data.get("accept_due_at")) or first.at + timedelta(
            hours=accept_hours(config, t.category, t.subcategory, t.urgent))
        accept = next((e for e in events if (e.at, e.id) > (first.at, first.id) and e.frm == D and e.to == A
                       and e.at < end + LATE_ACCEPT_WINDOW), None)
        if excluded:
            r.excluded = 1
        elif accept is not None or deadline < now:
            r.due = 1
            r.accepted_in_time = int(accept is not None and accept.at <= deadline)
            late = not r.accepted_in_time
        else:
            r.not_due = 1
        if accept is not None and not excluded:
            acc_us.append(_us(accept.at - first.at))
    finish = next((e for e in month if e.frm == A and e.to == W), None)
    if finish is not None:
        fin_us.append(_us(finish.at - t.created_at))
        late = late or (t.finish_due_at is not None and finish.at > t.finish_due_at)
    late = late or any(e.kind in OVERDUE_KINDS for e in month)
    r.overdue = int(late and not excluded)
    ratings = [x for x in (_rating(e.data) for e in month) if x is not None]
    if ratings:
        r.ratings, r.satisfied = 1, int(ratings[-1] in config.rates.satisfied_ratings)
    missing, answer = False, None  # since the last move out of 待回访
    for e in month:
        if e.kind in MISSING_KINDS or e.data.get("callback_missing") is True:
            missing = True
        if isinstance(e.data.get("solved"), bool):
            answer = e.data["solved"]
        reason = e.data.get("reason")
        if e.frm == W and e.to == C:
            if missing:
                r.callback_missing += 1
            elif reason in (None, "resolved"):
                r.callbacks += 1
                r.unsolved += answer is False
                r.solved += answer is not False
        if e.frm == W and e.to == D:  # 重办
            r.callbacks += 1
            r.unsolved += 1
        r.reopened += e.frm in (W, C) and e.to != C and e.to != e.frm
        r.misrouted += e.to == T and e.frm in (D, A)
        r.closed_unsolved += e.to == C and reason == "unable_to_fix"
        r.answered += e.to == C and reason == "answered"
        if e.frm == W and e.to != W:
            missing, answer = False, None
    return r, acc_us, fin_us


def month_rates(session: Session, config: Config, year: int, month: int, now: datetime) -> dict[str, Rates]:
    """{courtyard id or "none", and ALL: Rates} for the month, like bot.services.rates.month_rates."""
    start, end = month_bounds(year, month)
    totals: dict[str, Rates] = defaultdict(Rates)
    durations: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for t, events in fetch(session, start, end).values():
        part = ticket_month(config, t, events, start, end, now)
        if part is None:
            continue
        r, acc_us, fin_us = part
        for key in (t.courtyard_id or "none", ALL):
            total = totals[key]
            for name, value in r.to_dict().items():
                if isinstance(value, int):
                    setattr(total, name, getattr(total, name) + value)
            durations[key][0].extend(acc_us)
            durations[key][1].extend(fin_us)
    for key, total in totals.items():
        acc, fin = durations[key]
        total.median_accept_hours = round(statistics.median(acc) / 3.6e9, 2) if acc else None
        total.median_finish_hours = round(statistics.median(fin) / 3.6e9, 2) if fin else None
    return dict(totals)
