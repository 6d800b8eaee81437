"""Event sign-up with capacity and a waitlist; a cancellation promotes the first on the waitlist."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain.clock import to_local
from bot.domain.vocabulary import EventStatus
from bot.services.push import notices
from bot.storage.models import Event, Registration
from handlers import base as hb
from handlers.actions import EventCancel, EventSignup


def _when(event: Event) -> str:
    local = to_local(event.starts_at)
    return f"{local:%m月%d日 %H:%M}" if local else ""


def _active(event: Event) -> list[Registration]:
    return [r for r in event.registrations if r.status == "registered"]


def sign_up(session: Session, a: EventSignup, openid: str, courtyard: str | None = None,
            courtyard_name: str = "") -> hb.Outcome:
    event = session.get(Event, a.event_id, with_for_update=True)
    if event is None:
        return hb.Outcome(a, False, message="没有找到这个活动，发「有啥活动」看看最近的安排。")
    if event.cancelled:
        why = f"（{event.cancel_reason}）" if event.cancel_reason else ""
        return hb.Outcome(a, False, message=f"很抱歉，「{event.title}」已经取消了{why}，报不了名了。"
                                            "发「有啥活动」看看别的安排。")
    if event.courtyard_id and event.courtyard_id != courtyard:
        return hb.Outcome(a, False, message=f"「{event.title}」是{courtyard_name or '本院'}居民的活动，别的院暂时报不了，"
                                            "谢谢您的关心。发「有啥活动」看看全社区的安排。")
    reg = session.scalars(
        select(Registration).where(Registration.event_id == event.id, Registration.openid == openid,
                                   Registration.guest == a.guest)
    ).first()
    if reg is not None and reg.status in ("registered", "waitlist"):
        place = "已报名" if reg.status == "registered" else "在候补名单上"
        who = a.guest or "您"
        return hb.Outcome(a, True, data={"status": reg.status, "already": True},
                          message=f"{who}已经{place}「{event.title}」（{_when(event)}，{event.place}）。")
    status = "registered" if len(_active(event)) < event.capacity else "waitlist"
    if reg is None:
        reg = Registration(event_id=event.id, openid=openid, guest=a.guest)
        session.add(reg)
    reg.status, reg.name, reg.phone = status, (a.guest or a.name or reg.name), a.phone or reg.phone
    session.flush()
    if status == "registered" and a.guest:
        text = f"给{a.guest}也报上了！「{event.title}」{_when(event)}，地点：{event.place}。"
    elif status == "registered":
        who = f"{a.name}，" if a.name else ""
        text = f"报名成功！{who}「{event.title}」{_when(event)}，地点：{event.place}。不去了可以回复「取消报名」。"
    else:
        text = f"「{event.title}」名额已满，已把您排进候补名单，有空位会通知您。"
    return hb.Outcome(a, True, data={"status": status}, message=text)


def cancel(session: Session, a: EventCancel, openid: str) -> hb.Outcome:
    event = session.get(Event, a.event_id, with_for_update=True)
    reg = None
    if event is not None:
        mine = list(session.scalars(select(Registration).where(
            Registration.event_id == event.id, Registration.openid == openid,
            Registration.status != "cancelled").order_by(Registration.id)))
        reg = next((r for r in mine if r.guest == a.guest), None)
        others = [r for r in mine if r.guest]
        if reg is None and a.guest and len(others) == 1:  # 俺老伴去不了了: the one place taken for someone else
            reg = others[0]
    if event is None or reg is None or reg.status == "cancelled":
        who = "这位家人" if a.guest else "您"
        return hb.Outcome(a, False, message=f"没有查到{who}的报名记录。")
    was_registered = reg.status == "registered"
    reg.status = "cancelled"
    promoted = None
    if was_registered:
        waiting = [r for r in event.registrations if r.status == "waitlist"]
        if waiting:
            promoted = waiting[0]
            promoted.status = "registered"
    session.flush()
    return hb.Outcome(
        a, True, data={"promoted": promoted.openid if promoted else None, "event": event.title,
                       "when": _when(event), "place": event.place, "promoted_id": promoted.id if promoted else None},
        message=f"已取消{reg.guest}「{event.title}」的报名，其他人的名额不变。" if reg.guest
        else f"已取消「{event.title}」的报名。",
    )


def cancel_event(session: Session, config: Config, event: Event, reason: str) -> int:
    """Staff call the activity off: it takes no more sign-ups, sends no reminder, and everyone holding
    a place or a waitlist place is told why. Returns how many were told (0 when already cancelled)."""
    if event.cancelled:
        return 0
    event.status, event.cancel_reason = EventStatus.cancelled.value, reason.strip()[:200] or None
    session.flush()
    return notices.event_cancelled(session, config, event)
