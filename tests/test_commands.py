"""Council commands: parsing, members only, reasons, the photo after 办结 (pure, no I/O)."""

from __future__ import annotations

import pytest

from bot.config import load
from handlers.actions import AttachMedia, CouncilCommand
from handlers.base import Context, Inbound, Outcome
from handlers.commands import parse
from handlers.conversation import decide
from handlers.replies import compose
from handlers.state import MediaRef

CFG = load("config.example.toml")
MEMBER = CFG.member("o-sample-c3-2")


def member_ctx(state: dict | None = None) -> Context:
    return Context(config=CFG, courtyard="c3", state=state or {}, member=MEMBER)


def say(text: str, ctx: Context, kind: str = "text", media_id: str | None = None):
    return decide(Inbound(MEMBER.openid, kind, text, media_id=media_id), ctx)


@pytest.mark.parametrize(
    ("text", "verb", "ref", "note"),
    [
        ("接单 R1024", "accept", "R1024", ""),
        ("接单r1024", "accept", "R1024", ""),
        ("接单：R1024", "accept", "R1024", ""),
        ("  接单   r1024  ", "accept", "R1024", ""),
        ("接单 Ｒ１０２４", "accept", "R1024", ""),
        ("退单 R1024 不是我们院的事", "return", "R1024", "不是我们院的事"),
        ("退单R1024：这是物业管的", "return", "R1024", "这是物业管的"),
        ("进展 R1024 已联系师傅明天来", "progress", "R1024", "已联系师傅明天来"),
        ("进展：r1024，材料买好了", "progress", "R1024", "材料买好了"),
        ("办结 R1024：已更换灯泡", "finish", "R1024", "已更换灯泡"),
        ("办结R1024已更换灯泡", "finish", "R1024", "已更换灯泡"),
        ("办结，R1024。换了新灯泡", "finish", "R1024", "换了新灯泡"),
        ("办结 R1024", "finish", "R1024", ""),
        ("领单 R77", "accept", "R77", ""),
    ],
)
def test_parse(text: str, verb: str, ref: str, note: str) -> None:
    p = parse(text)
    assert p is not None and (p.verb, p.ref, p.note) == (verb, ref, note)


@pytest.mark.parametrize("text", ["办结了吗", "进展咋样了", "我想问问接单的人是谁", "楼道灯坏了", "接受不了楼上的噪音"])
def test_not_commands(text: str) -> None:
    assert parse(text, member=False) is None


@pytest.mark.parametrize("text", ["办结了吗", "进展咋样了"])
def test_questions_from_members_are_not_commands(text: str) -> None:
    assert parse(text, member=True) is None


def test_member_accept_action_and_reply() -> None:
    ctx = member_ctx()
    d = say("接单r1024", ctx)
    assert d.actions == [CouncilCommand("accept", "R1024", "")]
    text = compose(d, [Outcome(d.actions[0], True, ref="R1024")], ctx)
    assert "已接单 R1024" in text


def test_return_needs_a_reason() -> None:
    d = say("退单 R1024", member_ctx())
    assert d.actions == []
    assert "原因" in d.reply and "R1024" in d.reply


def test_progress_needs_a_note() -> None:
    d = say("进展 R1024", member_ctx())
    assert d.actions == [] and "进展" in d.reply


def test_missing_ref_is_asked_for() -> None:
    d = say("接单", member_ctx())
    assert d.actions == [] and "R1024" in d.reply
    d = say("接单 1024", member_ctx())
    assert d.actions == [] and "字母" in d.reply


def test_refused_command_message_is_shown() -> None:
    ctx = member_ctx()
    d = say("接单 R99", ctx)
    text = compose(d, [Outcome(d.actions[0], False, message="这个工单不是您院的，不能接单。")], ctx)
    assert text == "这个工单不是您院的，不能接单。"


def test_non_members_get_a_polite_answer() -> None:
    ctx = Context(config=CFG, courtyard="c3")
    d = decide(Inbound("o-resident", "text", "接单 R1024"), ctx)
    assert d.actions == []
    assert "理事会成员" in d.reply


def test_photo_after_finish_is_attached() -> None:
    d = say("办结 R1024：已更换灯泡", member_ctx())
    assert d.actions == [CouncilCommand("finish", "R1024", "已更换灯泡")]
    d2 = say("", member_ctx(d.state), kind="image", media_id="MEDIA1")
    assert d2.actions == [AttachMedia("R1024", (MediaRef("MEDIA1", "image"),), note="办结现场照片")]
    d3 = say("", member_ctx(d2.state), kind="image", media_id="MEDIA2")  # a second photo too
    assert d3.actions[0].media == (MediaRef("MEDIA2", "image"),)


def test_photo_without_finish_is_not_a_finish_photo() -> None:
    d = say("", member_ctx(), kind="image", media_id="MEDIA1")
    assert not any(isinstance(a, AttachMedia) for a in d.actions)
