"""The typed dialogue state: JSON round trip, versions, and question timeouts in the conversation."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.config import load
from handlers import decide
from handlers.base import Context, Inbound
from handlers.conversation import CONVERSATION
from handlers.state import VERSION, DialogueState, LastTicket, MediaRef, Request, Step

CFG = load("config.example.toml")
NOW = datetime(2026, 12, 1, 9, 0)


def test_json_round_trip_keeps_every_field() -> None:
    state = DialogueState(step=Step.MENU, step_at=1.5, asked=2, offer="c3", placed=True,
                          pending=Request("灯坏了", "repair", "照明", 0.4, True, MediaRef("M1", "image"), "fire"),
                          last=LastTicket("堵了", "repair", 3.0, "R1001", "c3"), media=MediaRef("M2", "video"),
                          finish_photo="R9", declined_default=True, handoff_until=9.0)
    assert DialogueState.from_json(state.to_json()) == state


def test_an_empty_state_is_stored_short() -> None:
    assert DialogueState().to_json() == f'{{"version":{VERSION}}}'


def test_older_or_broken_states_read_as_fresh() -> None:
    assert DialogueState.from_json('{"step": "menu", "pending": {"text": "x"}}') == DialogueState()  # v1 dict
    assert DialogueState.from_json('{"version": 999, "step": "menu"}') == DialogueState()
    assert DialogueState.from_json("not json") == DialogueState()
    assert DialogueState.from_json(b'[1, 2]') == DialogueState()
    assert DialogueState.from_json(json.dumps({"version": VERSION, "asked": "many"})) == DialogueState()


def test_a_question_past_its_timeout_no_longer_owns_the_digits() -> None:
    pending = Request("楼下那个事", "repair", confidence=0.3)
    minutes = CFG.conversation.question_minutes
    recent = DialogueState(step=Step.MENU, pending=pending, step_at=_epoch(NOW - timedelta(minutes=1)))
    assert decide(Inbound("o", "text", "1"), Context(config=CFG, courtyard="c3", state=recent, now=NOW)).actions
    old = replace(recent, step_at=_epoch(NOW - timedelta(minutes=minutes + 1)))
    ctx = Context(config=CFG, courtyard="c3", state=old, now=NOW)
    assert CONVERSATION.expire(ctx).state.step is None
    assert not decide(Inbound("o", "text", "1"), ctx).actions  # a bare "1" is no longer a menu answer


def _epoch(naive_utc: datetime) -> float:
    return naive_utc.replace(tzinfo=UTC).timestamp()
