"""The callback question and its answers (pure, no I/O)."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.config import load
from bot.domain.wording import callback_question
from handlers.actions import CallbackAnswer
from handlers.base import Context, Inbound, Outcome, TicketView
from handlers.callback import parse_answer
from handlers.conversation import decide
from handlers.replies import compose

CFG = load("config.example.toml")
OLD = TicketView("R1001", "awaiting_callback", "repair", "c3", "楼道灯不亮", datetime(2026, 11, 1, 9))
NEW = TicketView("R1002", "awaiting_callback", "repair", "c3", "下水道堵了", datetime(2026, 11, 20, 9))


def ctx(state: dict | None = None, waiting: list[TicketView] | None = None) -> Context:
    waiting = [OLD, NEW] if waiting is None else waiting
    return Context(config=CFG, courtyard="c3", state=state or {}, open_tickets=list(waiting), awaiting_callback=waiting)


def test_question_names_the_ticket_and_agrees_with_the_parser() -> None:
    q = callback_question("R1002", "下水道堵了，味很大")
    assert "R1002" in q and "下水道堵了" in q
    assert "5 很满意" in q and "回 0" in q
    assert parse_answer("5") == (True, 5)
    assert parse_answer("0") == (False, None)
    long = callback_question("R1", "很长" * 50)
    assert "…" in long and len(long) < 200


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", (True, 5)), ("4", (True, 4)), ("1", (True, 1)), ("0", (False, None)), ("５", (True, 5)),
        ("5分", (True, 5)), ("五星", (True, 5)), ("五颗星", (True, 5)), ("给5星", (True, 5)),
        ("解决了", (True, None)), ("好了", (True, None)), ("修好了", (True, None)), ("已经修好了谢谢", (True, None)),
        ("灯亮了", (True, None)), ("中", (True, None)),
        ("满意", (True, 5)), ("非常满意", (True, 5)), ("很满意，师傅辛苦了", (True, 5)), ("修好了，五星", (True, 5)),
        ("比较满意", (True, 4)), ("还行吧", (True, 3)),
        ("没修好", (False, None)), ("没解决", (False, None)), ("还是不亮", (False, None)), ("还漏", (False, None)),
        ("又坏了", (False, None)), ("没人来", (False, None)), ("不中", (False, None)),
        ("根本没修，不满意", (False, 2)), ("没修好 1分", (False, 1)),
        ("上次报的那个水管到现在也没修好，还在滴水", (False, None)),
        ("不满意", (None, 2)),
    ],
)
def test_parse_answer(text: str, expected: tuple) -> None:
    assert parse_answer(text) == expected


@pytest.mark.parametrize("text", ["3号院楼道灯不亮了", "有啥活动", "我家楼上天天半夜跺脚吵得睡不着觉请管一管", "", "😊"])
def test_unrelated_messages_are_not_answers(text: str) -> None:
    assert parse_answer(text) is None


def test_answer_goes_to_the_most_recent_ticket() -> None:
    d = decide(Inbound("u", "text", "5"), ctx())
    assert d.actions == [CallbackAnswer("R1002", True, 5, "5")]


def test_answer_naming_a_ref_goes_to_that_ticket() -> None:
    d = decide(Inbound("u", "text", "R1001 修好了 5分"), ctx())
    assert d.actions == [CallbackAnswer("R1001", True, 5, "R1001 修好了 5分")]


def test_not_solved_and_reply() -> None:
    c = ctx()
    d = decide(Inbound("u", "text", "没修好"), c)
    assert d.actions == [CallbackAnswer("R1002", False, None, "没修好")]
    text = compose(d, [Outcome(d.actions[0], True, ref="R1002")], c)
    assert "重新" in text and "R1002" in text


def test_voice_answer() -> None:
    d = decide(Inbound("u", "voice", "修好了非常满意", media_id="V1"), ctx())
    assert d.actions == [CallbackAnswer("R1002", True, 5, "修好了非常满意")]


def test_rating_without_solved_asks_once_then_combines() -> None:
    d = decide(Inbound("u", "text", "不满意"), ctx())
    assert d.actions == [] and "回 0" in d.reply
    d2 = decide(Inbound("u", "text", "0"), ctx(d.state))
    assert d2.actions == [CallbackAnswer("R1002", False, 2, "0")]
    assert d2.state is None or d2.state.callback_rating is None


def test_inactive_without_awaiting_callback() -> None:
    from handlers.callback import matches

    assert not matches(Inbound("u", "text", "5"), ctx(waiting=[]))
