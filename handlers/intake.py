"""A resident's request in words: category, courtyard, urgency, and the next dialogue step.

State keys used here (the dict bot keeps in Redis with a TTL):
  step      ask_courtyard | confirm_bind | menu (what the last reply asked)
  pending   the request waiting for an answer: text, category, subcategory, confidence, urgent, media
  asked     how many times the current question was asked
  offer     the courtyard offered as the default ("以后默认3号院？")
  last      the ticket just created ({"text", "category"}): a photo or voice next goes to it
  media     a photo sent before any words: it goes with the next ticket
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from handlers import classify as classifier
from handlers import courtyard as yards
from handlers import events, faq, replies
from handlers.base import (
    AttachMedia,
    BindCourtyard,
    Context,
    CreateTicket,
    Decision,
    Inbound,
    SetCourtyard,
    TicketView,
    UpdateResident,
)
from handlers.text import bare, find_name, find_phone, newest, number_answer, yes_no
from handlers.urgency import is_urgent

TICKET_CATEGORIES = ("repair", "grievance", "inquiry")
TRANSIENT = ("step", "pending", "asked", "offer", "event_pick", "placed", "guess")
_MENU_WORDS = {"报修": 1, "修": 1, "维修": 1, "投诉": 2, "反映": 2, "活动": 3, "报名": 3, "咨询": 4, "问问": 4, "问事": 4}
_SELF_UNIT = re.compile(r"(?:我|俺|咱)(?:家|们家)?(?:住|在|是)|家住|住在")
_THANKS = re.compile(r"谢|感谢|辛苦|麻烦你|多亏|点赞|好人")
_HELLO = re.compile(r"^(?:你好|您好|恁好|在吗|在不在|有人吗|hello|hi|喂|早上好|晚上好|下午好|中午好)")


def classify_text(text: str) -> Any:
    """handlers.classify.classify (tests may replace this function)."""
    return classifier.classify(text)


def keep(ctx: Context, **extra: Any) -> dict[str, Any] | None:
    """The state minus the finished step's keys, plus `extra`; None when nothing is left."""
    state = {k: v for k, v in (ctx.state or {}).items() if k not in TRANSIENT}
    state.update({k: v for k, v in extra.items() if v is not None})
    return state or None


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
    return "收到了。有事要办，直接说哪个院、什么事就行，比如“3号院2号楼楼道灯不亮”。"


def route(msg: Inbound, ctx: Context, text: str, media: dict | None = None, second_try: bool = False) -> Decision:
    """Understand a request in words and decide: a ticket, a question back, an answer."""
    cfg = ctx.config
    cls = classify_text(text)
    category, sub, confidence = cls.category, cls.subcategory, float(cls.confidence)
    urgent = is_urgent(text)
    notice = replies.urgent_notice(cfg) if urgent else None
    if urgent and category not in ("repair", "grievance"):
        category, sub = "grievance", "安全隐患"
    if media is None and msg.kind == "voice" and msg.media_id:
        media = {"media_id": msg.media_id, "kind": "voice"}
    low = confidence < cfg.confidence_threshold and not urgent
    if low:
        answer = faq.answer(text, cfg.faq)
        if answer:
            return Decision(reply=answer, state=keep(ctx, media=media))
        if not second_try:
            pending = _pending(text, category, sub, confidence, urgent, media)
            return Decision(reply=replies.MENU, state=keep(ctx, step="menu", pending=pending))
        if category not in TICKET_CATEGORIES:  # still unsure after the menu: staff sort it out
            category, sub = "inquiry", None
    if category == "other":
        return Decision(reply=friendly(text, cfg), state=keep(ctx, media=media))
    if category == "event":
        return events.handle(Inbound(msg.openid, "text", text), ctx)
    if category == "inquiry":
        answer = faq.answer(text, cfg.faq)
        if answer:
            return Decision(reply=answer, state=keep(ctx, media=media))
    request = _pending(text, category, sub, confidence, urgent, media)
    return ticket_or_ask(ctx, request, notice)


def _pending(text: str, category: str, sub: str | None, confidence: float, urgent: bool,
             media: dict | None) -> dict[str, Any]:
    return {"text": text, "category": category, "subcategory": sub, "confidence": round(confidence, 3),
            "urgent": urgent, "media": media}


def ticket_or_ask(ctx: Context, request: dict[str, Any], notice: str | None = None) -> Decision:
    """Open the ticket when the courtyard is known; else ask for it and keep the request."""
    cfg, text = ctx.config, request["text"]
    found = yards.find(text, cfg.courtyards)
    where = (found.courtyard if found and found.sure else None) or ctx.courtyard
    guess = found.courtyard if found and where is None else None  # a bare organisation name: confirm it
    if where is None and request.get("urgent"):
        # Danger cannot wait for an answer: open it now (staff see it in triage at once) and
        # move it to the council when the resident names the courtyard.
        decision = create(ctx, request, None, notice)
        decision.reply = (replies.confirm_courtyard(cfg, guess) if guess
                          else replies.ask_courtyard(cfg, "请告诉我是哪个院，我们马上通知理事会。"))
        decision.state = {**(decision.state or {}), "step": "ask_courtyard", "placed": True, "asked": 1,
                          "guess": guess}
        return decision
    if where is None:
        reply = replies.confirm_courtyard(cfg, guess) if guess else replies.ask_courtyard(cfg, "请问是哪个院的事？")
        return Decision(reply=reply, urgent_notice=notice,
                        state=keep(ctx, step="ask_courtyard", pending=request, asked=1, guess=guess))
    offer = where if ctx.courtyard is None else None
    return create(ctx, request, where, notice, offer=offer)


def create(ctx: Context, request: dict[str, Any], where: str | None, notice: str | None = None,
           offer: str | None = None) -> Decision:
    cfg = ctx.config
    media = request.get("media") or {}
    ticket = CreateTicket(
        category=request["category"],
        subcategory=request.get("subcategory"),
        courtyard=where,
        text=request["text"],
        urgent=bool(request.get("urgent")),
        confidence=float(request.get("confidence", 1.0)),
        media_id=media.get("media_id"),
        media_kind=media.get("kind"),
    )
    actions: list[Any] = [ticket, *resident_details(request["text"])]
    last = {"text": request["text"], "category": request["category"]}
    state = {k: v for k, v in (ctx.state or {}).items() if k not in (*TRANSIENT, "media")}
    state["last"] = last
    if offer:
        state.update(step="confirm_bind", offer=offer)
        reply = replies.offer_binding(cfg, offer)
    elif request["category"] == "repair" and not media:
        reply = "有照片的话可以直接发过来，师傅看得更清楚。"
    else:
        reply = None
    return Decision(reply=reply, actions=actions, state=state, urgent_notice=notice)


# --- answers to the bot's own questions -------------------------------------------------------


def answer_courtyard(msg: Inbound, ctx: Context) -> Decision | None:
    """The reply to "which courtyard?" (None: not an answer; let the message be read afresh)."""
    cfg, state = ctx.config, ctx.state or {}
    pending = state.get("pending")
    if msg.kind == "location" and msg.lat is not None and msg.lon is not None:
        where = yards.nearest(msg.lat, msg.lon, cfg.courtyards)
    elif state.get("guess") and (yes := yes_no(msg.text)) is not None:  # 您说的是…吗？ 是 / 不是
        if not yes:
            state = {k: v for k, v in state.items() if k != "guess"}
            return Decision(reply=replies.ask_courtyard(cfg, "好的，那是哪个院？"), state=state)
        where = state["guess"]
    else:
        where = yards.answer(msg.text, cfg.courtyards)
    if state.get("placed"):  # the ticket exists already (urgent): tell it where it belongs
        if where is None:
            return None
        bind = [BindCourtyard(where)] if ctx.courtyard is None else []
        return Decision(actions=[SetCourtyard(where), *bind], state=keep(ctx))
    if where is None:
        if not pending:
            return None
        if state.get("asked", 1) >= 2:  # asked twice: register it anyway, staff find the courtyard
            return create(ctx, pending, None)
        return Decision(reply=replies.ask_courtyard(cfg, "没认出是哪个院。"),
                        state={**state, "asked": state.get("asked", 1) + 1})
    if not pending:  # the greeting's question: remember the courtyard (and hear any request with it)
        bind = BindCourtyard(where)
        if msg.kind != "location" and len(yards.leftover(msg.text, cfg.courtyards)) >= 3:
            decision = route(msg, replace(ctx, courtyard=where, state=keep(ctx) or {}), msg.text.strip())
            decision.actions.insert(0, bind)
            if decision.state:
                decision.state.pop("offer", None)
                if decision.state.get("step") == "confirm_bind":
                    decision.state.pop("step")
            return decision
        return Decision(actions=[bind], reply="有事直接说就行。", state=keep(ctx))
    notice = replies.urgent_notice(cfg) if pending.get("urgent") else None
    if msg.kind != "location" and len(yards.leftover(msg.text, cfg.courtyards)) >= 2:
        pending = {**pending, "text": f"{pending['text']}（{msg.text.strip()}）"}  # 粮食局院3号楼: keep the detail
    return create(ctx, pending, where, notice, offer=where if ctx.courtyard is None else None)


def answer_binding(msg: Inbound, ctx: Context) -> Decision | None:
    yes = yes_no(msg.text)
    offer = (ctx.state or {}).get("offer")
    if yes is None or not offer:
        return None
    if yes:
        return Decision(actions=[BindCourtyard(offer)], state=keep(ctx))
    return Decision(reply="好的，下次有事再告诉我是哪个院就行。", state=keep(ctx))


def answer_menu(msg: Inbound, ctx: Context) -> Decision | None:
    state = ctx.state or {}
    pending = state.get("pending")
    choice = menu_choice(msg.text)
    if not pending:
        return None
    if choice is None:  # more words instead of a number: read them with the first message
        if msg.kind not in ("text", "voice") or not bare(msg.text):
            return None
        inner = replace(ctx, state=keep(ctx) or {})
        return route(msg, inner, f"{pending['text']}，{msg.text.strip()}", pending.get("media"), second_try=True)
    fresh = replace(ctx, state=keep(ctx) or {})
    if choice == "event":
        return events.handle(Inbound(msg.openid, "text", pending["text"]), fresh)
    if choice == "inquiry":
        answer = faq.answer(pending["text"], ctx.config.faq)
        if answer:
            return Decision(reply=answer, state=keep(ctx))
    sub = pending.get("subcategory") if pending.get("category") == choice else None
    request = {**pending, "category": choice, "subcategory": sub, "confidence": 1.0}
    return ticket_or_ask(fresh, request)


# --- photos, videos and voice -----------------------------------------------------------------


def last_ticket(ctx: Context) -> TicketView | None:
    """The ticket opened just before (state "last"), if it is still open."""
    last = (ctx.state or {}).get("last")
    if not last or not ctx.open_tickets:
        return None
    same = [t for t in ctx.open_tickets if t.text == last.get("text")]
    return newest(same or ctx.open_tickets)


def media(msg: Inbound, ctx: Context) -> Decision:
    """A photo, video or voice: goes to the ticket just opened, else waits for the words."""
    kind = "image" if msg.kind == "image" else ("voice" if msg.kind == "voice" else "video")
    if msg.kind == "voice" and msg.text.strip() and is_urgent(msg.text):
        return route(msg, ctx, msg.text.strip())
    ticket = last_ticket(ctx)
    if ticket is not None and msg.media_id:
        note = msg.text.strip()[:500]
        return Decision(actions=[AttachMedia(ticket.ref, msg.media_id, kind, note)], state=ctx.state or None)
    if msg.kind == "voice":
        return Decision(reply="没听清您说的话，请再说一遍，或者打字告诉我。", state=ctx.state or None)
    if not msg.media_id:
        return Decision(reply="收到了。有事请打字或发语音告诉我。", state=ctx.state or None)
    held = {"media_id": msg.media_id, "kind": kind}
    state = dict(ctx.state or {})
    what = "照片" if kind == "image" else "视频"
    if state.get("pending"):  # asked for the courtyard or the category: the photo joins that request
        state["pending"] = {**state["pending"], "media": state["pending"].get("media") or held}
        ask = "请回个数字选一下。" if state.get("step") == "menu" else "请告诉我是哪个院。"
        return Decision(reply=f"{what}收到了。{ask}", state=state)
    state["media"] = state.get("media") or held
    return Decision(reply=f"{what}收到了。请再用文字或语音说说是哪个院、什么问题，我帮您登记。", state=state)
