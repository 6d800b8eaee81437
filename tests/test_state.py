"""The typed dialogue state: JSON round trip, versions, and question timeouts in the conversation."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import load
from handlers.base import Context, Inbound
from handlers.conversation import CONVERSATION, decide
from handlers.state import (
    MAX_HELD,
    VERSION,
    BindOffered,
    CourtyardAsked,
    DialogueState,
    EventsListed,
    FollowUpAsked,
    LastTicket,
    MediaRef,
    MenuShown,
    Question,
    RatingAsked,
    Request,
    WithdrawAsked,
    hold,
)

CFG = load("config.example.toml")
NOW = datetime(2026, 12, 1, 9, 0)


def test_json_round_trip_keeps_every_field() -> None:
    state = DialogueState(pending=MenuShown(Request("灯坏了", "repair", "照明", 0.4, True, (MediaRef("M1", "image"),), "fire"),
                                            at=1.5),
                          last=LastTicket("堵了", "repair", 3.0, "R1001", "c3"),
                          media=(MediaRef("M2", "video"), MediaRef("M3", "image"), MediaRef("M4", "voice")),
                          finish_photo="R9", declined_default=True, handoff_until=9.0)
    assert DialogueState.from_json(state.to_json()) == state


@pytest.mark.parametrize("question", [
    CourtyardAsked(Request("灯坏了", "repair"), asked=2, placed=True, guess="c3", at=7.0), CourtyardAsked(),
    BindOffered("c3", at=1.0), EventsListed(at=2.0), WithdrawAsked("R1001", "不用来了"), FollowUpAsked("R1001", "还有"),
    FollowUpAsked("R1002"), RatingAsked("R1003", at=4.0),
])
def test_every_question_round_trips(question: Question) -> None:
    state = DialogueState(pending=question)
    assert DialogueState.from_json(state.to_json()) == state
    assert state.step == question.tag


def test_a_question_of_a_tag_this_code_does_not_know_reads_as_nothing_asked() -> None:
    raw = json.dumps({"version": VERSION, "pending": {"q": "ask_time", "at": 1.0}, "finish_photo": "R9"})
    assert DialogueState.from_json(raw) == DialogueState(finish_photo="R9")
    bad = json.dumps({"version": VERSION, "pending": {"q": "ask_courtyard", "asked": "many"}})
    assert DialogueState.from_json(bad) == DialogueState()  # misread: forgotten, not guessed


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
    assert state.version == VERSION == 4
    assert state.media == (MediaRef("P0", "image"),)
    assert state.pending == CourtyardAsked(Request("灯坏了", "repair", media=(MediaRef("P1", "image"),)), asked=1, at=7.0)
    assert json.loads(state.to_json())["media"] == [{"media_id": "P0", "kind": "image"}]  # written as version 4
    assert DialogueState.from_json(json.dumps({"version": 2, "step": "event_pick"})) == DialogueState(
        pending=EventsListed())


V3 = {"version": 3, "last": {"text": "堵了", "category": "repair", "at": 3.0, "ref": "R1001"}, "declined_default": True,
      "handoff_until": 9.0, "finish_photo": "R9"}


@pytest.mark.parametrize(("flat", "question"), [
    ({"step": "ask_courtyard", "step_at": 7.0, "pending": {"text": "灯坏了", "category": "repair", "confidence": 0.4},
      "asked": 2, "placed": True, "guess": "c3"},
     CourtyardAsked(Request("灯坏了", "repair", confidence=0.4), asked=2, placed=True, guess="c3", at=7.0)),
    ({"step": "ask_courtyard"}, CourtyardAsked()),
    ({"step": "confirm_bind", "step_at": 1.0, "offer": "c3"}, BindOffered("c3", at=1.0)),
    ({"step": "menu", "step_at": 2.0, "pending": {"text": "那个", "category": "inquiry"}},
     MenuShown(Request("那个", "inquiry"), at=2.0)),
    ({"step": "event_pick", "step_at": 2.0}, EventsListed(at=2.0)),
    ({"step": "confirm_withdraw", "subject": "R1001", "held_text": "不用来了"}, WithdrawAsked("R1001", "不用来了")),
    ({"step": "followup_or_new", "subject": "R1001", "held_text": "还有"}, FollowUpAsked("R1001", "还有")),
    ({"step": "followup_or_new", "subject": "R1001"}, FollowUpAsked("R1001")),
    ({"step": "rate_after", "step_at": 4.0, "subject": "R1003"}, RatingAsked("R1003", at=4.0)),
    ({"step": "menu"}, None),  # a question missing what its answer needs was never answerable: dropped
    ({"step": "confirm_bind"}, None), ({"step": "rate_after"}, None), ({"subject": "R1", "offer": "c3"}, None),
])
def test_a_version_3_state_reads_its_flat_question_into_one_field(flat: dict, question: Question | None) -> None:
    """Stored before the deploy that made the pending question one field: the question, and
    everything else, read as it was."""
    state = DialogueState.from_json(json.dumps({**V3, **flat}))
    assert state.pending == question
    assert (state.last, state.declined_default, state.handoff_until, state.finish_photo) == (
        LastTicket("堵了", "repair", 3.0, "R1001"), True, 9.0, "R9")
    assert json.loads(state.to_json())["version"] == VERSION


def test_a_version_3_question_is_still_answered_after_the_deploy() -> None:
    """Asked 以后默认是3号院吗？ before the deploy, answered 1 after it: bound."""
    raw = json.dumps({"version": 3, "step": "confirm_bind", "offer": "c3", "step_at": _epoch(NOW)})
    d = decide(Inbound("o", "text", "1"), Context(config=CFG, state=DialogueState.from_json(raw), now=NOW))
    assert [type(a).__name__ for a in d.actions] == ["BindCourtyard"] and d.actions[0].courtyard == "c3"


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
    recent = DialogueState(pending=MenuShown(pending, at=_epoch(NOW - timedelta(minutes=1))))
    assert decide(Inbound("o", "text", "1"), Context(config=CFG, courtyard="c3", state=recent, now=NOW)).actions
    old = replace(recent, pending=MenuShown(pending, at=_epoch(NOW - timedelta(minutes=minutes + 1))))
    ctx = Context(config=CFG, courtyard="c3", state=old, now=NOW)
    assert CONVERSATION.expire(ctx).state.step is None
    assert not decide(Inbound("o", "text", "1"), ctx).actions  # a bare "1" is no longer a menu answer


def _epoch(naive_utc: datetime) -> float:
    return naive_utc.replace(tzinfo=UTC).timestamp()
