"""Executors of the actions about a ticket, inside the message's transaction: open one, name or
correct its courtyard, add photos or words, withdraw it, make it urgent.

Each is registered with `@executes(ActionClass)` (`bot.services.actions.run`); work that must wait
until the transaction commits (enqueueing jobs) goes to the session's outbox.
"""

from __future__ import annotations

import logging

from sqlalchemy import func, select

from bot.domain import conversation_texts, routing
from bot.domain.vocabulary import EventKind, PushKind
from bot.services.actions import budget
from bot.services.actions.holders import tell
from bot.services.actions.run import Run, executes
from bot.services.dispatch import emergencies
from bot.services.dispatch.assign import request_dispatch
from bot.services.media import attach as media_service
from bot.services.push.send import queue_push
from bot.services.tickets import lifecycle as tickets
from bot.services.uow import jobs, outbox
from bot.storage.models import Media, Ticket, TicketEvent
from handlers import actions as ha
from handlers import base as hb
from handlers import progress as hp
from handlers import reconsider as hr
from handlers.amend import AmendTicket
from handlers.state import Held

log = logging.getLogger(__name__)


def _add_media(run: Run, ticket: Ticket, media: Held) -> None:
    """Every held photo / voice on the ticket, in the order sent, and its member told once. The voice
    being handled keeps its words as WeChat recognised them (the member reads them beside the player)."""
    if not media:
        return
    heard = _heard(run)
    rows = [Media(ticket_id=ticket.id, openid=run.msg.openid, kind=m.kind, media_id=m.media_id,
                  transcript=heard if m.kind == "voice" and m.media_id == run.msg.media_id else None) for m in media]
    run.session.add_all(rows)
    run.session.flush()
    tickets.add_event(run.session, ticket, "media_attached", actor=run.msg.openid,
                      data={"kind": rows[0].kind, "count": len(rows)})
    for row in rows:
        outbox.add(run.session, jobs.media_job(row.id, fresh=True))
    media_service.tell_member(run.session, run.config, ticket, rows)  # he sees what the resident sent


def _heard(run: Run) -> str | None:
    """The words of the voice being handled, when WeChat sent its Recognition."""
    return (run.msg.text.strip()[:500] or None) if run.msg.kind == "voice" else None


@executes(ha.CreateTicket)
def create_ticket(run: Run, a: ha.CreateTicket) -> hb.Outcome:
    # An emergency is never held by the budget: a real fire after ten reports must still alert staff.
    if not a.emergency and budget.over_budget(run.session, run.config, run.msg.openid):
        item, _ = budget.hold(run.session, run.msg.openid, a)
        _add_media(run, item, a.media)
        run.ticket_ids.append(item.id)
        return hb.Outcome(a, True, ref=item.ref, message=budget.HELD_REPLY)
    ticket = tickets.create_ticket(
        run.session,
        category=a.category,
        subcategory=a.subcategory,
        courtyard=a.courtyard,
        text=a.text,
        urgent=a.urgent,
        confidence=a.confidence,
        resident_openid=run.msg.openid,
        actor=run.msg.openid,
    )
    _add_media(run, ticket, a.media)
    run.ticket_ids.append(ticket.id)
    if a.urgent:  # staff hear of danger at once, not when a deadline is missed
        emergencies.alert_staff(run.session, run.config, ticket, a.emergency)
    # A merge with another resident's report is suggested by the dispatch job (after the reply).
    # No job can exist for a ticket this transaction created: `fresh` rides on the webhook's pipeline.
    outbox.add(run.session, jobs.dispatch_job(ticket.id, fresh=True, urgent=bool(ticket.urgent)))
    return hb.Outcome(a, True, ref=ticket.ref)



@executes(ha.SetCourtyard)
def set_courtyard(run: Run, a: ha.SetCourtyard) -> hb.Outcome:
    cfg = run.config
    if cfg.courtyard(a.courtyard) is None:
        return hb.Outcome(a, False, message="没有找到这个楼院，请再说一下是哪个院。")
    if a.ref:
        ticket = tickets.get_by_ref(run.session, a.ref)
    else:
        ticket = run.session.scalars(
            select(Ticket)
            .where(Ticket.resident_openid == run.msg.openid, Ticket.courtyard_id.is_(None),
                   Ticket.status.in_(("received", "triage")))
            .order_by(Ticket.id.desc())
        ).first()
    if ticket is None or ticket.resident_openid != run.msg.openid:
        return hb.Outcome(a, False, message="没有找到需要补充楼院的工单。")
    ticket.courtyard_id = a.courtyard
    tickets.add_event(run.session, ticket, "moved", actor=run.msg.openid, note="居民补充了楼院",
                      data={"from": None, "to": a.courtyard})
    if ticket.status == "triage":
        # Already sent to staff for want of a courtyard: dispatch it to that council now. A ticket
        # still `received` needs nothing: its pending dispatch job reads the courtyard when it runs.
        request_dispatch(run.session, cfg, ticket, actor=run.msg.openid, note="居民补充了楼院")
    return hb.Outcome(a, True, ref=ticket.ref,
                      message=f"好的，工单 {ticket.ref} 已转给{cfg.courtyard_name(a.courtyard)}理事会。")


@executes(ha.MoveTicket)
def move_ticket(run: Run, a: ha.MoveTicket) -> hb.Outcome:
    cfg = run.config
    ticket = tickets.get_by_ref(run.session, a.ref)
    if ticket is None or ticket.resident_openid != run.msg.openid or ticket.status not in OPEN_TO_MOVE:
        return hb.Outcome(a, False, message="这件事已经在办了，改楼院请发“转人工”找工作人员。")
    if cfg.courtyard(a.courtyard) is None or ticket.courtyard_id == a.courtyard:
        return hb.Outcome(a, False, message=f"工单 {ticket.ref} 就在{cfg.courtyard_name(a.courtyard)}，不用改。")
    old, member = ticket.courtyard_id, ticket.assignee_openid
    ticket.courtyard_id = a.courtyard
    ticket.assignee_openid = ticket.assignee_name = ticket.backup_openid = None
    event = tickets.add_event(run.session, ticket, "moved", actor=run.msg.openid, note="居民更正了楼院",
                              data={"from": old, "to": a.courtyard})
    if ticket.status == "dispatched":  # the old council lets go, the new one gets the task
        tickets.transition(run.session, ticket, "triage", "moved_to_triage", actor=run.msg.openid,
                           note=f"居民更正为{cfg.courtyard_name(a.courtyard)}")
    if ticket.status == "triage":  # (a `received` one: its pending dispatch job reads the new courtyard)
        request_dispatch(run.session, cfg, ticket, actor=run.msg.openid, note="居民更正了楼院")
    if member:
        run.session.flush()
        content, text = conversation_texts.moved_member(cfg, ticket, old)
        queue_push(run.session, cfg, ticket=ticket, openid=member, kind=PushKind.notice.value, tag=f"mv{event.id}",
                   content=content, text=text)
    return hb.Outcome(a, True, ref=ticket.ref, message=(
        f"好的，工单 {ticket.ref} 改到{cfg.courtyard_name(a.courtyard)}了"
        + ("，已告诉原来的理事会" if member else "") + f"，{cfg.courtyard_name(a.courtyard)}理事会马上接手。"))


@executes(AmendTicket)
def amend_ticket(run: Run, a: AmendTicket) -> hb.Outcome:
    ticket = tickets.get_by_ref(run.session, a.ref)
    if ticket is None or ticket.resident_openid != run.msg.openid or ticket.status in ("closed", "awaiting_callback"):
        return hb.Outcome(a, False, message="这件事已经办完了，要改请发“转人工”找工作人员。")
    if a.text:
        ticket.text = a.text
    if a.category and a.category != ticket.category:
        before = ticket.category
        ticket.category, ticket.subcategory = a.category, None
        tickets.add_event(run.session, ticket, EventKind.reclassified.value, actor=run.msg.openid,
                          note="居民更正了类别", data={"from": before, "to": a.category})
    event = tickets.add_event(run.session, ticket, EventKind.resident_followup.value, actor=run.msg.openid,
                              note=f"居民更正：{a.what}（{a.said[:200]}）", data={"correction": a.what})
    member = ticket.assignee_openid
    tell(run.session, run.config, ticket, run.msg.openid, f"am{event.id}",
         conversation_texts.amended_member(run.config, ticket, a.what))
    return hb.Outcome(a, True, ref=ticket.ref, data={"member": ticket.assignee_name if member else None})


OPEN_TO_MOVE = ("received", "dispatched", "triage")  # once accepted, a person sorts it out


def _own_or_assigned(run: Run, ref: str) -> Ticket | None:
    ticket = tickets.get_by_ref(run.session, ref)
    if ticket is None:
        return None
    member = run.config.member(run.msg.openid)
    if ticket.resident_openid == run.msg.openid:
        return ticket
    if member is not None and member.courtyard == ticket.courtyard_id:
        return ticket
    return None


@executes(ha.AttachMedia)
def attach_media(run: Run, a: ha.AttachMedia) -> hb.Outcome:
    ticket = _own_or_assigned(run, a.ref)
    if ticket is None:
        return hb.Outcome(a, False, message=f"没有找到您的工单 {a.ref}。")
    _add_media(run, ticket, a.media)
    return hb.Outcome(a, True, ref=ticket.ref)


@executes(ha.Withdraw)
def withdraw(run: Run, a: ha.Withdraw) -> hb.Outcome:
    ticket = tickets.get_by_ref(run.session, a.ref)
    if ticket is None or ticket.resident_openid != run.msg.openid:
        return hb.Outcome(a, False, message=f"没有找到您的工单 {a.ref}。")
    member = ticket.assignee_openid
    try:
        tickets.close(run.session, ticket, "withdrawn", actor=run.msg.openid, note=a.said[:200] or "居民撤回")
    except tickets.TransitionError as exc:
        return hb.Outcome(a, False, ref=ticket.ref, message=str(exc))
    # told at once, so nobody climbs five floors for nothing (the chair, while nobody holds it)
    told = tell(run.session, run.config, ticket, run.msg.openid, "withdrawn",
                conversation_texts.withdrawn_member(run.config, ticket, a.said))
    if told:
        tickets.add_event(run.session, ticket, EventKind.withdrawn_notice.value, data={"member": told[0]})
    return hb.Outcome(a, True, ref=ticket.ref, data={"member": ticket.assignee_name if member else None})


@executes(hr.ReopenWithdrawn)
def reopen_withdrawn(run: Run, a: hr.ReopenWithdrawn) -> hb.Outcome:
    """The resident takes a withdrawal back: reopened (重办) and dispatched again, to its member when it had one."""
    ticket = tickets.get_by_ref(run.session, a.ref)
    if ticket is None or ticket.resident_openid != run.msg.openid:
        return hb.Outcome(a, False, message="")
    if ticket.status != "closed" or ticket.close_reason != "withdrawn":
        return hb.Outcome(a, False, ref=ticket.ref, message=f"工单 {ticket.ref} 没有撤销，还在办，有进展会通知您。")
    ticket.reopen_count = (ticket.reopen_count or 0) + 1
    ticket.accept_due_at = None  # the re-dispatch sets a fresh one
    try:
        tickets.transition(run.session, ticket, "dispatched", "reopened", actor=run.msg.openid,
                           note=a.said or "居民撤销后又要求办理", data={"reopen_count": ticket.reopen_count,
                                                                  "withdrawn_taken_back": True})
    except tickets.TransitionError as exc:
        return hb.Outcome(a, False, ref=ticket.ref, message=str(exc))
    ticket.close_reason = None
    run.ticket_ids.append(ticket.id)
    outbox.add(run.session, jobs.dispatch_job(ticket.id, ticket.dispatch_attempt + 1, ticket.assignee_openid,
                                              urgent=bool(ticket.urgent)))
    return hb.Outcome(a, True, ref=ticket.ref, data={"member": ticket.assignee_name if ticket.assignee_openid else None})


@executes(ha.EscalateTicket)
def escalate_ticket(run: Run, a: ha.EscalateTicket) -> hb.Outcome:
    ticket = tickets.get_by_ref(run.session, a.ref)
    if ticket is None or ticket.resident_openid != run.msg.openid or ticket.status == "closed":
        return hb.Outcome(a, False, message="")
    emergencies.escalate(run.session, run.config, ticket, a.said, a.emergency, run.msg.openid)
    return hb.Outcome(a, True, ref=ticket.ref, data={"assignee": ticket.assignee_name})


@executes(hp.Urge)
def urge(run: Run, a: hp.Urge) -> hb.Outcome:
    """催办: an event on the ticket; the assignee prodded; from the second urge on, the chair and staff (督办)."""
    ticket = tickets.get_by_ref(run.session, a.ref)
    if ticket is None or ticket.resident_openid != run.msg.openid or ticket.status == "closed":
        return hb.Outcome(a, False, message="")
    cfg = run.config
    before = run.session.scalar(select(func.count()).select_from(TicketEvent).where(
        TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.urged.value)) or 0
    count = before + 1
    event = tickets.add_event(run.session, ticket, EventKind.urged.value, actor=run.msg.openid, note=a.said[:200],
                              data={"count": count})
    run.ticket_ids.append(ticket.id)
    run.session.flush()
    member = ticket.assignee_openid
    content, text = conversation_texts.urged_member(cfg, ticket, a.said, count)
    # the holder prodded (the chair, while nobody holds it)
    told = tell(run.session, cfg, ticket, run.msg.openid, f"u{event.id}", (content, text))
    if count >= 2:  # 督办: counted where missed deadlines are (the ledger, the rates, the digest)
        chair = routing.chair_of(cfg, ticket.courtyard_id)
        receivers = ([chair.openid] if chair and chair.openid not in (member, *told) else []) \
            + list(cfg.staff_openids)
        tickets.add_event(run.session, ticket, EventKind.escalated.value, note=f"居民第{count}次催办，已督办",
                          data={"urged": count, "chair": chair.openid if chair else None,
                                "staff": len(cfg.staff_openids)})
        for openid in receivers:
            queue_push(run.session, cfg, ticket=ticket, openid=openid, kind=PushKind.escalation.value,
                       tag=f"u{event.id}", content=content, text=text)
    return hb.Outcome(a, True, ref=ticket.ref, data={"member": ticket.assignee_name if member else None,
                                                      "status": ticket.status_label, "count": count})


@executes(ha.AddToTicket)
def add_to_ticket(run: Run, a: ha.AddToTicket) -> hb.Outcome:
    ticket = tickets.get_by_ref(run.session, a.ref)
    if ticket is None or ticket.resident_openid != run.msg.openid or ticket.status == "closed":
        return hb.Outcome(a, False, message="对不起，没找到这件事的工单。请再说一遍是什么事。")
    held = budget.over_budget(run.session, run.config, run.msg.openid)  # kept, not relayed
    event = tickets.add_event(run.session, ticket, EventKind.resident_followup.value, actor=run.msg.openid,
                              note=a.text, data={"repeat": a.repeat})
    run.ticket_ids.append(ticket.id)  # the message (and a transcribed voice) belongs to it
    _add_media(run, ticket, a.media)
    member = ticket.assignee_openid
    if held:
        return hb.Outcome(a, True, ref=ticket.ref, message=budget.HELD_REPLY)
    tell(run.session, run.config, ticket, run.msg.openid, f"f{event.id}",
         conversation_texts.followup_member(run.config, ticket, a.text, a.repeat))
    return hb.Outcome(a, True, ref=ticket.ref, data={"member": ticket.assignee_name if member else None,
                                                      "status": ticket.status})
