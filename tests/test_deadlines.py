"""Deadlines are pure: categories, urgency, working hours and holidays in Beijing time."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot import config as config_mod
from bot.domain import deadlines as dl
from bot.domain.clock import from_local

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def cfg() -> config_mod.Config:
    return config_mod.load(ROOT / "config.example.toml")


def bj(*args: int) -> datetime:
    return from_local(datetime(*args))


def test_accept_hours_by_urgency_and_subcategory(cfg):
    assert dl.accept_hours(cfg, "repair", "漏电", urgent=True) == 1
    assert dl.accept_hours(cfg, "repair", "给排水", urgent=False) == 2
    assert dl.accept_hours(cfg, "repair", "照明", urgent=False) == 24
    start = bj(2026, 11, 27, 23, 0)  # night: accept deadlines run on the wall clock
    assert dl.accept_due(cfg, "repair", None, True, start) == start + timedelta(hours=1)


def test_finish_counts_working_days_skipping_weekend(cfg):
    # Friday 2026-11-27 16:00 Beijing + 5 working days (10 h each) = Friday 2026-12-04 16:00.
    assert dl.finish_due(cfg, "repair", bj(2026, 11, 27, 16, 0)) == bj(2026, 12, 4, 16, 0)


def test_after_hours_start_counts_from_next_morning(cfg):
    # Saturday evening → Monday 08:00 start; 2 working days (inquiry) → Tuesday 18:00.
    assert dl.finish_due(cfg, "inquiry", bj(2026, 11, 28, 20, 0)) == bj(2026, 12, 1, 18, 0)


def test_holidays_are_skipped(cfg):
    # 2026-10-01..03 are holidays (Thu-Sat), Sunday too: Wed 30 Sep 17:00 + 2 h → Mon 5 Oct 09:00.
    assert dl.add_working_hours(cfg, bj(2026, 9, 30, 17, 0), 2) == bj(2026, 10, 5, 9, 0)


def test_reminder_when_a_quarter_is_left(cfg):
    start = bj(2026, 11, 27, 10, 0)
    due = start + timedelta(hours=24)
    assert dl.remind_at(cfg, start, due) == start + timedelta(hours=18)
    assert dl.remind_at(replace(cfg, reminder_before=0.5), start, due) == start + timedelta(hours=12)


def test_reminders_that_can_wait_keep_out_of_the_quiet_hours(cfg):
    assert (cfg.quiet_start, cfg.quiet_end) == (22, 7)
    # Dispatched 10:00 with 24 h to accept: a quarter left is 04:00 — quiet; 07:00 leaves 3 h. Morning.
    start = bj(2026, 11, 27, 10, 0)
    due = start + timedelta(hours=24)
    assert dl.remind_at(cfg, start, due) == bj(2026, 11, 28, 4, 0)  # urgent or utility: at its time
    assert dl.remind_at(cfg, start, due, can_wait=True) == bj(2026, 11, 28, 7, 0)
    # Due 07:30: the morning would leave half an hour, so it goes the evening before, at 21:00.
    start, due = bj(2026, 11, 26, 7, 30), bj(2026, 11, 27, 7, 30)
    assert dl.remind_at(cfg, start, due) == bj(2026, 11, 27, 1, 30)
    assert dl.remind_at(cfg, start, due, can_wait=True) == bj(2026, 11, 26, 21, 0)
    # Neither fits (a short deadline inside the night): at its time.
    start, due = bj(2026, 11, 26, 22, 30), bj(2026, 11, 27, 6, 30)
    assert dl.remind_at(cfg, start, due, can_wait=True) == dl.remind_at(cfg, start, due)
    # Outside the quiet hours nothing moves; quiet_start == quiet_end turns them off.
    start = bj(2026, 11, 27, 16, 0)
    assert dl.remind_at(cfg, start, start + timedelta(hours=24), can_wait=True) == bj(2026, 11, 28, 10, 0)
    night = bj(2026, 11, 27, 4, 0)
    assert dl.remind_at(replace(cfg, quiet_start=0, quiet_end=0), night, night + timedelta(hours=24),
                        can_wait=True) == bj(2026, 11, 27, 22, 0)
    # Quiet hours that do not cross midnight work the same way.
    early = replace(cfg, quiet_start=1, quiet_end=6)
    start = bj(2026, 11, 26, 15, 0)  # half of 24 h left at 03:00: quiet → 06:00
    assert dl.remind_at(replace(early, reminder_before=0.5), start, start + timedelta(hours=24),
                        can_wait=True) == bj(2026, 11, 27, 6, 0)


def test_current_deadline_lets_only_what_can_wait_wait(cfg):
    # Dispatched 04:00, due 04:00 next day: the reminder (22:00) moves to 21:00, the morning being
    # past the deadline — unless the ticket is urgent or about water/power.
    night = dict(dispatched_at=bj(2026, 11, 27, 4, 0), accept_due_at=bj(2026, 11, 28, 4, 0))
    assert dl.current_deadline(cfg, _ticket(**night)).remind == bj(2026, 11, 27, 21, 0)
    assert dl.current_deadline(cfg, _ticket(**night, urgent=True)).remind == bj(2026, 11, 27, 22, 0)
    assert dl.current_deadline(cfg, _ticket(**night, subcategory="给排水")).remind == bj(2026, 11, 27, 22, 0)


def _ticket(**kw):
    base = dict(status="dispatched", dispatched_at=bj(2026, 11, 27, 10, 0), accept_due_at=bj(2026, 11, 28, 10, 0),
                accepted_at=None, finish_due_at=bj(2026, 12, 4, 10, 0), created_at=bj(2026, 11, 27, 10, 0),
                dispatch_attempt=1, urgent=False, subcategory="照明")
    base.update(kw)
    return SimpleNamespace(**base)


def test_due_actions_reminder_then_escalation_once_each(cfg):
    t = _ticket()
    assert dl.due_actions(cfg, t, bj(2026, 11, 27, 12, 0), set()) == []
    # A quarter left is 04:00: quiet hours, so the reminder waits for 07:00.
    assert dl.due_actions(cfg, t, bj(2026, 11, 28, 5, 0), set()) == []
    assert dl.due_actions(cfg, t, bj(2026, 11, 28, 7, 0), set()) == [("reminder", "accept")]
    assert dl.due_actions(cfg, t, bj(2026, 11, 28, 7, 0), {("reminder", "accept", 1)}) == []
    assert dl.due_actions(cfg, t, bj(2026, 11, 28, 11, 0), {("reminder", "accept", 1)}) == [("escalation", "accept")]
    assert dl.due_actions(cfg, t, bj(2026, 11, 28, 11, 0), {("escalation", "accept", 1)}) == []
    # a new attempt (re-dispatch) runs its own reminders
    assert dl.due_actions(cfg, _ticket(dispatch_attempt=2), bj(2026, 11, 28, 7, 0), {("reminder", "accept", 1)}) \
        == [("reminder", "accept")]


def test_accepted_ticket_runs_against_finish_deadline(cfg):
    t = _ticket(status="accepted", accepted_at=bj(2026, 11, 27, 11, 0))
    assert dl.current_deadline(cfg, t).kind == "finish"
    assert dl.due_actions(cfg, t, bj(2026, 12, 4, 11, 0), set()) == [("escalation", "finish")]
    assert dl.current_deadline(cfg, _ticket(status="awaiting_callback")) is None


def test_format_local():
    assert dl.format_local(bj(2026, 11, 27, 14, 30)) == "11月27日 14:30"
