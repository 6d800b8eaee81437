"""Asking where a ticket stands, and urging it (催办), in the resident's own words.

"查一下我报的事", "R1001到哪一步了", "麻烦看下R1002有人接没": the act model (`handlers.acts`) says it is a
progress question, the ref (a rule: R1001 is R1001) says which ticket; without a ref every open ticket
is answered for (and those waiting for the resident's callback). "都三天了还没人来看，你们到底管不管？" is
an urge: an event on the ticket (`Urge`), the resident told where it stands and who has it, the
assignee prodded; a second urge goes to the chair and staff as 督办. Neither opens a ticket.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.vocabulary import STATUS_LABELS, UNFINISHED
from handlers import acts
from handlers.base import Action, Context, Decision, Inbound, Outcome, TicketView
from handlers.questions import CourtyardAsked
from handlers.replies import ticket_line
from handlers.text import bare, find_ref, newest, number_answer, yes_no

SURE = 0.4  # the act model's probability (18 acts, uncalibrated) above which its act decides


def context_of(ctx: Context) -> str:
    """The act model's context label for the state the conversation is in."""
    if ctx.member is not None and ctx.tasks:
        return "member_task"
    if isinstance(ctx.state.pending, CourtyardAsked):
        return "asked_courtyard"
    if ctx.awaiting_callback:
        return "awaiting_callback"
    if any(t.status in UNFINISHED for t in ctx.open_tickets):
        return "open_ticket"
    return "none"


def act_of(msg: Inbound, ctx: Context, allowed: tuple[str, ...] | None = None) -> acts.Act | None:
    """The act of a message in words (None: no words, or the model is off)."""
    if msg.kind not in ("text", "voice") or not msg.text.strip():
        return None
    return acts.read_act(context_of(ctx), msg.text, allowed or acts.RESIDENT_ACTS)


def member_name(ctx: Context, openid: str | None) -> str | None:
    if not openid:
        return None
    return next((m.name for m in ctx.config.members if m.openid == openid), None)


def _mine(ctx: Context) -> list[TicketView]:
    seen, out = set(), []
    for t in [*ctx.open_tickets, *ctx.awaiting_callback]:
        if t.ref not in seen:
            seen.add(t.ref)
            out.append(t)
    return out


def named(text: str, ctx: Context) -> tuple[str | None, list[TicketView]]:
    """(the ref said, the sender's tickets it names — empty when it names none of his)."""
    ref = find_ref(text)
    return ref, [t for t in _mine(ctx) if ref and t.ref.upper() == ref]


def where_it_stands(t: TicketView, ctx: Context) -> str:
    who = member_name(ctx, t.assignee)
    status = STATUS_LABELS.get(t.status, t.status)
    if t.status == "dispatched":
        holder = f"已派给{who}，还没接单" if who else "已派单，等理事会接单"
    elif t.status == "accepted":
        holder = f"{who}在办" if who else "理事会在办"
    elif t.status == "awaiting_callback":
        holder = f"{who}说已办好，等您回访" if who else "已办好，等您回访"
    elif t.status == "triage":
        holder = "社区工作人员正在重新派单"
    else:
        holder = status
    return f"{ticket_line(t, ctx.config)}（{holder}）"


def progress_reply(text: str, ctx: Context) -> str:
    ref, hit = named(text, ctx)
    mine = _mine(ctx)
    if ref and not hit:
        head = f"没找到您名下在办的工单 {ref}。"
        if not mine:
            return head + "您现在没有没办完的工单。有事直接说就行。"
        return head + "您在办的工单：\n" + "\n".join(where_it_stands(t, ctx) for t in mine)
    tickets = hit or mine
    if not tickets:
        return "您现在没有没办完的工单。有事直接说就行。"
    if len(tickets) == 1:
        return "工单 " + where_it_stands(tickets[0], ctx) + "\n有变化会主动通知您；着急的话回“催一下”。"
    lines = [f"您有 {len(tickets)} 个工单还没办完："]
    lines += [f"{i}. {where_it_stands(t, ctx)}" for i, t in enumerate(tickets, start=1)]
    lines.append("有变化会主动通知您。")
    return "\n".join(lines)


def urge_target(text: str, ctx: Context) -> TicketView | None:
    ref, hit = named(text, ctx)
    if hit:
        return hit[0]
    cands = [t for t in ctx.open_tickets if t.status in UNFINISHED]
    if len(cands) <= 1:
        return cands[0] if cands else None
    b = bare(text)
    words = {b[i:i + 2] for i in range(len(b) - 1)}

    def shared(t: TicketView) -> int:
        tb = bare(t.text)
        return len(words & {tb[i:i + 2] for i in range(len(tb) - 1)})

    best = max(cands, key=shared)
    return best if shared(best) > 0 else newest(cands)


@dataclass(frozen=True)
class Urge(Action):
    """催办: the resident presses on an open ticket; its member is prodded, a second time the chair and staff."""

    ref: str
    said: str

    def reply(self, out: Outcome, ctx: Context) -> str | None:
        d = out.data
        status = d.get("status") or ""
        who = d.get("member")
        where = f"现在{status}" + (f"，由理事会的{who}负责" if who else "，正在安排人")
        if int(d.get("count") or 1) >= 2:
            done = "已经第二次催办，楼院理事会会长和社区工作人员也收到了，会督促尽快办。" if int(d["count"]) == 2 \
                else f"这是第 {d['count']} 次催办，会长和社区工作人员都收到了，会督促尽快办。"
        else:
            done = f"已经催{who}尽快处理。" if who else "已经催理事会尽快派人。"
        return f"知道您着急了。工单 {out.ref or self.ref} {where}。{done}有进展马上告诉您。"

    def failed(self, out: Outcome) -> str:
        return out.message or "对不起，没找到这件事的工单。发“我的工单”看看在办的有哪些。"


_CHOICE = re.compile(r"^(?:是|不是|对|不对|嗯|好|行|中|1|2|0|一|二)?(?:新的|另一|另外一|别的|补充|两码事|一回事|不是一回事)")


def _answer_like(text: str) -> bool:
    """Short words that answer a pending choice question rather than ask where a ticket stands."""
    b = bare(text)
    return len(b) <= 8 and not find_ref(text) and (
        yes_no(text) is not None or number_answer(text) is not None or bool(_CHOICE.match(b)))


class ProgressOrUrge:
    """Where does it stand? / Hurry up! — about the resident's own tickets, never a new ticket."""

    name = "progress_or_urge"

    def _act(self, msg: Inbound, ctx: Context) -> str | None:
        if ctx.member is not None and ctx.tasks and not (ctx.open_tickets or ctx.awaiting_callback):
            return None  # a member about his tasks: his commands
        if ctx.state.pending is not None and _answer_like(msg.text):
            return None  # "新的事", "是", "2" answer the question just asked (its own handlers read them)
        a = act_of(msg, ctx)
        if a is None or a.act not in ("progress", "urge") or a.confidence < SURE:
            return None
        return a.act

    def match(self, msg: Inbound, ctx: Context) -> bool:
        act = self._act(msg, ctx)
        if act is None:
            return False
        return act == "progress" or bool(ctx.open_tickets or ctx.awaiting_callback or find_ref(msg.text))

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        act = self._act(msg, ctx)
        state = ctx.state.settled() if ctx.state.pending is not None and not ctx.state.request else ctx.state
        if act == "urge":
            ticket = urge_target(msg.text, ctx)
            if ticket is not None and ticket.status in UNFINISHED:
                return Decision(actions=[Urge(ticket.ref, msg.text.strip()[:300])], state=state)
        reply = progress_reply(msg.text, ctx)
        if ctx.state.request:  # a question was pending on a request: ask it again after the answer
            return Decision(reply=reply, state=ctx.state)
        return Decision(reply=reply, state=state)
