"""What staff do to a ticket from the workbench. Each function writes its event(s) through
`bot.services.tickets.lifecycle` with the staff member's name, and returns a plain-Chinese line for the page.

Work for the workers (dispatch, pushes) is enqueued after the session commits, never before,
so a worker never reads a ticket older than the one the staff member just saved.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain import conversation_texts
from bot.domain.clock import utcnow
from bot.domain.public_scrub import scrub
from bot.domain.vocabulary import CLOSE_REASONS
from bot.services.casework.council import record_callback
from bot.services.push import notices
from bot.services.push.send import queue_push
from bot.services.tickets import lifecycle as tickets
from bot.services.tickets.lifecycle import TransitionError
from bot.services.uow import jobs, outbox
from bot.storage.models import LabelledExample, Ticket

log = logging.getLogger(__name__)


class Actor(Protocol):
    username: str
    name: str


def _who(actor: Actor) -> dict[str, Any]:
    return {"actor": f"staff:{actor.username}", "actor_name": actor.name}


def dispatch(session: Session, ticket: Ticket, actor: Actor, assignee_openid: str | None = None) -> str:
    """Hand the ticket (back) to the dispatch worker (routing, push, deadlines), after commit.

    `attempt` is the worker's compare-and-set on `dispatch_attempt`: a double click dispatches once."""
    if ticket.courtyard_id is None:
        raise TransitionError("请先选定楼院，再派单")
    attempt = (ticket.dispatch_attempt or 0) + 1
    tickets.add_event(session, ticket, "dispatch_requested", **_who(actor),
                      data={"attempt": attempt, "assignee": assignee_openid})
    outbox.add(session, jobs.dispatch_job(ticket.id, attempt, assignee_openid))
    return "已交给派单程序，稍后刷新可看到派单结果"


def reclassify(session: Session, ticket: Ticket, actor: Actor, config: Config, category: str,
               subcategory: str | None) -> str:
    if category not in config.categories and category != "other":
        raise TransitionError("请选择一个分类")
    subcategory = (subcategory or "").strip() or None
    before = {"category": ticket.category, "subcategory": ticket.subcategory}
    ticket.category, ticket.subcategory = category, subcategory
    ticket.confidence = 1.0  # confirmed by a person: leaves the low-confidence triage queue
    tickets.add_event(session, ticket, "reclassified", **_who(actor),
                      data={"from": before, "to": {"category": category, "subcategory": subcategory}})
    # Kept for `steward train`, so the classifier learns from the correction.
    session.add(LabelledExample(text=ticket.text, category=category, subcategory=subcategory,
                                source="reclassify", created_by=actor.username))
    return "分类已修改"


def move(session: Session, ticket: Ticket, actor: Actor, config: Config, courtyard_id: str) -> str:
    if config.courtyard(courtyard_id) is None:
        raise TransitionError("请选择一个楼院")
    if courtyard_id == ticket.courtyard_id:
        return "楼院没有变化"
    before, member = ticket.courtyard_id, ticket.assignee_openid
    ticket.courtyard_id = courtyard_id
    ticket.assignee_openid = ticket.assignee_name = ticket.backup_openid = None
    tickets.add_event(session, ticket, "moved", **_who(actor), data={"from": before, "to": courtyard_id})
    session.flush()
    notices.moved(session, config, ticket, before, member)
    if ticket.status in ("dispatched", "accepted"):
        # The old council no longer owns it: back to triage so it is dispatched to the new one.
        tickets.transition(session, ticket, "triage", "moved_to_triage", **_who(actor),
                           note=f"转到{config.courtyard_name(courtyard_id)}，待重新派单")
    return f"已转到{config.courtyard_name(courtyard_id)}"


def reassign(session: Session, ticket: Ticket, actor: Actor, config: Config, openid: str) -> str:
    member = config.member(openid)
    if member is None or member.courtyard != ticket.courtyard_id:
        raise TransitionError("只能改派给本楼院理事会的成员")
    if ticket.status in ("closed", "awaiting_callback"):
        raise TransitionError("工单已办结或待回访，不能改派")
    before = ticket.assignee_openid
    event = tickets.add_event(session, ticket, "reassigned", **_who(actor),
                              data={"from": ticket.assignee_name, "to": member.name, "openid": member.openid,
                                    "from_openid": before})
    if before and before != member.openid:  # the old member hears it and stops (their commands are refused)
        session.flush()
        content, text = conversation_texts.reassigned_member(config, ticket, member.name)
        queue_push(session, config, ticket=ticket, openid=before, kind="notice", tag=f"ra{event.id}",
                   content=content, text=text)
    # The dispatch worker pushes the task to that member and restarts the accept deadline.
    dispatch(session, ticket, actor, assignee_openid=member.openid)
    return f"已改派给{member.name}，任务会推送给他/她"


def note(session: Session, ticket: Ticket, actor: Actor, text: str) -> str:
    text = text.strip()
    if not text:
        raise TransitionError("备注不能为空")
    tickets.add_event(session, ticket, "note", **_who(actor), note=text[:2000])
    return "备注已保存"


def reply(session: Session, ticket: Ticket, actor: Actor, config: Config, text: str) -> str:
    """A message to the resident (customer-service text within 48 h, else the notice template)."""
    text = text.strip()[:600]
    if not text:
        raise TransitionError("回复内容不能为空")
    if not ticket.resident_openid:
        raise TransitionError("这张工单没有居民的微信，无法回复")
    event = tickets.add_event(session, ticket, "staff_reply", **_who(actor), note=text)
    session.flush()
    queue_push(session, config, ticket=ticket, openid=ticket.resident_openid, kind="reply", tag=event.id,
               content={"title": "社区工作人员回复", "ref": ticket.ref or "", "what": text,
                        "how": f"工单 {ticket.ref}"},
               text=f"【工单 {ticket.ref}】社区工作人员回复：{text}")
    return "回复已发出"


def mark_duplicate(session: Session, ticket: Ticket, actor: Actor, original_ref: str,
                   config: Config | None = None) -> str:
    tickets.close(session, ticket, "duplicate", duplicate_of=original_ref, **_who(actor),
                  note=f"与 {original_ref.strip().upper()} 重复")
    original = tickets.get_by_ref(session, ticket.duplicate_of or "")
    if config is not None and original is not None:
        session.flush()
        notices.merged(session, config, ticket, original)
    return f"已标为 {ticket.duplicate_of} 的重复工单并关闭"


def close(session: Session, ticket: Ticket, actor: Actor, reason: str, referral: str | None, text: str | None,
          config: Config | None = None) -> str:
    if reason not in CLOSE_REASONS or reason in ("resolved", "duplicate"):
        raise TransitionError("请选择关闭原因")
    member = ticket.assignee_openid
    tickets.close(session, ticket, reason, referral=referral, **_who(actor), note=(text or "").strip() or None)
    if config is not None:
        session.flush()
        notices.staff_closed(session, config, ticket, reason, CLOSE_REASONS[reason], text, member)
    return f"已关闭：{CLOSE_REASONS[reason]}"


def reopen(session: Session, ticket: Ticket, actor: Actor, text: str | None) -> str:
    if ticket.status != "closed":
        raise TransitionError("只有已办结的工单可以重新打开")
    ticket.reopen_count = (ticket.reopen_count or 0) + 1
    ticket.rating = ticket.solved = None
    tickets.transition(session, ticket, "triage", "reopened", **_who(actor), note=(text or "").strip() or None)
    return "已重新打开，放回待分派"


def publish(session: Session, ticket: Ticket, actor: Actor, published: bool) -> str:
    ticket.published = published
    tickets.add_event(session, ticket, "published" if published else "unpublished", **_who(actor),
                      data={"at": utcnow().isoformat()})
    return "已公开到公示栏" if published else "已从公示栏撤下"


PUBLIC_SUMMARY_MAX = 200


def public_summary(session: Session, ticket: Ticket, actor: Actor, text: str) -> str:
    """The one text the public board shows for this ticket, written or approved by staff."""

    text = " ".join((text or "").split())
    if len(text) > PUBLIC_SUMMARY_MAX:
        raise TransitionError(f"公示摘要最多 {PUBLIC_SUMMARY_MAX} 字")
    ticket.public_summary = text or None
    tickets.add_event(session, ticket, "public_summary", **_who(actor), note=text or None)
    if not text:
        return "已清除公示摘要，公示栏只显示类别和进度"
    shown = scrub(text, PUBLIC_SUMMARY_MAX)
    return "公示摘要已保存" + ("" if shown == text else f"（公示栏上显示为：{shown}）")


def phone_callback(session: Session, ticket: Ticket, actor: Actor, config: Config, solved: str,
                   rating: str | None, text: str | None) -> str:
    """电话回访: staff called a resident who is not in WeChat and record the answer — the same
    callback event and close (or 重办) as a resident's answer in WeChat, so the rates count it alike."""
    if ticket.status != "awaiting_callback":
        raise TransitionError("这张工单现在不需要回访")
    if solved not in ("1", "0"):
        raise TransitionError("请选择问题是否解决")
    stars = int(rating) if rating and rating.isdigit() else None
    if rating and (stars is None or not 1 <= stars <= 5):
        raise TransitionError("满意度应为 1 到 5 分")
    note = "电话回访" + (f"：{text.strip()[:500]}" if text and text.strip() else "")
    if record_callback(session, config, ticket, f"staff:{actor.username}", actor.name, solved == "1", stars,
                       note):
        return "已记录：问题未解决，工单已重新派单（重办）"
    return "已记录电话回访，工单已办结" + (f"（{stars} 分）" if stars else "")
