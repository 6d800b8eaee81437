"""The typed dialogue state: JSON round trip, versions, and question timeouts in the conversation."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.config import load
from handlers.base import Context, Inbound
from handlers.conversation import CONVERSATION, decide
from handlers.state import MAX_HELD, VERSION, DialogueState, LastTicket, MediaRef, Request, Step, hold

CFG = load("config.example.toml")
NOW = datetime(2026, 12, 1, 9, 0)


def test_json_round_trip_keeps_every_field() -> None:
    state = DialogueState(step=Step.MENU, step_at=1.5, asked=2, offer="c3", placed=True,
                          pending=Request("灯坏了", "repair", "照明", 0.4, True, (MediaRef("M1", "image"),), "fire"),
                          last=LastTicket("堵了", "repair", 3.0, "R1001", "c3"),
                          media=(MediaRef("M2", "video"), MediaRef("M3", "image"), MediaRef("M4", "voice")),
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


def test_a_version_2_state_holding_one_photo_reads_into_todays_shape() -> None:
    """Stored before the deploy that made held media a tuple: the held photo (and the pending
    request's) survive it, everything else as it was."""
    raw = json.dumps({"version": 2, "step": "ask_courtyard", "step_at": 7.0, "asked": 1,
                      "pending": {"text": "灯坏了", "category": "repair", "media": {"media_id": "P1", "kind": "image"}},
                      "media": {"media_id": "P0", "kind": "image"}, "subject": "R1001"})
    state = DialogueState.from_json(raw)
    assert state.version == VERSION == 3
    assert state.media == (MediaRef("P0", "image"),)
    assert state.pending == Request("灯坏了", "repair", media=(MediaRef("P1", "image"),))
    assert (state.step, state.step_at, state.asked, state.subject) == ("ask_courtyard", 7.0, 1, "R1001")
    assert json.loads(state.to_json())["media"] == [{"media_id": "P0", "kind": "image"}]  # written as version 3
    assert DialogueState.from_json(json.dumps({"version": 2, "step": "menu"})) == DialogueState(step="menu")


def test_held_media_keep_their_order_and_stop_at_nine() -> None:
    held: tuple[MediaRef, ...] = ()
    for i in range(MAX_HELD):
        held = hold(held, MediaRef(f"P{i}", "image")) or ()
    assert [m.media_id for m in held] == [f"P{i}" for i in range(9)]
    assert hold(held, MediaRef("P9", "image")) is None  # a tenth: refused, not squeezed in
    assert hold(held, MediaRef("P3", "image")) == held  # the same photo again (a replay) is not held twice
    stored = DialogueState(media=held).to_json()
    assert DialogueState.from_json(stored).media == held
    # a hand-edited (or corrupted) store with more than nine reads the first nine
    many = json.dumps({"version": VERSION, "media": [{"media_id": f"Q{i}", "kind": "image"} for i in range(12)]})
    assert len(DialogueState.from_json(many).media) == MAX_HELD


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
