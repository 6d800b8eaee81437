"""Handlers that put people first: an emergency, asking for help, asking for a person, withdrawing.

They run before the pending question's own handlers (see `handlers.conversation`), so a resident
in danger or in need of a person is never held up by a menu.
"""

from __future__ import annotations

import re

from handlers import emergency as em
from handlers import intake, replies
from handlers.base import Context, Decision, EscalateTicket, Inbound, TicketView
from handlers.state import MediaRef, Request
from handlers.text import bare, newest

ESCALATABLE = ("received", "dispatched", "accepted", "triage")


def _words(msg: Inbound) -> bool:
    return msg.kind in ("text", "voice") and bool(msg.text.strip())


def about_open_ticket(e: em.Emergency, ctx: Context) -> TicketView | None:
    """The sender's open ticket this emergency is about (same danger in its words), if any."""
    same = [t for t in ctx.open_tickets if t.status in ESCALATABLE and em.same_subject(e, t.text)]
    return newest(same)


class Emergency:
    """Life and safety first: the number, one line of advice, then the ticket (urgent, 1 h)."""

    name = "emergency"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return _words(msg) and em.read(msg.text) is not None

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        text = msg.text.strip()
        e = em.read(text)
        assert e is not None
        notice = em.notice(ctx.config, e)
        ticket = about_open_ticket(e, ctx)
        if ticket is not None:
            return Decision(actions=[EscalateTicket(ticket.ref, text, e.kind)], urgent_notice=notice,
                            state=intake.keep(ctx))
        category, sub = _category(text, e)
        media = ctx.state.media
        if media is None and msg.kind == "voice" and msg.media_id:
            media = MediaRef(msg.media_id, "voice")
        request = Request(text, category, sub, 1.0, urgent=True, media=media, emergency=e.kind)
        decision = intake.ticket_or_ask(ctx, request, notice)
        decision.urgent_notice = notice
        return decision


def _category(text: str, e: em.Emergency) -> tuple[str, str | None]:
    if e.person:
        return "grievance", "紧急求助"
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
