"""The working-day calendar: holidays and 调休 make-up days from chinesecalendar, staff edits on the
workbench for a year the package does not know, the warning before the known years run out, and the
finish deadlines of a real dispatch counted on it."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from bot.domain import clock
from bot.domain import deadlines as dl
from bot.domain.clock import from_local
from bot.domain.workcalendar import WorkCalendar, from_config
from bot.services.dispatch import workcalendar
from bot.services.dispatch.assign import dispatch_now
from bot.storage import db
from bot.storage.models import CalendarDay
from tests.workbench_helpers import COUNCIL_C3, STAFF, login, make_ticket, post_form

LAST = workcalendar.package_years()[-1]
NEXT = LAST + 1


def bj(*args: int) -> datetime:
    return from_local(datetime(*args))


@pytest.fixture(autouse=True)
def _fresh_cache():
    workcalendar.forget()
    yield
    workcalendar.forget()


def package_calendar(steward) -> WorkCalendar:
    with steward.session() as s:
        return workcalendar.current(s, steward.config)


def test_package_holidays_and_make_up_days(steward):
    cal = package_calendar(steward)  # the first use seeds the empty table
    assert date(2026, 10, 1) in cal.holidays and date(2026, 10, 7) in cal.holidays
    assert cal.is_working_day(date(2026, 10, 10))  # a Saturday worked (调休)
    assert not cal.is_working_day(date(2026, 10, 5))  # a Monday off
    assert set(range(2004, LAST + 1)) <= cal.known_years
    cfg = steward.config
    # Wed 30 Sep 17:00 + 2 working hours: the whole National Day week is off → Thu 8 Oct 09:00
    # (the config's three days alone gave Mon 5 Oct).
    assert dl.add_working_hours(cfg, bj(2026, 9, 30, 17, 0), 2, cal) == bj(2026, 10, 8, 9, 0)
    assert dl.add_working_hours(cfg, bj(2026, 9, 30, 17, 0), 2) == bj(2026, 10, 5, 9, 0)
    # Fri 9 Oct 17:00 + 2 h: Saturday 10 Oct is worked → Sat 09:00, not Monday.
    assert dl.add_working_hours(cfg, bj(2026, 10, 9, 17, 0), 2, cal) == bj(2026, 10, 10, 9, 0)
    with steward.session() as s:
        assert workcalendar.seed(s) == 0  # seeding twice adds nothing


def test_config_list_stays_an_extra_source(steward):
    cal = package_calendar(steward)
    for day in steward.config.holidays:
        assert date.fromisoformat(day) in cal.holidays
    assert not from_config(["2027-02-16"]).is_working_day(date(2027, 2, 16))


def test_warning_before_the_known_years_run_out():
    cal = WorkCalendar(known_years=frozenset({2025, 2026}))
    assert cal.warning(date(2026, 6, 1), 60) is None
    soon = cal.warning(date(2026, 12, 1), 60)
    assert soon is not None and "2027" in soon and "31 天" in soon
    late = cal.warning(date(2027, 1, 4), 60)
    assert late is not None and "还没有 2027 年" in late
    assert WorkCalendar(known_years=frozenset({2026, 2027})).warning(date(2026, 12, 1), 60) is None


def _go_to(at: datetime) -> None:
    clock.shift((at - clock.utcnow()).total_seconds())


def test_staff_enter_a_year_the_package_does_not_know(client, steward):
    _go_to(bj(LAST, 12, 15, 10, 0))
    login(client, STAFF)
    page = client.get("/staff/").get_data(as_text=True)
    assert 'id="calendar-warning"' in page and f"{NEXT} 年" in page
    page = client.get(f"/staff/calendar/?year={NEXT}").get_data(as_text=True)
    assert "还没有录入放假安排" in page
    resp = post_form(client, f"/staff/calendar/?year={NEXT}", "/staff/calendar/add",
                     {"day": f"{NEXT}-01-01", "kind": "holiday", "name": "元旦", "year": NEXT})
    assert resp.status_code == 302
    page = client.get(f"/staff/calendar/?year={NEXT}").get_data(as_text=True)
    assert f"{NEXT}-01-01" in page and "元旦" in page and "人工录入" in page and "还没有录入放假安排" not in page
    assert 'id="calendar-warning"' not in client.get("/staff/").get_data(as_text=True)
    # bad input: a clear answer, never a 500
    monday = next(date(NEXT, 3, d) for d in range(1, 8) if date(NEXT, 3, d).weekday() == 0)
    for data, words in (({"day": "明年元旦", "kind": "holiday"}, "请填写正确的日期"),
                        ({"day": monday.isoformat(), "kind": "workday"}, "不需要录入调休上班"),
                        ({"day": monday.isoformat(), "kind": "bogus"}, "类型应为")):
        resp = post_form(client, "/staff/calendar/", "/staff/calendar/add", data)
        assert resp.status_code == 302
        assert words in client.get(resp.headers["Location"]).get_data(as_text=True)
    # without the CSRF token the form is refused
    assert client.post("/staff/calendar/add", data={"day": f"{NEXT}-01-02", "kind": "holiday"}).status_code == 400
    resp = post_form(client, f"/staff/calendar/?year={NEXT}", "/staff/calendar/remove", {"day": f"{NEXT}-01-01"})
    assert resp.status_code == 302
    with steward.session() as s:
        assert s.get(CalendarDay, date(NEXT, 1, 1)) is None


def test_council_cannot_edit_the_calendar(client):
    login(client, COUNCIL_C3)
    assert client.get("/staff/calendar/").status_code == 403
    assert "calendar-warning" not in client.get("/staff/").get_data(as_text=True)


class _Rollback(Exception):
    pass


def test_dispatch_counts_finish_days_on_the_table(steward):
    """A staff-entered holiday moves the finish deadline of a real dispatch."""
    monday = next(date(NEXT, 3, d) for d in range(1, 8) if date(NEXT, 3, d).weekday() == 0)
    _go_to(bj(monday.year, monday.month, monday.day, 9, 0))
    days_off = [monday + timedelta(days=i) for i in range(1, 4)]
    with steward.session() as s:
        for d in days_off:
            workcalendar.put_day(s, d, "holiday", "测试假日", "liu")
    cal = package_calendar(steward)
    with pytest.raises(_Rollback), steward.session() as s:  # rolled back: nothing is pushed
        t = make_ticket(s, text="楼道灯坏了", courtyard="c3", subcategory="照明")
        dispatch_now(s, steward.config, t, 1, None)
        due, now = t.finish_due_at, t.dispatched_at
        raise _Rollback
    assert due == dl.finish_due(steward.config, "repair", now, cal)
    assert due == dl.finish_due(steward.config, "repair", now, from_config(steward.config.holidays)) + timedelta(days=3)


def test_seed_on_both_databases_keeps_staff_edits(any_db_url):
    with db.session_scope(any_db_url) as s:
        workcalendar.put_day(s, date(2026, 10, 8), "holiday", "社区补假", "liu")  # before the package's days
        added = workcalendar.seed(s)
        assert added > 700 and workcalendar.seed(s) == 0
    with db.session_scope(any_db_url) as s:
        row = s.get(CalendarDay, date(2026, 10, 8))
        assert row is not None and row.source == "staff" and row.name == "社区补假"
        assert s.get(CalendarDay, date(2026, 10, 10)).kind == "workday"
