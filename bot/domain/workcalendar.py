"""The working-day calendar behind every deadline, pure: official holidays and 调休 make-up working
days as a frozen value. The service layer builds it from the `calendar_days` table (seeded from the
`chinesecalendar` package, edited by staff) plus the config's `[deadlines] holidays`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

HOLIDAY = "holiday"
WORKDAY = "workday"  # 调休上班: a weekend day that is worked
KIND_LABELS = {HOLIDAY: "放假", WORKDAY: "调休上班"}


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    known_years: frozenset[int] = frozenset()  # years whose holidays are all entered

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def with_holidays(self, extra: Iterable[str | date]) -> WorkCalendar:
        """Plus holidays given as ISO strings (the config list); a make-up workday stays worked."""
        days = {d if isinstance(d, date) else date.fromisoformat(d) for d in extra}
        return WorkCalendar(self.holidays | days, self.workdays, self.known_years)

    def last_known_year(self) -> int | None:
        return max(self.known_years) if self.known_years else None

    def warning(self, today: date, warn_days: int) -> str | None:
        """A workbench warning when deadlines will soon fall in a year nobody has entered yet."""
        if today.year not in self.known_years:
            return (f"节假日日历里还没有 {today.year} 年：截止时间只按周末计算，"
                    f"请在“节假日”页录入 {today.year} 年的放假和调休上班日。")
        upcoming = today.year + 1
        if upcoming in self.known_years:
            return None
        left = (date(upcoming, 1, 1) - today).days
        if left <= warn_days:
            return (f"节假日日历只到 {today.year} 年，还有 {left} 天进入 {upcoming} 年："
                    f"国务院公布放假安排后，请在“节假日”页录入 {upcoming} 年的放假和调休上班日。")
        return None


def from_config(holidays: Iterable[str]) -> WorkCalendar:
    """Only the config's list (what the deadlines used before the table existed)."""
    return WorkCalendar().with_holidays(holidays)
