"""Pushes: one row in `pushes` per message, written BEFORE anything is sent, then `send_push(push_id)`.

Why the row first: its `client_msg_id` is deterministic (ticket, kind, attempt or event, receiver) and
unique, so a job that runs twice finds the row already `sent` and does nothing, and WeChat itself
drops a template resend with the same client_msg_id.

Channel: a customer-service text when the receiver wrote to us within the window (48 h), else a
template message; 45015/45047 on the text falls back to the template. Errors by code: 43004/43019 →
receiver unreachable (a council member's task goes to the backup, staff are told); 5xx, timeouts,
45009 → raise for RQ's Retry with backoff, and after the last retry the push is `failed` with a
`push_failed` event on the ticket; any other errcode is permanent and failed at once.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any, cast

from rq import get_current_job
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain import templates, texts
from bot.domain.clock import utcnow
from bot.domain.vocabulary import PUSH_LABELS, PushStatus
from bot.services.push import custom_once
from bot.services.push.channel import (
    CUSTOM,
    TEMPLATE,
    channel_after,
    choose_channel,
    last_messages,
    pick_channel,
)
from bot.services.push.deployment import deployment_id
from bot.services.tickets.lifecycle import add_event
from bot.services.uow import jobs, outbox
from bot.services.uow.steward import Steward
from bot.storage.db import engine_for
from bot.storage.models import CouncilMember, Push, Ticket
from bot.storage.push_insert import insert_push, insert_pushes
from bot.wechat.client import shared_client
from bot.wechat.errors import OutsideWindow, Throttled, TransientError, UserUnreachable, WeChatError

log = logging.getLogger(__name__)

PENDING, SENT, DELIVERED, FAILED = (PushStatus.pending.value, PushStatus.sent.value, PushStatus.delivered.value,
                                    PushStatus.failed.value)
UNKNOWN = PushStatus.unknown.value

# push kind → which `[templates]` id it uses
TEMPLATE_FOR = {
    "task": "task",
    "outside": "task",
    "triage": "task",
    "reminder": "reminder",
    "escalation": "escalation",
    "alert": "escalation",
    "emergency": "escalation",
    "handoff": "escalation",
    "notice": "notice",
    "callback": "callback",
}
def client_msg_id(ticket_id: int | None, kind: str, tag: str | int, openid: str, deployment: str) -> str:
    """Deterministic per deployment / ticket / kind / attempt-or-event / receiver; at most 64
    characters (a longer one ends in a digest of the whole, never cut to a prefix another push
    shares); no openid in clear."""
    who = hashlib.sha1(openid.encode()).hexdigest()[:10]
    full = f"{deployment}-t{ticket_id or 0}-{kind}-{tag}-{who}"
    if len(full) <= 64 or "%" in full:  # "%": a LIKE pattern (media notices), never stored
        return full
    return f"{full[:53]}-{hashlib.sha1(full.encode()).hexdigest()[:10]}"


def template_data(config: Config, kind: str, content: dict[str, str]) -> dict[str, dict[str, str]]:
    # Category-template fields, each fitted to its type (bot.domain.templates); no first/remark.
    # The config's keys are Literal push kinds / content keys; compose reads them as plain str.
    fields = cast(dict[str, dict[str, str]], config.dispatch.template_fields)
    return templates.compose(kind, content, fields)


@dataclass(frozen=True)
class PushSpec:
    """One push to record (`queue_pushes`): receiver, kind, tag and words, as `queue_push` takes them."""

    openid: str
    kind: str
    tag: str | int
    content: dict[str, str]
    text: str
    url: str | None = None


def _row(session: Session, config: Config, ticket: Ticket | None, p: PushSpec, in_process: bool,
         channel: tuple[str, Any]) -> dict[str, Any]:
    """The pushes row of `p` (insert_push's columns); `channel`: (channel, customer-service try)."""
    cmid = client_msg_id(ticket.id if ticket else None, p.kind, p.tag, p.openid, deployment_id(session))
    payload: dict[str, Any] = {"data": template_data(config, p.kind, p.content), "text": p.text, "url": p.url,
                               "tag": str(p.tag)}
    batch = outbox.batch_for(session, cmid)
    if batch:
        payload["job"] = batch  # the job that sends it: a push job for this row waits for that one
    # Sent in-process right after the commit: the attempt (and a customer-service try) is counted
    # in this INSERT, as `deliver` counts it in its own commit before sending.
    return dict(ticket_id=ticket.id if ticket else None, openid=p.openid, kind=p.kind, channel=TEMPLATE,
                client_msg_id=cmid, template_id=getattr(config.templates, TEMPLATE_FOR.get(p.kind, "notice"), "")
                or None, payload=payload, status=PENDING, attempts=1 if in_process else 0,
                custom_tried_at=channel[1])


def _recorded(session: Session, config: Config, ticket: Ticket | None, row: dict[str, Any], channel: str,
              push_id: int | None) -> int:
    """After the INSERT: a new row goes to the outbox; an existing one (`push_id` None) is sent
    again if still pending. Returns the push's id."""
    cmid, kind, openid = row["client_msg_id"], row["kind"], row["openid"]
    if push_id is not None:
        # Only rows made here: an older pending row may have a job waiting (below).
        new_id, tpl_id, payload = push_id, row["template_id"], row["payload"]
        outbox.add_push(session, new_id, config.dispatch.retry_intervals,
                        lambda: Ready(new_id, kind, channel, openid, cmid, tpl_id, payload),
                        urgent=jobs.urgent_push(kind, ticket is not None and ticket.urgent))
        return new_id
    outbox.unname_batch(session)  # the name was this row's; it belongs to an older transaction
    push = session.scalars(select(Push).where(Push.client_msg_id == cmid)).one()
    if push.status == PENDING:
        schedule_send(session, config, push)
    return push.id


def queue_push(
    session: Session,
    config: Config,
    *,
    ticket: Ticket | None,
    openid: str,
    kind: str,
    tag: str | int,
    content: dict[str, str],
    text: str,
    url: str | None = None,
) -> int:
    """Record a push (idempotent by client_msg_id); it is sent after `session` commits (the outbox).
    Returns the push's id."""
    in_process = outbox.of(session).sender is not None
    channel = pick_channel(session, config, openid, text) if in_process else (TEMPLATE, None)
    row = _row(session, config, ticket, PushSpec(openid, kind, tag, content, text, url), in_process, channel)
    session.flush()  # the ORM's pending changes first (the statement below goes past it)
    return _recorded(session, config, ticket, row, channel[0], insert_push(session.connection(), row))


def queue_pushes(session: Session, config: Config, ticket: Ticket, pushes: list[PushSpec],
                 known: tuple[set[str], dict[str, Any]] | None = None) -> None:
    """Record several pushes of one ticket, as `queue_push` each. In the dispatch job (sending in
    process) the receivers' last messages are one read and the rows one INSERT: 4 statements → 2
    per dispatch (tests/test_dispatch_cost.py); none when `known` (openids read, their last messages) covers them."""
    box = outbox.of(session)
    if box.sender is None or len(pushes) < 2:  # rows named after their batch job: one at a time
        for p in pushes:
            queue_push(session, config, ticket=ticket, openid=p.openid, kind=p.kind, tag=p.tag, content=p.content,
                       text=p.text, url=p.url)
        return
    receivers = {p.openid for p in pushes}
    last = known[1] if known is not None and receivers <= known[0] else last_messages(session, receivers)
    channels = [channel_after(config, last.get(p.openid), p.text) for p in pushes]
    rows = [_row(session, config, ticket, p, True, c) for p, c in zip(pushes, channels, strict=True)]
    session.flush()  # the ORM's pending changes first (the statement below goes past it)
    made = insert_pushes(session.connection(), rows)
    for row, (channel, _) in zip(rows, channels, strict=True):
        _recorded(session, config, ticket, row, channel, made.get(row["client_msg_id"]))


def schedule_send(session: Session, config: Config, push: Push) -> None:
    """Send a pending push by a push job after `session` commits (unless its batch job waits)."""
    outbox.add(session, jobs.push_job(push.id, push.client_msg_id, config.dispatch.retry_intervals,
                                      unless=(push.payload or {}).get("job")))


@dataclass(frozen=True)
class Ready:
    """What sending a push needs, read in a transaction that also counted the attempt."""

    push_id: int
    kind: str
    channel: str
    openid: str
    cmid: str
    template_id: str | None
    payload: dict
    # An earlier customer-service try of this push has an unknown outcome: template only.
    after_unknown: bool = False

    @classmethod
    def of(cls, push: Push, channel: str) -> Ready:
        return cls(push.id, push.kind, channel, push.openid, push.client_msg_id, push.template_id,
                   dict(push.payload or {}), channel == TEMPLATE and push.custom_tried_at is not None)


def _err(exc: WeChatError) -> str:
    return f"{exc.code}: {exc.message}" if exc.code is not None else exc.message or type(exc).__name__


def _is_last_try() -> bool:
    job = get_current_job()
    return job is None or not job.retries_left


def send_push(steward: Steward, push_id: int) -> str:
    """Send one recorded push (the push job). Returns the push's final status for this run."""
    return deliver(steward, push_id, last_try=_is_last_try())


def deliver(steward: Steward, push_id: int, last_try: bool, ready: Ready | None = None,
            sent: list[dict[str, Any]] | None = None) -> str:
    """Send one recorded push unless it already left. A retryable failure (5xx, timeout, 45009)
    raises for the caller to retry later, unless `last_try`: then the push is failed for good.
    `ready`: the dispatch job already read the row and counted the attempt in its transaction.
    `sent`: collect the success for the caller to record with others (`record_sent`)."""
    config = steward.config
    if ready is None:
        with steward.session() as s:
            push = s.get(Push, push_id)
            if push is None:
                return "missing"
            if push.status != PENDING:
                return push.status  # sent by an earlier run: never push twice
            push.attempts += 1
            ready = Ready.of(push, choose_channel(s, config, push))
    channel, openid, cmid, tpl, payload = ready.channel, ready.openid, ready.cmid, ready.template_id, ready.payload
    client = shared_client(config, steward.redis)
    unknown = ready.after_unknown  # a customer-service try of unknown outcome: template only
    note = custom_once.RETRY_NOTE if unknown else None
    try:
        if channel == CUSTOM:
            try:
                client.send_text(openid, payload.get("text") or "")
                msgid = None
            except OutsideWindow as exc:
                # 45015: outside the 48 h window; 45047: over the count (5 per message, 3 after a click).
                why = "超出条数限制" if exc.code == 45047 else "超出 48 小时"
                note = f"{exc.code}: 客服消息{why}，改发模板消息"
                channel = TEMPLATE
            except (TransientError, Throttled) as exc:
                if custom_once.never_sent(exc):
                    _untry_custom(steward, push_id)  # it never left: customer-service may be tried again
                    raise
                note, channel, unknown = custom_once.unknown_note(_err(exc)), TEMPLATE, True
        if channel == TEMPLATE:
            if not tpl and unknown:
                mark_unknown(steward, push_id)
                return UNKNOWN
            if not tpl:
                raise WeChatError(None, "未配置模板 ID（[templates]）")
            msgid = client.send_template(openid, tpl, payload.get("data") or {}, payload.get("url"), cmid)
    except UserUnreachable as exc:
        receiver_unreachable(steward, push_id, exc)
        return FAILED
    except (TransientError, Throttled) as exc:
        if last_try:
            fail_push(steward, push_id, _err(exc), final=True)
            return FAILED
        _note_error(steward, push_id, _err(exc))
        raise  # RQ Retry (or the dispatch job's fallback job) backs off and runs it again
    except WeChatError as exc:
        fail_push(steward, push_id, _err(exc), final=True)
        return FAILED
    values = {"status": SENT, "channel": channel, "wechat_msgid": msgid or None, "error": note}
    if sent is not None:
        sent.append({"id": push_id, **values})
    else:
        record_sent(steward, [{"id": push_id, **values}])
    log.info("push %s sent (%s, %s)", push_id, ready.kind, channel)
    return SENT


_RECORD_SENT = (update(Push).where(Push.id == bindparam("push_id"))
                .values(status=bindparam("status"), channel=bindparam("channel"),
                        wechat_msgid=bindparam("wechat_msgid"), error=bindparam("error"), updated_at=bindparam("at")))


def record_sent(steward: Steward, rows: list[dict[str, Any]]) -> None:
    """Mark sent pushes: one Core UPDATE by primary key for all rows, in autocommit (no session, no
    BEGIN/COMMIT: a dispatch's second transaction was ~10 % of its CPU); under row-level security a
    session's transaction, which carries the scope (tenancy)."""
    now = utcnow()
    params = [{"push_id": r["id"], "status": r["status"], "channel": r["channel"], "wechat_msgid": r["wechat_msgid"],
               "error": r["error"], "at": now} for r in rows]
    if steward.file_config.row_level_security:
        with steward.session() as s:
            s.connection().execute(_RECORD_SENT, params)
        return
    with engine_for(steward.file_config.database_url).connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(_RECORD_SENT, params)


def _untry_custom(steward: Steward, push_id: int) -> None:
    with steward.session() as s:
        s.execute(update(Push).where(Push.id == push_id).values(custom_tried_at=None))


def mark_unknown(steward: Steward, push_id: int) -> None:
    """A customer-service text of unknown outcome and no template to send instead: never resent;
    the ticket shows it and staff are asked to check with the receiver."""
    with steward.session() as s:
        push = s.get(Push, push_id)
        if push is None or push.status != PENDING:
            return
        push.status, push.error = UNKNOWN, custom_once.NO_TEMPLATE_NOTE
        ticket = s.get(Ticket, push.ticket_id) if push.ticket_id else None
        if ticket is None:
            return
        what = PUSH_LABELS.get(push.kind, push.kind)
        add_event(s, ticket, "push_unknown", note=f"{what}消息：{custom_once.NO_TEMPLATE_NOTE}",
                  data={"push_id": push.id, "kind": push.kind})
        if push.kind != "alert":
            for staff in steward.config.staff_openids:
                if staff != push.openid:
                    content, text = texts.alert(steward.config, ticket, f"{what}消息{custom_once.NO_TEMPLATE_NOTE}")
                    queue_push(s, steward.config, ticket=ticket, openid=staff, kind="alert",
                               tag=f"unknown{push.id}", content=content, text=text)
    log.warning("push %s: customer-service outcome unknown, no template; staff asked", push_id)


def _note_error(steward: Steward, push_id: int, error: str) -> None:
    with steward.session() as s:
        push = s.get(Push, push_id)
        if push is not None:
            push.error = error
    log.warning("push %s failed transiently (%s); RQ will retry", push_id, error)


def fail_push(steward: Steward, push_id: int, error: str, final: bool = True) -> None:
    """The push is failed for good: visible on the ticket (event) and, for tasks, to staff."""
    with steward.session() as s:
        push = s.get(Push, push_id)
        if push is None or push.status != PENDING:
            return
        push.status, push.error = FAILED, error
        ticket = s.get(Ticket, push.ticket_id) if push.ticket_id else None
        if ticket is not None:
            add_event(s, ticket, "push_failed", note=f"{push.kind} 消息发送失败：{error}",
                      data={"push_id": push.id, "kind": push.kind, "error": error})
            if push.kind in ("task", "reminder", "escalation"):
                for staff in steward.config.staff_openids:
                    if staff == push.openid:
                        continue
                    content, text = texts.alert(steward.config, ticket, f"{push.kind} 消息发送失败（{error}）")
                    queue_push(s, steward.config, ticket=ticket, openid=staff, kind="alert",
                               tag=f"fail{push.id}", content=content, text=text)
    log.error("push %s failed: %s", push_id, error)


def receiver_unreachable(steward: Steward, push_id: int, exc: WeChatError) -> None:
    """43004/43019: mark the member unreachable; a task goes to the backup; staff are told."""
    config = steward.config
    with steward.session() as s:
        push = s.get(Push, push_id)
        if push is None or push.status != PENDING:
            return
        push.status, push.error = FAILED, f"{exc.code}: 对方无法接收消息"
        member = config.member(push.openid)
        if member is not None:
            row = ensure_member_row(s, config, push.openid)
            row.reachable, row.unreachable_reason = False, f"{exc.code}"
        ticket = s.get(Ticket, push.ticket_id) if push.ticket_id else None
        if ticket is None:
            return
        who = member.name if member else "居民"
        add_event(s, ticket, "receiver_unreachable", note=f"{who}无法接收消息（{exc.code}）",
                  data={"push_id": push.id, "kind": push.kind, "code": exc.code, "member": bool(member)})
        redispatch = (
            push.kind == "task"
            and ticket.status == "dispatched"
            and ticket.assignee_openid == push.openid
            and str(ticket.dispatch_attempt) == (push.payload or {}).get("tag")
        )
        if redispatch:
            outbox.add(s, jobs.dispatch_job(ticket.id, ticket.dispatch_attempt + 1))
        if member is not None:
            reason = f"理事会成员{who}无法接收微信消息（{exc.code}）" + ("，已转给备岗" if redispatch else "")
            for staff in config.staff_openids:
                content, text = texts.alert(config, ticket, reason)
                queue_push(s, config, ticket=ticket, openid=staff, kind="alert", tag=f"unreach{push.id}",
                           content=content, text=text)
    log.warning("push %s: receiver unreachable (%s)", push_id, exc.code)


def ensure_member_row(session: Session, config: Config, openid: str) -> CouncilMember:
    """The DB mirror of a configured council member (created on first need)."""
    row = session.scalars(select(CouncilMember).where(CouncilMember.openid == openid)).first()
    if row is None:
        m = config.member(openid)
        row = CouncilMember(openid=openid, name=m.name if m else "", courtyard_id=m.courtyard if m else "",
                            role=m.role if m else "成员", skills=",".join(m.skills) if m else "",
                            active=True, reachable=True)
        session.add(row)
        session.flush()
    return row
