"""What a council member's command or a resident's callback answer does — the synchronous side.

The webhook (and the mobile action page) call these inside their own DB session; they change the
ticket only through `bot.services.tickets.lifecycle`, record the follow-up pushes as `pushes` rows and register their
RQ jobs in the session's outbox, enqueued right AFTER it commits (`bot.services.uow.outbox`; dropped on
rollback). The caller only has to commit. `Outcome.data["jobs"]` lists what was registered.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain import texts
from bot.domain.clock import utcnow
from bot.services.casework.callback import ask
from bot.services.dispatch.deadlines import schedule_deadline_checks
from bot.services.media.attach import queue_media
from bot.services.push.send import ensure_member_row, queue_push
from bot.services.tickets.lifecycle import TransitionError, add_event, close, get_by_ref, transition
from bot.services.uow import jobs, outbox
from bot.storage.models import Ticket, TicketEvent
from handlers.actions import AttachMedia, CallbackAnswer, CouncilCommand, LateRating
from handlers.base import Outcome
from handlers.state import MediaRef

log = logging.getLogger(__name__)

VERBS = {"accept": "接单", "return": "退单", "progress": "进展", "finish": "办结"}


def _out(session: Session, action, ok: bool, ref: str | None, message: str, **data) -> Outcome:  # noqa: ANN001
    data["jobs"] = outbox.of(session).labels
    return Outcome(action=action, ok=ok, ref=ref, message=message, data=data)


def note_member_message(session: Session, config: Config, openid: str) -> None:
    """A member who writes to us can be reached again and opens the 48 h customer-service window."""
    row = ensure_member_row(session, config, openid)
    row.reachable, row.unreachable_reason, row.last_message_at = True, None, utcnow()


def apply_council_command(
    session: Session, config: Config, openid: str, verb: str, ref: str, note: str = ""
) -> Outcome:
    """接单 / 退单 / 进展 / 办结 REF [说明] from a council member. Only members of the ticket's
    courtyard council may act on it; everyone else gets a clear no."""
    note = (note or "").strip()
    action = CouncilCommand(verb=verb, ref=ref, note=note)
    member = config.member(openid)
    if member is None:
        return _out(session, action, False, None, "只有楼院理事会成员可以处理工单。")
    if verb not in VERBS:
        return _out(session, action, False, None, "请回复：接单 单号 / 进展 单号 说明 / 办结 单号 说明 / 退单 单号 原因。")
    note_member_message(session, config, openid)
    ticket = get_by_ref(session, ref, for_update=True) if ref else None
    if ticket is None:
        return _out(session, action, False, ref or None, f"没有找到工单 {ref or ''}，请核对单号。".replace("  ", " "))
    if ticket.courtyard_id != member.courtyard:
        return _out(session, action, False, ticket.ref,
                    f"工单 {ticket.ref} 不归{config.courtyard_name(member.courtyard)}理事会，您不能处理。")
    if ticket.assignee_openid != openid and _reassigned_away(session, ticket.id, openid):
        return _out(session, action, False, ticket.ref,
                    f"工单 {ticket.ref} 已改派给{ticket.assignee_name or '别人'}，不用您处理了，谢谢。")
    who = dict(actor=openid, actor_name=member.name)
    try:
        if verb == "accept":
            return _accept(session, config, ticket, member, action, who)
        if verb == "return":
            return _return(session, config, ticket, member, action, who, note)
        if verb == "progress":
            return _progress(session, config, ticket, member, action, who, note)
        return _finish(session, config, ticket, member, action, who, note)
    except TransitionError as exc:
        return _out(session, action, False, ticket.ref, str(exc))


def _reassigned_away(session: Session, ticket_id: int, openid: str) -> bool:
    """Staff moved this ticket away from `openid` (a reassignment): they may no longer act on it."""
    rows = session.scalars(select(TicketEvent.data).where(TicketEvent.ticket_id == ticket_id,
                                                          TicketEvent.kind == "reassigned"))
    return any((d or {}).get("from_openid") == openid and (d or {}).get("openid") != openid for d in rows)


def _closed_message(ticket: Ticket) -> str | None:
    if ticket.status == "awaiting_callback":
        return f"工单 {ticket.ref} 已办结，正在等居民回访。"
    if ticket.status == "closed":
        return f"工单 {ticket.ref} 已经关闭。"
    if ticket.status in ("received", "triage"):
        return f"工单 {ticket.ref} 正在由社区工作人员分派，暂时不能处理。"
    return None


def _take(session: Session, config: Config, ticket: Ticket, member, who: dict) -> TicketEvent:  # noqa: ANN001
    """dispatched → accepted; any member of the council may take it (the first one who does)."""
    if ticket.assignee_openid != member.openid:
        ticket.backup_openid = ticket.assignee_openid or ticket.backup_openid
        ticket.assignee_openid, ticket.assignee_name = member.openid, member.name
    event = transition(session, ticket, "accepted", "accepted", **who, data={"on_time": _on_time(ticket)})
    content, text = texts.notice_accepted(config, ticket, member.name)
    _notify_resident(session, config, ticket, event, content, text)
    session.flush()
    schedule_deadline_checks(session, config, ticket)
    return event


def _on_time(ticket: Ticket) -> bool | None:
    return None if ticket.accept_due_at is None else utcnow() <= ticket.accept_due_at


def _notify_resident(session: Session, config: Config, ticket: Ticket, event: TicketEvent, content, text) -> None:  # noqa: ANN001
    if ticket.resident_openid:
        session.flush()  # the event id makes the push's client_msg_id
        queue_push(session, config, ticket=ticket, openid=ticket.resident_openid, kind="notice",
                   tag=f"e{event.id}", content=content, text=text)


def _accept(session, config, ticket, member, action, who) -> Outcome:  # noqa: ANN001
    if ticket.status == "accepted":
        if ticket.assignee_openid == member.openid:
            return _out(session, action, True, ticket.ref, f"您已接过工单 {ticket.ref}，办好后回复「办结 {ticket.ref} 说明」。")
        return _out(session, action, False, ticket.ref, f"工单 {ticket.ref} 已由{ticket.assignee_name}接单。")
    if (msg := _closed_message(ticket)) is not None:
        return _out(session, action, False, ticket.ref, msg)
    _take(session, config, ticket, member, who)
    return _out(session, action, True, ticket.ref,
                f"已接单 {ticket.ref}，请在 {texts.format_local(ticket.finish_due_at)} 前办好。"
                f"办好后回复「办结 {ticket.ref} 说明」。")


def _return(session, config, ticket, member, action, who, note) -> Outcome:  # noqa: ANN001
    if not note:
        return _out(session, action, False, ticket.ref, f"退单请写明原因，例如：退单 {ticket.ref} 不归本院管。")
    if (msg := _closed_message(ticket)) is not None:
        return _out(session, action, False, ticket.ref, msg)
    transition(session, ticket, "triage", "returned", **who, note=note, data={"misroute": True})
    ticket.assignee_openid = ticket.assignee_name = None
    ticket.accept_due_at = None  # no deadline runs while staff re-assign it
    session.flush()
    for staff in config.staff_openids:
        content, text = texts.triage(config, ticket, f"{member.name}退单：{note}")
        queue_push(session, config, ticket=ticket, openid=staff, kind="triage", tag=f"r{ticket.dispatch_attempt}",
                   content=content, text=text)
    return _out(session, action, True, ticket.ref, f"已退单 {ticket.ref}，社区工作人员会重新安排。谢谢您。")


def _progress(session, config, ticket, member, action, who, note) -> Outcome:  # noqa: ANN001
    if not note:
        return _out(session, action, False, ticket.ref, f"请写明进展，例如：进展 {ticket.ref} 已联系师傅，明天上门。")
    if (msg := _closed_message(ticket)) is not None:
        return _out(session, action, False, ticket.ref, msg)
    if ticket.status == "dispatched":
        _take(session, config, ticket, member, who)
    event = add_event(session, ticket, "progress", **who, note=note)
    content, text = texts.notice_progress(config, ticket, member.name, note)
    _notify_resident(session, config, ticket, event, content, text)
    return _out(session, action, True, ticket.ref, f"已记录工单 {ticket.ref} 的进展，并告诉了居民。")


def _finish(session, config, ticket, member, action, who, note) -> Outcome:  # noqa: ANN001
    if (msg := _closed_message(ticket)) is not None:
        return _out(session, action, False, ticket.ref, msg)
    if ticket.status == "dispatched":
        _take(session, config, ticket, member, who)
    transition(session, ticket, "awaiting_callback", "finished", **who, note=note or "已处理",
               data={"on_time": None if ticket.finish_due_at is None else utcnow() <= ticket.finish_due_at})
    session.flush()
    ask(session, config, ticket, note)
    return _out(session, action, True, ticket.ref,
                f"工单 {ticket.ref} 已办结，辛苦了！我们会请居民评价。有现场照片可以直接发过来。")


def attach_finish_photo(session: Session, config: Config, openid: str, media_id: str, kind: str = "image") -> Outcome | None:
    """A photo a member sends soon after 办结 belongs to that ticket. None: no such ticket (the
    webhook handles the photo otherwise)."""
    member = config.member(openid)
    if member is None:
        return None
    since = utcnow() - timedelta(minutes=config.dispatch.photo_window_minutes)
    event = session.scalars(
        select(TicketEvent).where(TicketEvent.actor == openid, TicketEvent.kind == "finished", TicketEvent.at >= since)
        .order_by(TicketEvent.id.desc())
    ).first()
    if event is None:
        return None
    ticket = session.get(Ticket, event.ticket_id)
    if ticket is None:  # never: the event's ticket_id is a foreign key
        return None
    row = queue_media(session, config, ticket=ticket, openid=openid, media_id=media_id, kind=kind)
    add_event(session, ticket, "photo_attached", actor=openid, actor_name=member.name, data={"media": row.id})
    return _out(session, AttachMedia(ref=ticket.ref or "", media=(MediaRef(media_id, kind),)), True, ticket.ref,
                f"照片已附到工单 {ticket.ref}。")


class _Actor(TypedDict):
    """Who an event is by, as keyword arguments of add_event / transition / close."""

    actor: str
    actor_name: str


def apply_callback_answer(
    session: Session, config: Config, openid: str, ref: str | None, solved: bool | None,
    rating: int | None, note: str = "",
) -> Outcome:
    """The resident's answer to 回访. A rating alone means solved; "not solved" reopens (重办)."""
    action = CallbackAnswer(ref=ref or "", solved=solved, rating=rating, note=note)
    if ref:
        ticket = get_by_ref(session, ref, for_update=True)
    else:
        ticket = session.scalars(
            select(Ticket).where(Ticket.resident_openid == openid, Ticket.status == "awaiting_callback")
            .order_by(Ticket.finished_at.desc()).with_for_update()
        ).first()
    if ticket is None or ticket.resident_openid != openid:
        return _out(session, action, False, ref or None, f"没有找到您的工单 {ref or ''}，请核对单号。".replace("  ", " "))
    if ticket.status != "awaiting_callback":
        return _out(session, action, False, ticket.ref, f"工单 {ticket.ref} 现在不需要评价，谢谢您。")
    if rating is not None and not 1 <= rating <= 5:
        return _out(session, action, False, ticket.ref, "请回复 1 到 5 之间的数字打分（5 分最满意）。")
    if solved is None and rating is None:
        return _out(session, action, False, ticket.ref, "问题解决了请回个数字 1 到 5 打分；没解决请回 0。")
    who: _Actor = {"actor": openid, "actor_name": "居民"}
    reopened = record_callback(session, config, ticket, who["actor"], who["actor_name"], solved, rating, note)
    if reopened:
        return _out(session, action, True, ticket.ref, f"抱歉没有解决好。工单 {ticket.ref} 已重新派单，我们会尽快处理。",
                    reopened=True)
    if rating is not None and rating <= LOW_RATING:
        return _out(session, action, True, ticket.ref, SORRY.format(ref=ticket.ref), rating=rating)
    thanks = f"谢谢您的评价（{rating} 分）！" if rating else ""  # no rating yet: the reply asks for it
    return _out(session, action, True, ticket.ref, f"{thanks}工单 {ticket.ref} 已办结。", rating=rating)


def record_callback(session: Session, config: Config, ticket: Ticket, actor: str, actor_name: str,
                    solved: bool | None, rating: int | None, note: str = "") -> bool:
    """The 回访 answer on a ticket awaiting it (the resident's in WeChat, or staff's 电话回访): "not
    solved" reopens it (重办, re-dispatched; True), else it closes as resolved. Checked by the caller."""
    who: _Actor = {"actor": actor, "actor_name": actor_name}
    if solved is False:
        ticket.solved, ticket.rating = False, rating
        ticket.reopen_count += 1
        add_event(session, ticket, "callback", **who, note=note or None, data={"solved": False, "rating": rating})
        ticket.accept_due_at = None  # the re-dispatch sets a fresh one
        transition(session, ticket, "dispatched", "reopened", **who, note=note or "居民反映问题未解决，重办",
                   data={"reopen_count": ticket.reopen_count})
        outbox.add(session, jobs.dispatch_job(ticket.id, ticket.dispatch_attempt + 1))
        return True
    ticket.solved, ticket.rating = True, rating
    add_event(session, ticket, "callback", **who, note=note or None, data={"solved": True, "rating": rating})
    close(session, ticket, "resolved", **who, note=note or None)
    if rating is not None and rating <= LOW_RATING:
        follow_up_low_rating(session, config, ticket, rating, note)
    return False


LOW_RATING = 2
SORRY = "很抱歉这次没让您满意（工单 {ref}）。社区工作人员会再联系您，听听哪里没做好。"


def follow_up_low_rating(session: Session, config: Config, ticket: Ticket, rating: int, note: str) -> None:
    """A rating of 1–2: staff follow it up (a push and an event), whatever the ticket's state."""
    session.flush()
    event = add_event(session, ticket, "note", note=f"居民打了 {rating} 分，需要社区回访", data={"low_rating": rating})
    session.flush()
    content, text = texts.alert(config, ticket, f"居民评价 {rating} 分：{(note or '（没有留言）')[:60]}。请回访居民。")
    for staff in config.staff_openids:
        queue_push(session, config, ticket=ticket, openid=staff, kind="alert", tag=f"low{event.id}",
                   content=content, text=text)


def apply_late_rating(session: Session, config: Config, openid: str, ref: str, rating: int, note: str = "") -> Outcome:
    """The rating that follows a "solved" answer: kept on the ticket it closed (once)."""
    action = LateRating(ref=ref, rating=rating, note=note)
    ticket = get_by_ref(session, ref, for_update=True)
    if ticket is None or ticket.resident_openid != openid or ticket.close_reason not in ("resolved", "answered") \
            or ticket.rating:
        return _out(session, action, False, ref, "这次的评价已经记下了，谢谢您。")
    if not 1 <= rating <= 5:
        return _out(session, action, False, ticket.ref, "请回复 1 到 5 之间的数字打分（5 分最满意）。")
    ticket.rating = rating
    add_event(session, ticket, "callback", actor=openid, actor_name="居民", note=note or None,
              data={"solved": True, "rating": rating, "late": True})
    if rating <= LOW_RATING:
        follow_up_low_rating(session, config, ticket, rating, note)
        return _out(session, action, True, ticket.ref, SORRY.format(ref=ticket.ref), rating=rating)
    return _out(session, action, True, ticket.ref, f"谢谢您的评价（{rating} 分）！", rating=rating)
