"""The working-day calendar from the `calendar_days` table: seeded from the maintained
`chinesecalendar` package (official holidays and 调休 make-up days), edited by staff on the workbench
for a year the package does not know yet, merged with the config's `[deadlines] holidays`.

Each process keeps the built `WorkCalendar` and re-reads the table only when a cheap stamp
(row count, latest edit) has changed, checked at most every `[calendar] refresh_seconds`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date

import chinese_calendar  # type: ignore[import-untyped]
from chinese_calendar import constants as cc
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain.clock import utcnow
from bot.domain.workcalendar import HOLIDAY, WORKDAY, WorkCalendar
from bot.storage.models import CalendarDay

log = logging.getLogger(__name__)
PACKAGE = "package"
STAFF = "staff"
PACKAGE_VERSION = getattr(chinese_calendar, "__version__", "?")

# Holiday names the package gives in English → what staff read.
NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


class CalendarError(ValueError):
    """A staff edit that cannot be applied; the message is for the page."""


def package_years() -> list[int]:
    return sorted({d.year for d in cc.holidays} | {d.year for d in cc.workdays})


def seed(session: Session) -> int:
    """Add the package's days that the table lacks (a staff edit of the same day wins); → rows added.
    Safe when several processes seed an empty table at once (ON CONFLICT DO NOTHING)."""
    have = set(session.scalars(select(CalendarDay.day)))
    now = utcnow()
    rows = [{"day": day, "kind": kind, "name": NAMES.get(str(name), str(name)), "source": PACKAGE, "updated_at": now}
            for kind, days in ((HOLIDAY, cc.holidays), (WORKDAY, cc.workdays))
            for day, name in days.items() if day not in have]
    if rows:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(insert(CalendarDay).values(rows).on_conflict_do_nothing(index_elements=["day"]))
        log.info("calendar: %d days seeded from chinesecalendar %s", len(rows), PACKAGE_VERSION)
    return len(rows)


def load(session: Session, config: Config) -> WorkCalendar:
    rows = session.execute(select(CalendarDay.day, CalendarDay.kind)).all()
    holidays = frozenset(d for d, k in rows if k == HOLIDAY)
    workdays = frozenset(d for d, k in rows if k == WORKDAY)
    # A year is known when the package covers it or staff entered its holidays.
    years = frozenset(package_years()) | frozenset(d.year for d in holidays)
    return WorkCalendar(holidays, workdays, years).with_holidays(config.holidays)


@dataclass
class _Cached:
    calendar: WorkCalendar
    stamp: tuple
    checked: float


_cache: dict[str, _Cached] = {}


def _stamp(session: Session) -> tuple:
    return tuple(session.execute(select(func.count(), func.max(CalendarDay.updated_at))).one())


def current(session: Session, config: Config) -> WorkCalendar:
    """This process's calendar; the first use on an empty table seeds it from the package."""
    key = config.database_url
    hit = _cache.get(key)
    if hit is not None and time.monotonic() - hit.checked < config.calendar.refresh_seconds:
        return hit.calendar
    stamp = _stamp(session)
    if stamp[0] == 0 and config.calendar.seed_from_package:
        seed(session)
        stamp = _stamp(session)
    if hit is not None and hit.stamp == stamp:
        hit.checked = time.monotonic()
        return hit.calendar
    calendar = load(session, config)
    _cache[key] = _Cached(calendar, stamp, time.monotonic())
    return calendar


def forget() -> None:
    """Drop the cached calendars (after an edit in this process, and in tests)."""
    _cache.clear()


def year_days(session: Session, year: int) -> list[CalendarDay]:
    return list(session.scalars(select(CalendarDay).where(CalendarDay.day >= date(year, 1, 1),
                                                          CalendarDay.day < date(year + 1, 1, 1))
                                .order_by(CalendarDay.day)))


def put_day(session: Session, day: date, kind: str, name: str, by: str) -> CalendarDay:
    if kind not in (HOLIDAY, WORKDAY):
        raise CalendarError("类型应为“放假”或“调休上班”。")
    if kind == WORKDAY and day.weekday() < 5:
        raise CalendarError(f"{day:%Y-%m-%d} 是工作日（周一至周五），不需要录入调休上班。")
    row = session.get(CalendarDay, day) or CalendarDay(day=day)
    row.kind, row.name, row.source, row.updated_by, row.updated_at = kind, name.strip()[:64], STAFF, by, utcnow()
    session.add(row)
    session.flush()
    forget()
    return row


def remove_day(session: Session, day: date) -> bool:
    row = session.get(CalendarDay, day)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    forget()
    return True
