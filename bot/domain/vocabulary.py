"""The project's one vocabulary: ticket statuses, close reasons, categories, event kinds and push
kinds as `str` enums, with one table of the Chinese labels people see on pages and in messages.

Every value stored in `tickets.status`, `tickets.close_reason`, `ticket_events.kind`,
`pushes.kind` and `pushes.status` is one of these (CHECK constraints in migration 0002 hold the
database to it). The bottom of the pure layers: `handlers` and the rest of `bot.domain` use it.
"""

from __future__ import annotations

import enum


class _Labelled(enum.StrEnum):
    @property
    def label(self) -> str:
        return LABELS[(type(self), self.value)]


class TicketStatus(_Labelled):
    received = "received"
    dispatched = "dispatched"
    accepted = "accepted"
    triage = "triage"
    awaiting_callback = "awaiting_callback"
    closed = "closed"


class CloseReason(_Labelled):
    resolved = "resolved"
    answered = "answered"
    not_responsible = "not_responsible"
    duplicate = "duplicate"
    withdrawn = "withdrawn"
    unable_to_fix = "unable_to_fix"


class Category(_Labelled):
    """The top-level categories the classifier chooses from (`[[categories]]` names the subcategories)."""

    repair = "repair"
    grievance = "grievance"
    event = "event"
    inquiry = "inquiry"
    other = "other"


class EventKind(_Labelled):
    received = "received"
    dispatched = "dispatched"
    accepted = "accepted"
    returned = "returned"
    progress = "progress"
    finished = "finished"
    closed = "closed"
    reopened = "reopened"
    note = "note"
    reclassified = "reclassified"
    moved = "moved"
    reassigned = "reassigned"
    staff_reply = "staff_reply"
    dispatch_requested = "dispatch_requested"
    redispatch_requested = "redispatch_requested"
    dispatch_skipped = "dispatch_skipped"
    triage = "triage"
    moved_to_triage = "moved_to_triage"
    published = "published"
    public_summary = "public_summary"
    unpublished = "unpublished"
    media_attached = "media_attached"
    photo_attached = "photo_attached"
    reminder = "reminder"
    escalated = "escalated"
    callback = "callback"
    callback_missing = "callback_missing"
    push_failed = "push_failed"
    push_unknown = "push_unknown"
    receiver_unreachable = "receiver_unreachable"
    outside_notified = "outside_notified"
    emergency_reported = "emergency_reported"  # the resident reports danger about an open ticket
    chased = "chased"  # urgent and unaccepted in time: backup and staff called
    withdrawn_notice = "withdrawn_notice"  # the member on a withdrawn ticket was told
    resident_followup = "resident_followup"  # the resident added to an open ticket (relayed to its member)
    urged = "urged"  # 催办: the resident pressed on an open ticket (its member prodded; the second time 督办)


class PushKind(_Labelled):
    task = "task"
    notice = "notice"
    reminder = "reminder"
    escalation = "escalation"
    callback = "callback"
    outside = "outside"
    triage = "triage"
    alert = "alert"
    event_reminder = "event_reminder"
    reply = "reply"
    emergency = "emergency"  # 【紧急】 to staff, the member of an escalated ticket, the backup
    handoff = "handoff"  # a resident asked for a person: staff are told


class EventStatus(_Labelled):
    """A community activity's (events.status): staff may cancel one, with a reason."""

    scheduled = "scheduled"
    cancelled = "cancelled"


class PushStatus(_Labelled):
    pending = "pending"
    sent = "sent"
    delivered = "delivered"
    failed = "failed"
    unknown = "unknown"  # a customer-service send whose outcome nobody knows, with no template to fall back on


# Pairs, not a dict: str enums of different types with one value ("dispatched") are equal as keys.
_LABELS: tuple[tuple[_Labelled, str], ...] = (
    (TicketStatus.received, "已受理"),
    (TicketStatus.dispatched, "已派单"),
    (TicketStatus.accepted, "办理中"),
    (TicketStatus.triage, "待分派"),
    (TicketStatus.awaiting_callback, "待回访"),
    (TicketStatus.closed, "已办结"),
    (CloseReason.resolved, "已解决"),
    (CloseReason.answered, "已答复"),
    (CloseReason.not_responsible, "非本社区职责（已转办）"),
    (CloseReason.duplicate, "重复工单"),
    (CloseReason.withdrawn, "居民撤回"),
    (CloseReason.unable_to_fix, "无法解决"),
    (Category.repair, "报修"),
    (Category.grievance, "投诉"),
    (Category.event, "活动"),
    (Category.inquiry, "咨询"),
    (Category.other, "其他"),
    (EventKind.received, "受理"),
    (EventKind.dispatched, "派单"),
    (EventKind.accepted, "接单"),
    (EventKind.returned, "退单"),
    (EventKind.progress, "进展"),
    (EventKind.finished, "办结"),
    (EventKind.closed, "关闭"),
    (EventKind.reopened, "重办"),
    (EventKind.note, "备注"),
    (EventKind.reclassified, "改分类"),
    (EventKind.moved, "转楼院"),
    (EventKind.reassigned, "改派"),
    (EventKind.staff_reply, "回复居民"),
    (EventKind.dispatch_requested, "重新派单"),
    (EventKind.redispatch_requested, "重新派单"),
    (EventKind.dispatch_skipped, "派单跳过"),
    (EventKind.triage, "转社区分派"),
    (EventKind.moved_to_triage, "转社区分派"),
    (EventKind.published, "公开到公示栏"),
    (EventKind.public_summary, "公示摘要"),
    (EventKind.unpublished, "从公示栏撤下"),
    (EventKind.media_attached, "附件"),
    (EventKind.photo_attached, "办结照片"),
    (EventKind.reminder, "催办提醒"),
    (EventKind.escalated, "督办"),
    (EventKind.callback, "回访"),
    (EventKind.callback_missing, "回访无应答"),
    (EventKind.push_failed, "推送失败"),
    (EventKind.push_unknown, "推送结果未知"),
    (EventKind.receiver_unreachable, "联系不上成员"),
    (EventKind.outside_notified, "通知相关单位"),
    (EventKind.emergency_reported, "居民报告险情"),
    (EventKind.chased, "紧急催办"),
    (EventKind.withdrawn_notice, "告知成员已撤回"),
    (EventKind.resident_followup, "居民补充"),
    (EventKind.urged, "居民催办"),
    (PushKind.task, "派单任务"),
    (PushKind.notice, "告知居民"),
    (PushKind.reminder, "催办提醒"),
    (PushKind.escalation, "督办"),
    (PushKind.callback, "回访"),
    (PushKind.outside, "通知相关单位"),
    (PushKind.triage, "待分派提醒"),
    (PushKind.alert, "告警"),
    (PushKind.event_reminder, "活动提醒"),
    (PushKind.reply, "回复居民"),
    (PushKind.emergency, "紧急通知"),
    (PushKind.handoff, "转人工"),
    (EventStatus.scheduled, "正常举行"),
    (EventStatus.cancelled, "已取消"),
    (PushStatus.pending, "待发送"),
    (PushStatus.sent, "已发送"),
    (PushStatus.delivered, "已送达"),
    (PushStatus.failed, "发送失败"),
    (PushStatus.unknown, "结果未知，待人工确认"),
)

LABELS = {(type(k), k.value): v for k, v in _LABELS}
# Every member has its label (the table above lists each type on its own: a mistake is a KeyError here).
assert all((type(m), m.value) in LABELS for e in (TicketStatus, CloseReason, Category, EventKind, EventStatus, PushKind, PushStatus)
           for m in e)

OPEN_STATUSES = tuple(s.value for s in TicketStatus if s is not TicketStatus.closed)
# Open and not yet finished: a resident may still add to it, withdraw it or report danger about it.
UNFINISHED = (TicketStatus.received, TicketStatus.dispatched, TicketStatus.accepted, TicketStatus.triage)
STATUS_LABELS = {s.value: s.label for s in TicketStatus}
CATEGORY_NAMES = {c.value: c.label for c in Category}
CLOSE_REASONS = {r.value: r.label for r in CloseReason}
EVENT_LABELS = {k.value: k.label for k in EventKind}
PUSH_LABELS = {k.value: k.label for k in PushKind}

