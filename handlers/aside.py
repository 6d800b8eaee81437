"""An aside: a message that clearly means something else while a question is pending.

After "请问是哪个院的事？" a resident may ask "社区卫生服务站几点开门" or "有啥活动" before answering. Those
words are no courtyard, no more detail of the request and no addition to a ticket: the question yields.
The message is answered as what it is (the FAQ, the event list or a sign-up), and the question is asked
again in the same reply only if it is still needed (a request still waits on it); it stays pending.

What the message means is the act model's reading (a question, a sign-up) combined with the category
model (an inquiry the FAQ can answer, event talk); a courtyard named in the words is always an answer.
"""

from __future__ import annotations

from dataclasses import replace

from handlers import courtyard as yards
from handlers import events, faq, intake, progress
from handlers.base import Context, Decision, Inbound
from handlers.state import CourtyardAsked, FollowUpAsked, MenuShown, Question
from handlers.text import is_blank

_EVENT_ACTS = ("question", "signup", "cancel_signup")


def _short(text: str, n: int = 12) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "…"


def meaning(msg: Inbound, ctx: Context) -> str | None:
    """"faq" or "events" when the words clearly mean that (whatever was asked), else None."""
    if msg.kind not in ("text", "voice") or not msg.text.strip() or is_blank(msg.text):
        return None
    text = msg.text.strip()
    if isinstance(ctx.state.pending, CourtyardAsked) and yards.answer(text, ctx.config.courtyards) is not None:
        return None  # a courtyard named is the answer
    cls = intake.classify_text(text)
    act = progress.act_of(msg, ctx)
    if cls.category == "event":
        free = replace(ctx, state=ctx.state.settled())
        if events.matches_explicit(msg, free) or (act is not None and act.act in _EVENT_ACTS):
            return "events"
        return None
    if cls.category == "inquiry" and act is not None and act.act == "question" and faq.answer(text, ctx.config.faq):
        return "faq"
    return None


def again(q: Question | None, ctx: Context) -> str | None:
    """The pending question asked once more, when it is still needed (None: it is not)."""
    if isinstance(q, CourtyardAsked):
        if q.placed:
            return "刚才那件紧急的事是哪个院的？请告诉我院名，我们马上通知理事会。"
        if q.request is not None:
            return f"刚才说的「{_short(q.request.text)}」还没登记：请问是哪个院的事？"
        return None  # the greeting's question: the resident will say it with the next request
    if isinstance(q, MenuShown):
        return f"刚才说的「{_short(q.request.text)}」是要办什么？回 1 报修、2 投诉、3 活动、4 咨询。"
    if isinstance(q, FollowUpAsked) and (q.words or ctx.state.media):
        what = f"「{_short(q.words)}」" if q.words else "照片"
        return f"刚才的{what}是补充工单 {q.ref}，还是另一件事？回 1 补充，回 2 新的事。"
    return None


class Aside:
    """The pending question yields to a message that clearly means something else."""

    name = "aside"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return meaning(msg, ctx) is not None

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        kind = meaning(msg, ctx)
        q = ctx.state.pending
        free = replace(ctx, state=ctx.state.settled())
        if kind == "events":
            decision = events.handle(msg, free)
        else:
            decision = Decision(reply=faq.answer(msg.text.strip(), ctx.config.faq), state=free.state)
        ask = again(q, ctx)
        if ask is None or q is None:
            return decision
        state = decision.state or free.state
        decision.state = state.asking(q, ctx.clock)  # still pending, its timeout from now
        decision.reply = "\n\n".join(p for p in (decision.reply, ask) if p)
        return decision
