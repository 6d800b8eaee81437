"""A resident's request in words: category, courtyard, urgency, and the next dialogue step.

The state it reads and writes is `handlers.state.DialogueState` (the pending question, last, media …);
the questions asked here: `CourtyardAsked`, `BindOffered`, `MenuShown`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from handlers import classify as classifier
from handlers import courtyard as yards
from handlers import emergency, events, faq, location, replies, several
from handlers.actions import AttachMedia, BindCourtyard, CreateTicket, SetCourtyard, UpdateResident
from handlers.base import Context, Decision, Inbound, TicketView
from handlers.state import (
    BindOffered,
    CourtyardAsked,
    DialogueState,
    Held,
    LastTicket,
    MediaRef,
    MenuShown,
    Question,
    Request,
    hold,
)
from handlers.text import bare, find_name, find_phone, newest, number_answer, yes_no

TICKET_CATEGORIES = ("repair", "grievance", "inquiry")
_MENU_WORDS = {"报修": 1, "修": 1, "维修": 1, "投诉": 2, "反映": 2, "活动": 3, "报名": 3, "咨询": 4, "问问": 4, "问事": 4}
_SELF_UNIT = re.compile(r"(?:我|俺|咱)(?:家|们家)?(?:住|在|是)|家住|住在")
_THANKS = re.compile(r"谢|感谢|辛苦|麻烦你|多亏|点赞|好人")
_HELLO = re.compile(r"^(?:你好|您好|恁好|在吗|在不在|有人吗|hello|hi|喂|早上好|晚上好|下午好|中午好)")


def classify_text(text: str) -> Any:
    """handlers.classify.classify (tests may replace this function)."""
    return classifier.classify(text)


def keep(ctx: Context, **extra: Any) -> DialogueState:
    """The state with the finished question cleared, plus `extra` (None values ignored)."""
    return ctx.state.settled(**{k: v for k, v in extra.items() if v is not None})


def ask(ctx: Context, question: Question, **extra: Any) -> DialogueState:
    """The state after asking `question` now."""
    return ctx.state.asking(question, ctx.clock, **{k: v for k, v in extra.items() if v is not None})


def menu_choice(text: str) -> str | None:
    n = number_answer(text)
    if n is None:
        n = _MENU_WORDS.get(re.sub(r"(吧|呀|啊|的|哈)$", "", bare(text)))
    return replies.MENU_CHOICES.get(n) if n is not None else None


def resident_details(text: str) -> list[UpdateResident]:
    """Unit ('我住2号楼3单元501'), phone and name the resident gives about themself."""
    unit = yards.parse_unit(text) if _SELF_UNIT.search(text) else None
    phone, name = find_phone(text), find_name(text)
    return [UpdateResident(unit=unit, phone=phone, name=name)] if (unit or phone or name) else []


def friendly(text: str, cfg: Any) -> str:
    b = bare(text)
    if _THANKS.search(b):
        return "不客气！有事随时找我们。"
    if _HELLO.match(b):
        return "您好！我是楼院管家。报修、投诉、活动报名、办事咨询，直接打字或发语音说就行。"
    return CATCH_ALL


CATCH_ALL = ("这句我没看懂，什么也没登记。\n"
             "有事请直接说哪个院、什么事，比如“3号院2号楼楼道灯不亮”。\n"
             "发“帮助”看用法，发“转人工”找工作人员。")


def route(msg: Inbound, ctx: Context, text: str, media: Held = (), second_try: bool = False) -> Decision:
    """Understand a request in words and decide: a ticket, a question back, an answer."""
    cfg = ctx.config
    cls = classify_text(text)
    category, sub, confidence = cls.category, cls.subcategory, float(cls.confidence)
    danger = emergency.read(text)  # the one place that decides what is an emergency
    urgent = danger is not None
    notice = emergency.notice(cfg, danger) if danger else None
    if urgent and category not in ("repair", "grievance"):
        category, sub = "grievance", "安全隐患"
    if msg.kind == "voice" and msg.media_id:  # the voice goes too, after the photos held before it
        media = hold(media, MediaRef(msg.media_id, "voice")) or media
    low = confidence < cfg.confidence_threshold and not urgent
    if low:
        answer = faq.answer(text, cfg.faq)
        if answer:
            return Decision(reply=answer, state=keep(ctx, media=media or None))
        if not second_try:
            pending = _pending(text, category, sub, confidence, urgent, media)
            return Decision(reply=replies.MENU, state=ask(ctx, MenuShown(pending)))
        if category not in TICKET_CATEGORIES:  # still unsure after the menu: staff sort it out
            category, sub = "inquiry", None
    if category == "other":  # "我叫王建国": kept, and said back
        got = [d for d in resident_details(text) if d.name or d.phone]
        return Decision(reply=f"好的，记下了：{'、'.join(x for x in (got[0].name, got[0].phone) if x)}。有事直接说就行。"
                        if got else friendly(text, cfg), actions=list(got), state=keep(ctx, media=media or None))
    if category == "event":
        return events.handle(Inbound(msg.openid, "text", text), ctx)
    if category == "inquiry":
        answer = faq.answer(text, cfg.faq)
        if answer:
            return Decision(reply=answer, state=keep(ctx, media=media or None))
    request = replace(_pending(text, category, sub, confidence, urgent, media),
                      emergency=danger.kind if danger else None)
    return ticket_or_ask(ctx, request, notice)


def _pending(text: str, category: str, sub: str | None, confidence: float, urgent: bool,
             media: Held) -> Request:
    return Request(text, category, sub, round(confidence, 3), urgent, media)


def ticket_or_ask(ctx: Context, request: Request, notice: str | None = None) -> Decision:
    """Open the ticket when the courtyard is known; else ask for it and keep the request."""
    cfg, text = ctx.config, request.text
    found = yards.find(text, cfg.courtyards)
    where = (found.courtyard if found and found.sure else None) or ctx.courtyard
    guess = found.courtyard if found and where is None else None  # a bare organisation name: confirm it
    if where is None and request.urgent:
        # Danger cannot wait for an answer: open it now (staff see it in triage at once) and
        # move it to the council when the resident names the courtyard.
        decision = create(ctx, request, None, notice)
        decision.reply = (replies.confirm_courtyard(cfg, guess) if guess
                          else replies.ask_courtyard(cfg, "请告诉我是哪个院，我们马上通知理事会。"))
        decision.state = (decision.state or ctx.state).asking(CourtyardAsked(asked=1, placed=True, guess=guess),
                                                               ctx.clock)
        return decision
    if where is None:
        reply = replies.confirm_courtyard(cfg, guess) if guess else replies.ask_courtyard(cfg, "请问是哪个院的事？")
        return Decision(reply=reply, urgent_notice=notice,
                        state=ask(ctx, CourtyardAsked(request, asked=1, guess=guess)))
    offer = where if ctx.courtyard is None and not ctx.state.declined_default else None
    return create(ctx, request, where, notice, offer=offer)


def create(ctx: Context, request: Request, where: str | None, notice: str | None = None,
           offer: str | None = None) -> Decision:
    cfg = ctx.config
    media = request.media
    parts = None if request.urgent else several.split(request.text, cfg.courtyards, classify_text,
                                                         cfg.confidence_threshold)
    if parts:  # several problems in one message: a ticket each, routed by its own courtyard
        tickets = [CreateTicket(category=p.category, subcategory=p.subcategory, courtyard=p.courtyard or where,
                                text=p.text, confidence=p.confidence, media=media if i == 0 else ())
                   for i, p in enumerate(parts)]
        final = tickets[-1]
        last = LastTicket(final.text, final.category, at=ctx.clock, courtyard=final.courtyard)
    else:
        # someone in a lift: the lift's people (the property company, by the 电梯 routing) hear of it too
        sub = "电梯" if request.emergency == emergency.LIFT else request.subcategory
        tickets = [CreateTicket(
            category=request.category,
            subcategory=sub,
            courtyard=where,
            text=request.text,
            urgent=request.urgent,
            confidence=float(request.confidence),
            media=media,
            emergency=request.emergency,
        )]
        last = LastTicket(request.text, request.category, at=ctx.clock, courtyard=where)
    actions: list[Any] = [*tickets, *resident_details(request.text)]
    state = ctx.state.settled(media=(), last=last)
    if offer:
        state = state.asking(BindOffered(offer), ctx.clock)
        reply = replies.offer_binding(cfg, offer)
    elif parts:
        reply = f"您说的{len(parts)}件事分开登记了，各办各的。" + ("有照片的话可以直接发过来。" if not media else "")
    elif request.category == "repair" and not media and not request.urgent:
        reply = "有照片的话可以直接发过来，师傅看得更清楚。"
    else:
        reply = None
    return Decision(reply=reply, actions=actions, state=state, urgent_notice=notice)


# --- answers to the bot's own questions -------------------------------------------------------


def answer_courtyard(msg: Inbound, ctx: Context) -> Decision | None:
    """The reply to "which courtyard?" (None: not an answer; let the message be read afresh)."""
    cfg, state = ctx.config, ctx.state
    q = state.pending if isinstance(state.pending, CourtyardAsked) else CourtyardAsked()
    pending = q.request
    if msg.kind == "location" and msg.lat is not None and msg.lon is not None:
        where = location.place(msg.lat, msg.lon, msg.text, cfg.courtyards)
    elif q.guess and (yes := yes_no(msg.text)) is not None:  # 您说的是…吗？ 是 / 不是
        if not yes:
            return Decision(reply=replies.ask_courtyard(cfg, "好的，那是哪个院？"),
                            state=replace(state, pending=replace(q, guess=None)))
        where = q.guess
    else:
        where = yards.answer(msg.text, cfg.courtyards)
    if q.placed:  # the ticket exists already (urgent): tell it where it belongs
        if where is None:
            return None
        bind = [BindCourtyard(where)] if ctx.courtyard is None else []
        return Decision(actions=[SetCourtyard(where), *bind], state=keep(ctx))
    if where is None:
        if not pending:
            return None
        if max(q.asked, 1) >= 2:  # asked twice: register it anyway, staff find the courtyard
            return create(ctx, pending, None)
        missed = "这个位置不在我们社区里。" if msg.kind == "location" else "没认出是哪个院。"
        return Decision(reply=replies.ask_courtyard(cfg, missed),
                        state=replace(state, pending=replace(q, asked=max(q.asked, 1) + 1)))
    if not pending:  # the greeting's question: remember the courtyard (and hear any request with it)
        bind_action = BindCourtyard(where)
        if msg.kind != "location" and len(yards.leftover(msg.text, cfg.courtyards)) >= 3:
            decision = route(msg, replace(ctx, courtyard=where, state=keep(ctx)), msg.text.strip())
            decision.actions.insert(0, bind_action)
            if decision.state is not None and isinstance(decision.state.pending, BindOffered):
                decision.state = decision.state.settled()  # bound just now: no 以后默认…？
            return decision
        return Decision(actions=[bind_action], reply="有事直接说就行。", state=keep(ctx))
    danger = emergency.read(pending.text) if pending.urgent else None
    notice = emergency.notice(cfg, danger) if danger else (replies.urgent_notice(cfg) if pending.urgent else None)
    if msg.kind != "location" and len(yards.leftover(msg.text, cfg.courtyards)) >= 2:
        pending = replace(pending, text=f"{pending.text}（{msg.text.strip()}）")  # 粮食局院3号楼: keep the detail
    offer = where if ctx.courtyard is None and not state.declined_default else None
    return create(ctx, pending, where, notice, offer=offer)


def answer_binding(msg: Inbound, ctx: Context) -> Decision | None:
    yes = yes_no(msg.text)
    offer = ctx.state.pending.offer if isinstance(ctx.state.pending, BindOffered) else None
    if yes is None or not offer:
        return None
    if yes:
        return Decision(actions=[BindCourtyard(offer)], state=keep(ctx))
    return Decision(reply="好的，以后不再问了。下次有事说一下是哪个院就行。", state=keep(ctx, declined_default=True),
                    actions=[UpdateResident(no_default_offer=True)])


def answer_menu(msg: Inbound, ctx: Context) -> Decision | None:
    pending = ctx.state.request
    choice = menu_choice(msg.text)
    if not pending:
        return None
    if choice is None:  # more words instead of a number: read them with the first message
        if msg.kind not in ("text", "voice") or not bare(msg.text):
            return None
        inner = replace(ctx, state=keep(ctx))
        return route(msg, inner, f"{pending.text}，{msg.text.strip()}", pending.media, second_try=True)
    fresh = replace(ctx, state=keep(ctx))
    if choice == "event":
        return events.handle(Inbound(msg.openid, "text", pending.text), fresh)
    if choice == "inquiry":
        answer = faq.answer(pending.text, ctx.config.faq)
        if answer:
            return Decision(reply=answer, state=keep(ctx))
    sub = pending.subcategory if pending.category == choice else None
    request = replace(pending, category=choice, subcategory=sub, confidence=1.0)
    return ticket_or_ask(fresh, request)


# --- photos, videos and voice -----------------------------------------------------------------


def last_ticket(ctx: Context) -> TicketView | None:
    """The ticket opened just before (state "last"), if it is still open."""
    last = ctx.state.last
    if not last or not ctx.open_tickets:
        return None
    same = [t for t in ctx.open_tickets if t.text == last.text]
    return newest(same or ctx.open_tickets)


def media(msg: Inbound, ctx: Context) -> Decision:
    """A photo, video or voice: goes to the ticket just opened, else waits for the words (with any
    held before it, up to state.MAX_HELD)."""
    kind = "image" if msg.kind == "image" else ("voice" if msg.kind == "voice" else "video")
    if msg.kind == "voice" and msg.text.strip() and emergency.read(msg.text):
        return route(msg, ctx, msg.text.strip())
    ticket = last_ticket(ctx)
    if ticket is not None and msg.media_id and not ctx.state.media:
        note = msg.text.strip()[:500]
        return Decision(actions=[AttachMedia(ticket.ref, (MediaRef(msg.media_id, kind),), note)], state=ctx.state)
    if msg.kind == "voice":
        return Decision(reply="没听清您说的话，请再说一遍，或者打字告诉我。", state=ctx.state)
    if not msg.media_id:
        return Decision(reply="收到了。有事请打字或发语音告诉我。", state=ctx.state)
    item, state = MediaRef(msg.media_id, kind), ctx.state
    q = state.pending
    if isinstance(q, CourtyardAsked | MenuShown) and q.request:  # the photo joins the request asked about
        again = "请回个数字选一下。" if isinstance(q, MenuShown) else "请告诉我是哪个院。"
        held = hold(q.request.media, item)
        if held is None:
            return Decision(reply=replies.media_full(kind) + again, state=state)
        joined = replace(q, request=replace(q.request, media=held))
        return Decision(reply=replies.media_received(held) + again, state=replace(state, pending=joined))
    held = hold(state.media, item)
    if held is None:
        return Decision(reply=replies.media_full(kind) + "请先用文字或语音说说是哪个院、什么问题。", state=state)
    if len(held) == 1:
        reply = replies.media_received(held) + "请再用文字或语音说说是哪个院、什么问题，我帮您登记。"
    else:
        reply = replies.media_received(held) + "说说是什么问题，就一起登记。"
    return Decision(reply=reply, state=replace(state, media=held))
