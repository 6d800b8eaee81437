"""The three rates (三率) and times per courtyard and month, computed from the event log only.

Definitions (DESIGN.md), for the month M in Beijing time and the ticket's current courtyard:
- 响应率: tickets with a dispatch (any transition into `dispatched`) in M whose first dispatch in M
  was followed by an accept (dispatched → accepted) by its accept deadline / those tickets. The
  deadline is the dispatch event's `data.accept_due_at` if it recorded one, else dispatch time plus
  the category's accept hours (urgent 1 h, water/power 2 h, else per category).
- 解决率: callbacks answered "solved" / callbacks answered in M. Answered = a transition out of
  `awaiting_callback`, except a close after a `callback_missing` event (no answer: counted apart).
  "Not solved" is awaiting_callback → dispatched (重办), or a close after a `callback` event whose
  data says `solved: false`.
- 满意率: ratings 4–5 / ratings given in M (events whose data carries `rating` 1–5; one per ticket).
- median time to accept (dispatch → accept, for M's first dispatches), to finish (received →
  accepted → awaiting_callback, for finishes in M); overdue (distinct tickets: accept deadline
  missed, finish after its deadline, or an overdue / escalation event in M); reopens (awaiting_callback
  → dispatched, closed → open); misroutes (dispatched / accepted → triage, i.e. 退单).

`compute` is the readable reference over event rows (and the tests' oracle). Pages don't call it:
`rates_sql` runs the same logic inside the database and `rates_store` caches and keeps the months.
"""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain.clock import from_local, utcnow
from bot.domain.deadlines import accept_hours
from bot.storage.models import Ticket, TicketEvent
from bot.web.rates_dialects import ISO_DUE_RE
from bot.web.rates_sql import (
    ALL,
    LATE_ACCEPT_WINDOW,
    MISSING_KINDS,
    OVERDUE_KINDS,
    RATING_KINDS,
    us_to_hours,
)

__all__ = ["ALL", "Rates", "Row", "compute", "last_months", "load_rows", "month_bounds"]
_DUE_RE = re.compile(ISO_DUE_RE)


@dataclass
class Rates:
    dispatched: int = 0
    accepted_in_time: int = 0
    callbacks: int = 0
    solved: int = 0
    unsolved: int = 0
    callback_missing: int = 0
    closed_unsolved: int = 0
    ratings: int = 0
    satisfied: int = 0
    overdue: int = 0
    reopened: int = 0
    misrouted: int = 0
    median_accept_hours: float | None = None
    median_finish_hours: float | None = None
    # durations in microseconds, so the median is exact (and the same as the SQL's percentile_cont)
    accept_us: list[int] = field(default_factory=list, repr=False)
    finish_us: list[int] = field(default_factory=list, repr=False)

    @staticmethod
    def _ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    @property
    def response_rate(self) -> float | None:
        return self._ratio(self.accepted_in_time, self.dispatched)

    @property
    def resolution_rate(self) -> float | None:
        return self._ratio(self.solved, self.callbacks)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._ratio(self.satisfied, self.ratings)

    def finish(self) -> Rates:
        self.median_accept_hours = us_to_hours(statistics.median(self.accept_us)) if self.accept_us else None
        self.median_finish_hours = us_to_hours(statistics.median(self.finish_us)) if self.finish_us else None
        self.accept_us, self.finish_us = [], []
        return self

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("accept_us"), d.pop("finish_us")
        return d


@dataclass(frozen=True)
class Row:
    ticket_id: int
    event_id: int
    at: datetime
    kind: str
    from_status: str | None
    to_status: str | None
    data: dict[str, Any] | None
    courtyard_id: str | None
    category: str
    subcategory: str | None
    urgent: bool
    created_at: datetime
    finish_due_at: datetime | None


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """[start, end) of a Beijing-time calendar month, in naive UTC."""
    start = datetime(year, month, 1)
    end = datetime(year + (month == 12), month % 12 + 1, 1)
    return from_local(start), from_local(end)


def _deadline(config: Config, d: Row) -> datetime:
    raw = (d.data or {}).get("accept_due_at")
    if isinstance(raw, str) and _DUE_RE.match(raw.removesuffix("Z")):
        try:
            return datetime.fromisoformat(raw.removesuffix("Z"))
        except ValueError:
            pass
    return d.at + timedelta(hours=accept_hours(config, d.category, d.subcategory, d.urgent))


def _us(delta: timedelta) -> int:
    return delta // timedelta(microseconds=1)


def compute(rows: Iterable[Row], config: Config, start: datetime, end: datetime,
            now: datetime | None = None) -> dict[str, Rates]:
    """Rates per courtyard (and ALL) for events in [start, end); `rows` may run past `end` (accepts)."""
    now = now or utcnow()
    by_ticket: dict[int, list[Row]] = defaultdict(list)
    for r in rows:
        by_ticket[r.ticket_id].append(r)
    out: dict[str, Rates] = defaultdict(Rates)
    for evs in by_ticket.values():
        evs.sort(key=lambda r: (r.at, r.event_id))
        targets = (out[evs[0].courtyard_id or "none"], out[ALL])
        overdue = False
        in_month = [e for e in evs if start <= e.at < end]
        first_dispatch = next((e for e in in_month if e.to_status == "dispatched"), None)
        if first_dispatch is not None:
            deadline = _deadline(config, first_dispatch)
            accept = next((e for e in evs if (e.at, e.event_id) > (first_dispatch.at, first_dispatch.event_id)
                           and e.from_status == "dispatched" and e.to_status == "accepted"), None)
            in_time = accept is not None and accept.at <= deadline
            overdue = not in_time and (accept is not None or deadline < now)
            for t in targets:
                t.dispatched += 1
                t.accepted_in_time += in_time
                if accept is not None:
                    t.accept_us.append(_us(accept.at - first_dispatch.at))
        first_finish = next((e for e in in_month if e.from_status == "accepted"
                             and e.to_status == "awaiting_callback"), None)
        if first_finish is not None:
            if first_finish.finish_due_at and first_finish.at > first_finish.finish_due_at:
                overdue = True
            for t in targets:
                t.finish_us.append(_us(first_finish.at - first_finish.created_at))
        rating: int | None = None
        missing = False  # a callback_missing note precedes the close it explains
        answer: bool | None = None  # the resident's last "solved?" answer
        for e in in_month:
            data = e.data or {}
            if e.kind in OVERDUE_KINDS:
                overdue = True
            if e.kind in MISSING_KINDS or data.get("callback_missing") is True:
                missing = True
            if isinstance(data.get("solved"), bool):
                answer = data["solved"]
            if type(data.get("rating")) is int and 1 <= data["rating"] <= 5:  # not a bool, not 4.0
                rating = data["rating"]  # the last one in the month wins
            moved = e.from_status != e.to_status
            for t in targets:
                if e.from_status == "awaiting_callback" and e.to_status == "closed":
                    if missing:
                        t.callback_missing += 1
                    elif data.get("reason") in (None, "resolved"):
                        t.callbacks += 1
                        if answer is False:
                            t.unsolved += 1
                        else:
                            t.solved += 1
                elif e.from_status == "awaiting_callback" and e.to_status == "dispatched":
                    t.callbacks += 1
                    t.unsolved += 1
                if moved and e.from_status in ("awaiting_callback", "closed") and e.to_status != "closed":
                    t.reopened += 1
                if e.to_status == "triage" and e.from_status in ("dispatched", "accepted"):
                    t.misrouted += 1
                if e.to_status == "closed" and data.get("reason") == "unable_to_fix":
                    t.closed_unsolved += 1
            if e.from_status == "awaiting_callback" and e.to_status != "awaiting_callback":
                missing, answer = False, None
        for t in targets:
            if rating is not None:
                t.ratings += 1
                t.satisfied += rating >= 4
            t.overdue += overdue
    return {k: v.finish() for k, v in out.items()}


def load_rows(session: Session, start: datetime, end: datetime, courtyard: str | None = None) -> list[Row]:
    """The month's transitions and rating / overdue events (notes and reminders are not needed)."""
    stmt = (
        select(
            TicketEvent.ticket_id, TicketEvent.id, TicketEvent.at, TicketEvent.kind, TicketEvent.from_status,
            TicketEvent.to_status, TicketEvent.data, Ticket.courtyard_id, Ticket.category, Ticket.subcategory,
            Ticket.urgent, Ticket.created_at, Ticket.finish_due_at,
        )
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(
            TicketEvent.at >= start,
            TicketEvent.at < end + LATE_ACCEPT_WINDOW,
            or_(
                and_(TicketEvent.at < end, or_(TicketEvent.from_status != TicketEvent.to_status,
                                               TicketEvent.to_status == "dispatched",
                                               TicketEvent.kind.in_(OVERDUE_KINDS + RATING_KINDS + MISSING_KINDS))),
                and_(TicketEvent.from_status == "dispatched", TicketEvent.to_status == "accepted"),
            ),
        )
    )
    if courtyard:
        stmt = stmt.where(Ticket.courtyard_id == courtyard)
    return [Row(*r) for r in session.execute(stmt)]


def last_months(year: int, month: int, n: int = 12) -> list[tuple[int, int]]:
    out = []
    for _ in range(n):
        out.append((year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]
