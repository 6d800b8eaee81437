"""Deadlines, pure: when a ticket must be accepted and finished, and when to remind and escalate.

All datetimes are naive UTC, like the database; working hours and holidays are Beijing time
(`bot.domain.clock.to_local`). Accept deadlines run on the wall clock (a leak at night cannot wait for
morning); finish deadlines count working days, i.e. working hours between work_start and work_end
on working days of a `WorkCalendar` (holidays off, 调休 make-up days worked; without one, weekends
and the config's holidays).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.config import Config
from bot.domain.clock import from_local, to_local
from bot.domain.workcalendar import WorkCalendar, from_config

ACCEPT = "accept"
FINISH = "finish"
REMINDER = "reminder"
ESCALATION = "escalation"


def accept_hours(config: Config, category: str, subcategory: str | None, urgent: bool) -> float:
    """Urgent safety → 1 h; water/power/sewage → 2 h; else the category's accept_hours (24 h)."""
    if urgent:
        return config.urgent_accept_hours
    if subcategory and subcategory in config.utility_subcategories:
        return config.utility_accept_hours
    rule = config.categories.get(category)
    return rule.accept_hours if rule else 24.0


def finish_days(config: Config, category: str) -> float:
    rule = config.categories.get(category)
    return rule.finish_days if rule else 5.0


def is_working_day(config: Config, day: date, calendar: WorkCalendar | None = None) -> bool:
    return (calendar or from_config(config.holidays)).is_working_day(day)


def add_working_hours(config: Config, start: datetime, hours: float, calendar: WorkCalendar | None = None) -> datetime:
    """`start` (UTC) plus `hours` counted only inside working hours on working days."""
    cal = calendar or from_config(config.holidays)
    local = to_local(start)
    remaining = timedelta(hours=hours)
    day_open, day_close = config.work_start, config.work_end
    # Bounded: a year of holidays cannot make this loop forever.
    for _ in range(3660):
        opens = local.replace(hour=day_open, minute=0, second=0, microsecond=0)
        closes = local.replace(hour=day_close, minute=0, second=0, microsecond=0)
        if not cal.is_working_day(local.date()) or local >= closes:
            local = opens + timedelta(days=1)
            continue
        if local < opens:
            local = opens
        available = closes - local
        if remaining <= available:
            return from_local(local + remaining)
        remaining -= available
        local = opens + timedelta(days=1)
    raise ValueError("working-hour arithmetic did not converge; check work_start/work_end/holidays")


def working_hours_per_day(config: Config) -> int:
    return max(config.work_end - config.work_start, 1)


def accept_due(config: Config, category: str, subcategory: str | None, urgent: bool, start: datetime) -> datetime:
    return start + timedelta(hours=accept_hours(config, category, subcategory, urgent))


def finish_due(config: Config, category: str, start: datetime, calendar: WorkCalendar | None = None) -> datetime:
    hours = finish_days(config, category) * working_hours_per_day(config)
    return add_working_hours(config, start, hours, calendar)


def remind_at(config: Config, start: datetime, due: datetime, can_wait: bool = False) -> datetime:
    """The reminder goes out when `reminder_before` of the time is left (a quarter by default).

    `can_wait` (not urgent, not water/power): council members are volunteers, many retired — a
    reminder that would fall in the quiet hours goes out at their end instead if that still leaves
    an hour before the deadline, else an hour before they begin; failing both, at its time."""
    at = due - (due - start) * config.reminder_before
    if not can_wait or not _quiet(config, at):
        return at
    local = to_local(at)
    end = local.replace(hour=config.quiet_end, minute=0, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    begin = local.replace(hour=config.quiet_start, minute=0, second=0, microsecond=0)
    if begin > local:
        begin -= timedelta(days=1)
    morning, evening = from_local(end), from_local(begin - timedelta(hours=1))
    if morning <= due - timedelta(hours=1):
        return morning
    if evening >= start:
        return evening
    return at


def _quiet(config: Config, at: datetime) -> bool:
    hour, begin, end = to_local(at).hour, config.quiet_start, config.quiet_end
    if begin == end:
        return False  # no quiet hours
    return begin <= hour < end if begin < end else (hour >= begin or hour < end)


@dataclass(frozen=True)
class Deadline:
    kind: str  # accept | finish
    start: datetime
    due: datetime
    remind: datetime


def current_deadline(config: Config, ticket: Any) -> Deadline | None:
    """The deadline the ticket is running against now: accept while 已派单, finish while 办理中."""
    if ticket.status == "dispatched" and ticket.accept_due_at and ticket.dispatched_at:
        start, due, kind = ticket.dispatched_at, ticket.accept_due_at, ACCEPT
    elif ticket.status == "accepted" and ticket.finish_due_at:
        start, due, kind = ticket.accepted_at or ticket.dispatched_at or ticket.created_at, ticket.finish_due_at, FINISH
    else:
        return None
    start = min(start, due)
    can_wait = not ticket.urgent and ticket.subcategory not in config.utility_subcategories
    return Deadline(kind, start, due, remind_at(config, start, due, can_wait))


def due_actions(config: Config, ticket: Any, now: datetime, done: set[tuple[str, str, int]]) -> list[tuple[str, str]]:
    """What is due for `ticket` at `now` and not yet in `done` ({(action, deadline kind, attempt)}):
    [(reminder|escalation, accept|finish)]. A reminder is skipped once the deadline has passed —
    then the escalation says it all."""
    deadline = current_deadline(config, ticket)
    if deadline is None:
        return []
    attempt = ticket.dispatch_attempt or 0
    if now >= deadline.due:
        if (ESCALATION, deadline.kind, attempt) not in done:
            return [(ESCALATION, deadline.kind)]
        return []
    if now >= deadline.remind and (REMINDER, deadline.kind, attempt) not in done:
        return [(REMINDER, deadline.kind)]
    return []


def format_local(dt: datetime | None) -> str:
    """Beijing time the way people say it: 11月27日 14:30."""
    if dt is None:
        return "—"
    local = to_local(dt)
    return f"{local.month}月{local.day}日 {local:%H:%M}"
