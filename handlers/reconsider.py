"""Changing one's mind after a withdrawal: "算了还是来修吧", "又坏了" soon after 不用来了 reopens the withdrawn
ticket (its member told), rather than opening a new one — within `WINDOW_HOURS` of the withdrawal.

The act model reads the words (reopen); a few exact phrases of taking it back are rules. The withdrawn
tickets the resident can take back are `ctx.withdrawn` (bot reads those closed as withdrawn lately).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers import acts, followup, progress
from handlers.base import Action, Context, Decision, Inbound, Outcome, TicketView
from handlers.text import bare, find_ref, newest

WINDOW_HOURS = 72  # a withdrawal taken back later than this is a new report
SURE = 0.5
_BACK = re.compile(r"还是(?:来|要|得|派人|过来|给修|修)|又(?:坏|漏|堵|不亮|不行|不中|不通|响|滴|冒|黑)|撤错了|不撤了|别撤|还得修")


@dataclass(frozen=True)
class ReopenWithdrawn(Action):
    """The resident takes a withdrawal back: the ticket reopens and goes back to its member."""

    ref: str
    said: str = ""

    def reply(self, out: Outcome, ctx: Context) -> str | None:
        who = out.data.get("member")
        told = f"已告诉{who}还是要来。" if who else "会重新派人来。"
        return f"好的，工单 {out.ref or self.ref} 重新打开了，{told}有进展会通知您。"

    def failed(self, out: Outcome) -> str:
        return out.message or "对不起，那个工单没能重新打开。请再说一遍是什么问题，我重新登记。"


def target(msg: Inbound, ctx: Context) -> TicketView | None:
    """The withdrawn ticket the words take back, or None."""
    if msg.kind not in ("text", "voice") or not msg.text.strip() or not ctx.withdrawn:
        return None
    text = msg.text.strip()
    ref = find_ref(text)
    if ref:
        return next((t for t in ctx.withdrawn if t.ref.upper() == ref), None)
    a = acts.read_act(progress.context_of(ctx), text, acts.RESIDENT_ACTS)
    if not (_BACK.search(bare(text)) or (a is not None and a.act == "reopen" and a.confidence >= SURE)):
        return None
    if a is not None and a.act in ("withdraw", "question", "thanks", "signup", "cancel_signup"):
        return None
    same = [t for t in ctx.withdrawn if followup.same_subject(text, t, ctx)]
    if same:
        return newest(same)
    if followup.names_a_problem(text, ctx):
        return None  # another problem: a report of its own
    return newest(ctx.withdrawn)


class TakeBack:
    name = "take_back_withdrawal"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return target(msg, ctx) is not None

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        ticket = target(msg, ctx)
        assert ticket is not None
        return Decision(actions=[ReopenWithdrawn(ticket.ref, msg.text.strip()[:200])], state=ctx.state.settled())
