"""Who the sender is and where: "我是粮食局家属院的", "俺家在3号楼2单元401" bind the courtyard and
the unit; "不对，是15号院" right after a ticket moves that ticket; "0" shows every courtyard; a
member's "我的任务" lists their tasks."""

from __future__ import annotations

import re

from handlers import commands, intake, replies
from handlers import courtyard as yards
from handlers.actions import BindCourtyard, MoveTicket, UpdateResident
from handlers.base import Context, Decision, Inbound
from handlers.state import CourtyardAsked
from handlers.text import bare

_INTRO = re.compile(r"^(?:我|俺|咱)(?:们)?(?:家)?(?:是|住|在|住在|就在|家在|是住|住的是)")
_UNIT_WORDS = re.compile(r"[0-9零一二两三四五六七八九十]+(?:号楼|栋|幢|单元|楼|层|室|号|户)?")
_FILL = re.compile(r"^(?:我|俺|咱)(?:们)?(?:家)?(?:是|住|在|住在|就在|家在|是住|住的是)*|(?:的|呢|哩|嘞|啊|呀|这边|那边)+$")
_CORRECTION = re.compile(r"^(?:不对|不是|错了|搞错了|弄错了|说错了|写错了|不是这个院)[^\u4e00-\u9fff]*(?:是|应该是|在|俺是|我是)?")


def _intro(text: str, ctx: Context) -> tuple[str | None, str | None] | None:
    """(courtyard, unit) when the whole message only says who they are, else None."""
    b = bare(text)
    if not _INTRO.match(b) or len(b) > 30:
        return None
    where = yards.locate(text, ctx.config.courtyards)
    unit = yards.parse_unit(text)
    rest = _FILL.sub("", _UNIT_WORDS.sub("", yards.leftover(text, ctx.config.courtyards)))
    if rest or not (where or unit):
        return None
    return where, unit


class SelfIntro:
    name = "self_intro"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return msg.kind in ("text", "voice") and _intro(msg.text, ctx) is not None

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        where, unit = _intro(msg.text, ctx) or (None, None)
        actions: list = []
        if where:
            actions.append(BindCourtyard(where))
        if unit:
            actions.append(UpdateResident(unit=unit))
        if where is None and ctx.courtyard is None:
            return Decision(actions=actions, reply=f"门牌记下了：{unit}。请问是哪个院的？直接说院名或院号就行。",
                            state=intake.ask(ctx, CourtyardAsked()))
        tail = f"门牌记下了：{unit}。" if unit else ""
        return Decision(actions=actions, reply=(tail + "有事直接说就行。"), state=intake.keep(ctx))


class Correction:
    """不对，是15号院 — soon after a ticket was opened: move it (both councils are told)."""

    name = "correction"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        if msg.kind not in ("text", "voice") or not _CORRECTION.match(bare(msg.text)):
            return False
        last = intake.last_ticket(ctx)
        if last is None or not _recent(ctx):
            return False
        where = yards.locate(msg.text, ctx.config.courtyards)
        return where is not None and where != last.courtyard

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        last = intake.last_ticket(ctx)
        where = yards.locate(msg.text, ctx.config.courtyards)
        assert last is not None and where is not None
        return Decision(actions=[MoveTicket(last.ref, where)], state=intake.keep(ctx))


def _recent(ctx: Context) -> bool:
    last, now = ctx.state.last, ctx.clock
    if last is None:
        return False
    if last.at is None or now is None:
        return True
    return now - last.at <= ctx.config.conversation.followup_minutes * 60


class AllCourtyards:
    """"0" while asked for the courtyard: the whole list (the question shows a short prompt)."""

    name = "all_courtyards"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return msg.kind in ("text", "voice") and bare(msg.text) in ("0", "零", "全部", "看全部")

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        return Decision(reply=replies.courtyard_menu(ctx.config, full=True), state=ctx.state)


class MyTasks:
    """我的任务 / 我的工单 from a council member: the tasks given to them, urgent first."""

    name = "my_tasks"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return commands.my_tasks_asked(msg, ctx)

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        return Decision(reply=commands.task_list(ctx), state=ctx.state)
