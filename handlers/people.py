"""Handlers that put people first: an emergency, asking for help, asking for a person, withdrawing.

They run before the pending question's own handlers (see `handlers.conversation`), so a resident
in danger or in need of a person is never held up by a menu.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime

from bot.domain.vocabulary import UNFINISHED
from handlers import acts, followup, intake, progress, replies
from handlers import courtyard as yards
from handlers import emergency as em
from handlers.actions import EscalateTicket, HandOff, Withdraw
from handlers.base import Context, Decision, Inbound, TicketView
from handlers.state import CourtyardAsked, MediaRef, Request, WithdrawAsked, hold
from handlers.text import bare, find_ref, newest, yes_no

ESCALATABLE = UNFINISHED


def _words(msg: Inbound) -> bool:
    return msg.kind in ("text", "voice") and bool(msg.text.strip())


SAME_EMERGENCY_MINUTES = 180  # a second cry about danger this soon after an urgent report is about it


def about_open_ticket(e: em.Emergency, ctx: Context, text: str = "") -> TicketView | None:
    """The sender's open ticket this emergency is about: the same danger in its words, else the urgent
    one just opened (a second cry — "he can't breathe now" after "trapped in the lift" — is the same
    scene, unless it names another courtyard or building)."""
    open_ = [t for t in ctx.open_tickets if t.status in ESCALATABLE]
    same = [t for t in open_ if em.same_subject(e, t.text)]
    if same:
        return newest(same)
    now = ctx.clock
    recent = [t for t in open_ if t.urgent and now is not None and t.created_at is not None
              and now - _epoch(t.created_at) <= SAME_EMERGENCY_MINUTES * 60
              and not followup.elsewhere(text, t, ctx)]
    return newest(recent)


def _epoch(at: datetime) -> float:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


class Emergency:
    """Life and safety first: the number, one line of advice, then the ticket (urgent, 1 h)."""

    name = "emergency"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        if not _words(msg) or (e := em.read(msg.text)) is None:
            return False
        return not (e.kinds == ("person",) and _cancels_a_place(msg, ctx))

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        text = msg.text.strip()
        e = em.read(text)
        assert e is not None
        notice = em.notice(ctx.config, e)
        ticket = about_open_ticket(e, ctx, text)
        if ticket is not None:
            return Decision(actions=[EscalateTicket(ticket.ref, text, e.kind)], urgent_notice=notice,
                            state=intake.keep(ctx))
        category, sub = _category(text, e)
        media = ctx.state.media
        if msg.kind == "voice" and msg.media_id:
            media = hold(media, MediaRef(msg.media_id, "voice")) or media
        request = Request(text, category, sub, 1.0, urgent=True, media=media, emergency=e.kind)
        decision = intake.ticket_or_ask(ctx, request, notice)
        decision.urgent_notice = notice
        return decision


_CANT_GO = re.compile(r"(?:去|来)不了|不(?:去|来|参加)了")
_HURT = re.compile(r"摔|倒|晕|昏|动不了|起不来|喘不|疼|血|救|不省人事|没气|叫不醒|不行了")


def _cancels_a_place(msg: Inbound, ctx: Context) -> bool:
    """"俺老伴去不了了" from someone holding a place at an activity: a cancellation, not a person in danger
    (only "can't go" words, no sign of harm, and the act model reads a cancellation)."""
    b = bare(msg.text)
    if not _CANT_GO.search(b) or _HURT.search(b) or not any(e.mine for e in ctx.events):
        return False
    a = acts.read_act(progress.context_of(ctx), msg.text, acts.RESIDENT_ACTS)
    return a is not None and a.act == "cancel_signup" and a.confidence >= 0.5


class NewProblemWhileAsked:
    """After an emergency's "which courtyard?": "15号院楼道灯坏了" is a new problem (a ticket of its own),
    not the answer; the emergency's courtyard is then asked again, the named one offered."""

    name = "new_problem_while_asked"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        q = ctx.state.pending
        opened = isinstance(q, CourtyardAsked) and q.placed
        if not (_words(msg) and opened) or yards.answer(msg.text, ctx.config.courtyards) is None:
            return False
        placed = [t for t in ctx.open_tickets if t.courtyard is None and t.urgent]
        return followup.names_a_problem(msg.text, ctx) and not any(
            followup.same_subject(msg.text, t, ctx) for t in placed)

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        where = yards.answer(msg.text, ctx.config.courtyards)
        assert where is not None
        declined = ctx.state.declined_default
        fresh = replace(ctx, state=ctx.state.settled(declined_default=True))  # no 以后默认…？ over the question
        decision = intake.route(msg, fresh, msg.text.strip())
        state = (decision.state or fresh.state).asking(CourtyardAsked(asked=1, placed=True, guess=where), ctx.clock)
        decision.state = replace(state, declined_default=declined)
        label = replies.courtyard_label(ctx.config, where)
        decision.reply = f"刚才那件紧急的事也在{label}吗？回复“是”，不是的话告诉我是哪个院。"
        return decision


def _category(text: str, e: em.Emergency) -> tuple[str, str | None]:
    if em.PERSON in e.kinds:  # someone hurt or down: never a repair
        return "grievance", "紧急求助"
    if e.kind == em.LIFT:  # someone shut in a lift: 96333 first, and the lift is a repair (its people told)
        return "repair", "电梯"
    cls = intake.classify_text(text)
    if cls.category in ("repair", "grievance"):
        return cls.category, cls.subcategory
    return "grievance", "安全隐患"


# --- help and a person ---------------------------------------------------------------------------

_HELP = re.compile(r"^(?:帮助|help|怎么用|咋用|如何使用|使用说明|说明书|用法|这个咋弄|这咋用|能干啥|能做什么|有什么功能|菜单)(?:啊|呀|呢|哩|嘞)?$")


class Help:
    name = "help"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return _words(msg) and bool(_HELP.match(bare(msg.text)))

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        return Decision(reply=replies.usage(ctx.config), state=ctx.state)


_PERSON = re.compile(
    r"^(?:转)?人工(?:服务|客服)?$|转人工|找(?:个)?(?:真人|人工|客服|工作人员)|(?:要|想)?跟(?:真人|人)说"
    r"|(?:我|俺)?(?:要|想)?找[\u4e00-\u9fff]{0,8}(?:主任|书记|工作人员|网格员|社区的人|领导|负责人)[\u4e00-\u9fff]{0,2}(?:说话|说说|聊聊|谈谈|反映)?"
    r"|叫(?:个)?(?:工作人员|人)来|不想跟机器(?:人)?说|有没有真人"
)


_PLAINLY = re.compile(r"人工|真人|客服|机器")
_COME_SEE = re.compile(r"叫(?:个)?人来(?:看|瞧|瞅|修|弄|管|处理)")


class Person:
    """人工 / 转人工 / 我要找社区的刘主任说话: a person takes the conversation."""

    name = "person"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        if not (_words(msg) and ctx.member is None and _PERSON.search(b := bare(msg.text))):
            return False
        if _PLAINLY.search(b):
            return True
        # "恁赶紧叫人来看看" asks for someone to come and fix it (a report, an urge), not for a person to talk to
        a = acts.read_act(progress.context_of(ctx), msg.text, acts.RESIDENT_ACTS)
        return a is None or a.act == "handoff" or not _COME_SEE.search(b)

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        minutes = ctx.config.conversation.handoff_minutes
        until = ctx.clock + minutes * 60 if ctx.clock is not None else None
        return Decision(
            reply="好的，已请社区工作人员来跟您说，请稍等。\n这段时间您发的话都会直接给工作人员看，机器人先不说话。",
            actions=[HandOff(msg.text.strip()[:300], minutes)],
            state=ctx.state.settled(handoff_until=until),
        )


class HandedOff:
    """While a person has the conversation the bot says nothing (staff read it on the workbench)."""

    name = "handed_off"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return ctx.state.handoff_until is not None and msg.kind != "event" and ctx.member is None

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        return Decision(reply=None, state=ctx.state)


# --- withdrawal in natural words --------------------------------------------------------------------

WITHDRAWABLE = ESCALATABLE
_WITHDRAW = re.compile(
    r"不用(?:来|修|管|弄|麻烦|过来|上门|派人|跑一趟)了?|别(?:来|修|过来|管)了|不(?:修|办|麻烦)了"
    r"|(?:自己|俺自己|我自己|自个|自家)[\u4e00-\u9fff]{0,8}(?:修好|通开|通了|弄好|整好|搞定|找人|解决|好了|换了)"
    r"|(?:已经|都|自己)好了|撤(?:销|回)(?:工单|报修)?|取消(?:工单|报修)|这事不办了|没事了"
)
_SOLVED_ALREADY = re.compile(r"好了|通了|修好|通开|搞定|解决|亮了|换了")


def withdraw_target(text: str, ctx: Context) -> tuple[TicketView | None, bool]:
    """(the ticket meant, sure) — one candidate, or the one whose words the message shares."""
    cands = [t for t in ctx.open_tickets if t.status in WITHDRAWABLE]
    if not cands:
        return None, False
    if len(cands) == 1:
        return cands[0], True
    ref = find_ref(text)
    named = next((t for t in cands if ref and t.ref.upper() == ref), None)
    if named is not None:
        return named, True
    b = bare(text)
    words = {b[i:i + 2] for i in range(len(b) - 1)}
    scored = sorted(((len(words & {bare(t.text)[i:i + 2] for i in range(len(bare(t.text)) - 1)}), t)
                     for t in cands), key=lambda p: p[0], reverse=True)
    if scored[0][0] >= 1 and scored[0][0] > scored[1][0]:
        return scored[0][1], True
    return newest(cands), False


WITHDRAW_SURE = 0.6


class Withdrawal:
    """不用来了 / 马桶俺自己通开了 / 撤了吧: withdraw, or ask which when it is not clear."""

    name = "withdrawal"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        if not (_words(msg) and any(t.status in WITHDRAWABLE for t in ctx.open_tickets)):
            return False
        if _WITHDRAW.search(bare(msg.text)):
            return True
        # "那个事算了吧，不麻烦恁们了": the act model reads a withdrawal where no phrase of ours is
        a = acts.read_act(progress.context_of(ctx), msg.text, acts.RESIDENT_ACTS)
        return a is not None and a.act == "withdraw" and a.confidence >= WITHDRAW_SURE \
            and not followup.names_a_problem(msg.text, ctx)

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        ticket, sure = withdraw_target(msg.text, ctx)
        assert ticket is not None
        note = msg.text.strip()[:200]
        if sure:
            return Decision(actions=[Withdraw(ticket.ref, note)], state=ctx.state.settled(last=None))
        what = ticket.text if len(ticket.text) <= 14 else ticket.text[:14] + "…"
        return Decision(reply=f"是要撤销工单 {ticket.ref}「{what}」吗？回 1 撤销，回 2 不撤。",
                        state=intake.ask(ctx, WithdrawAsked(ticket.ref, note)))


class ConfirmWithdraw:
    name = "confirm_withdraw"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return _words(msg) and isinstance(ctx.state.pending, WithdrawAsked) and yes_no(msg.text) is not None

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        q = ctx.state.pending
        assert isinstance(q, WithdrawAsked)
        ref = q.ref
        if yes_no(msg.text):
            return Decision(actions=[Withdraw(ref, q.said)], state=ctx.state.settled(last=None))
        return Decision(reply=f"好的，工单 {ref} 继续办，有进展会告诉您。", state=ctx.state.settled())
