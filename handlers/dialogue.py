"""The handlers of the conversation: each a `match` and a `handle` over (message, context).

Which handler runs in which state is `handlers.conversation.CONVERSATION`'s table, not this file's order.
"""

from __future__ import annotations

import re

from bot.domain.vocabulary import UNFINISHED
from handlers import callback, commands, events, followup, intake, location, replies
from handlers import courtyard as yards
from handlers.actions import BindCourtyard, PushDelivered, Withdraw
from handlers.base import Context, Decision, Inbound
from handlers.intake import ask, keep
from handlers.state import BindOffered, CourtyardAsked, EventsListed
from handlers.text import bare, find_ref, is_blank, newest, yes_no

WITHDRAWABLE = UNFINISHED
CANCEL_WORDS = {
    "取消", "不用了", "撤销", "撤回", "不修了", "算了", "不要了", "取消工单", "撤销工单", "取消报修", "不用修了",
    "不用来了", "好了不用了", "别修了", "不办了", "撤了", "不用了谢谢", "算了不用了", "取消吧", "撤销吧",
}
_CANCEL_REF = re.compile(r"(?:取消|撤销|撤回)(?:工单)?[a-z]{1,3}\d{2,10}")
_MY_TICKETS = re.compile(
    r"我的工单|查工单|工单(?:进度|情况|咋样|怎么样|到哪)|^(?:进度|进展|查进度|查询进度|工单)$|进度(?:咋样|怎么样|如何|查询)"
    r"|(?:我|俺)(?:报|反映|提|说)的[\u4e00-\u9fff]{0,6}(?:咋样|怎么样|到哪|有信|有消息|修了没|办了没|管了没|还没|有人管|进展|进度)"
    r"|(?:报修|报的修|修的|反映的事)(?:咋样|怎么样|到哪|有信|进度|有人管)"
    r"|(?:[a-z]{1,3}\d{2,10})(?:咋样|怎么样|到哪|进度|状态)"
)
# Short "when are you coming?" questions from someone with open tickets ask about those tickets.
_WHEN = re.compile(r"(?:啥时候|什么时候|几时|咋还没|怎么还没|还没)(?:人)?(?:来|修|管|弄|办)")


def _words(msg: Inbound) -> bool:
    return msg.kind in ("text", "voice") and bool(msg.text.strip())


class TemplateDelivery:
    name = "template_delivery"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return msg.kind == "event" and (msg.event or "").lower() == "templatesendjobfinish"

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        return Decision(reply=None, actions=[PushDelivered(msg.msg_id, msg.status or "")], state=ctx.state)


class Unsubscribe:
    name = "unsubscribe"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return msg.kind == "event" and (msg.event or "").lower() == "unsubscribe"

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        return Decision(reply=None, state=None)


class Subscribe:
    name = "subscribe"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return msg.kind == "event" and (msg.event or "").lower() in ("subscribe", "scan")

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        cfg = ctx.config
        scene = (msg.event_key or "").removeprefix("qrscene_")
        if ctx.courtyard is None and cfg.courtyard(scene):  # a courtyard's own QR code
            return Decision(reply=replies.greeting(cfg, bound=True), actions=[BindCourtyard(scene)], state=keep(ctx))
        if (msg.event or "").lower() == "scan" and ctx.courtyard:
            return Decision(reply=None, state=ctx.state)
        if ctx.courtyard:
            return Decision(reply=replies.greeting(cfg, bound=True), state=keep(ctx))
        return Decision(reply=replies.greeting(cfg, bound=False), state=ask(ctx, CourtyardAsked()))


# The click keys of `[menu]` answered here (`steward menu push` refuses any other); GUIDE is the help text.
MENU_KEYS = ("REPORT", "MY_TICKETS", "EVENTS", "GUIDE")


class MenuClick:
    name = "menu_click"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return msg.kind == "event" and (msg.event or "").lower() == "click"

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        key = (msg.event_key or "").upper()
        cfg = ctx.config
        if key == "MY_TICKETS":
            return Decision(reply=replies.ticket_list(ctx.open_tickets, cfg), state=ctx.state)
        if key == "EVENTS":
            listed = ask(ctx, EventsListed()) if ctx.events else keep(ctx)
            return Decision(reply=events.list_text(ctx.events), state=listed)
        if key == "REPORT":
            where = "" if ctx.courtyard else "哪个院、"
            return Decision(reply=f"请说说是{where}哪里、什么问题，打字、发语音都行，也可以发照片。", state=keep(ctx))
        return Decision(reply=replies.help_text(cfg), state=ctx.state)


class OtherEvent:
    name = "other_event"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return msg.kind == "event"

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        return Decision(reply=None, state=ctx.state)  # view, location report, …: nothing to say


class FinishPhoto:
    name = "finish_photo"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return commands.finish_photo(msg, ctx) is not None

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        decision = commands.finish_photo(msg, ctx)
        assert decision is not None
        return decision


class Council:
    name = "council_command"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return commands.looks_like_command(msg, ctx)

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        return commands.handle(msg, ctx)


class ConfirmBinding:
    name = "confirm_binding"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return _words(msg) and yes_no(msg.text) is not None

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        decision = intake.answer_binding(msg, ctx)
        return decision or Decision(reply=None, state=keep(ctx))


class CancelRequest:
    name = "cancel"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        b = bare(msg.text)
        return _words(msg) and (b in CANCEL_WORDS or bool(_CANCEL_REF.fullmatch(b)))

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        state = ctx.state
        if state.request:
            return Decision(reply="好的，已取消，这件事不登记了。", state=keep(ctx))
        ref = find_ref(msg.text)
        candidates = [t for t in ctx.open_tickets if t.status in WITHDRAWABLE]
        ticket = next((t for t in candidates if t.ref.upper() == ref), None) if ref else newest(candidates)
        if ticket is None:
            return Decision(reply="您现在没有可以撤销的工单。", state=keep(ctx))
        return Decision(actions=[Withdraw(ticket.ref)], state=state.settled(last=None, media=()))


class MyTickets:
    name = "my_tickets"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        if not _words(msg):
            return False
        b = bare(msg.text)
        return bool(_MY_TICKETS.search(b)) or bool(ctx.open_tickets and len(b) <= 12 and _WHEN.search(b))

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        ref = find_ref(msg.text)
        named = [t for t in ctx.open_tickets if ref and t.ref.upper() == ref]
        text = replies.ticket_list(named or ctx.open_tickets, ctx.config)
        return Decision(reply=text, state=ctx.state)


class AskCourtyard:
    name = "ask_courtyard"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        if msg.kind not in ("text", "voice", "location"):
            return False
        if ctx.state.request:
            return msg.kind == "location" or _words(msg)
        q = ctx.state.pending
        if isinstance(q, CourtyardAsked) and q.guess and msg.kind != "location" and yes_no(msg.text) is not None:
            return True
        if msg.kind == "location":
            return location.place(msg.lat, msg.lon, msg.text, ctx.config.courtyards) is not None
        return yards.answer(msg.text, ctx.config.courtyards) is not None

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        decision = intake.answer_courtyard(msg, ctx)
        assert decision is not None
        return decision


class Menu:
    name = "menu"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return bool(ctx.state.request) and _words(msg) and not is_blank(msg.text)

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        decision = intake.answer_menu(msg, ctx)
        assert decision is not None
        return decision


class Callback:
    name = "callback"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return callback.matches(msg, ctx)

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        return callback.handle(msg, ctx)


class Events:
    name = "events"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return events.matches_explicit(msg, ctx)

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        return events.handle(msg, ctx)


class Media:
    """A photo, video or voice: goes to the ticket just opened, else waits for the words."""

    name = "media"
    KINDS = ("image", "video", "shortvideo")

    def match(self, msg: Inbound, ctx: Context) -> bool:
        if msg.kind in self.KINDS:
            return True
        return msg.kind == "voice" and not msg.text.strip()  # words in a voice are read like text

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        return followup.photo(msg, ctx) or intake.media(msg, ctx)


class Location:
    name = "location"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return msg.kind == "location"

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        cfg = ctx.config
        where = location.place(msg.lat, msg.lon, msg.text, cfg.courtyards)
        if where is None:
            return Decision(reply=f"这个位置不在{cfg.community}的院里，离我们社区有点远。请直接告诉我是哪个院的事。",
                            state=keep(ctx))
        label = replies.courtyard_label(cfg, where)
        if ctx.courtyard == where:
            return Decision(reply=f"收到位置：{label}。有事直接说就行。", state=keep(ctx))
        return Decision(reply=f"您在{label}附近。" + replies.offer_binding(cfg, where),
                        state=ask(ctx, BindOffered(where)))


class Blank:
    name = "blank"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return msg.kind == "text" and is_blank(msg.text)

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        return Decision(reply="😊 收到！有事直接打字或发语音说就行。", state=ctx.state)


class Request:
    name = "request"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return _words(msg)

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        return intake.route(msg, ctx, msg.text.strip(), ctx.state.media)


class Fallback:
    name = "fallback"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return True

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        if msg.kind == "event":
            return Decision(reply=None, state=ctx.state)
        if msg.kind == "link":
            return Decision(reply="收到链接了。有事要办，直接打字或发语音说就行。", state=ctx.state)
        return Decision(reply="这种消息我还看不懂，请打字或发语音告诉我。", state=ctx.state)
