"""Jinja filters and globals shared by the workbench pages: Beijing time, labels, names."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from bot import state
from bot.clock import to_local
from bot.models import CLOSE_REASONS, STATUS_LABELS

EVENT_LABELS = {
    "received": "受理",
    "dispatched": "派单",
    "dispatch": "派单",
    "accepted": "接单",
    "returned": "退单",
    "progress": "进展",
    "finished": "办结",
    "closed": "关闭",
    "reopened": "重新打开",
    "note": "备注",
    "reclassified": "改分类",
    "moved": "转楼院",
    "reassigned": "改派",
    "staff_reply": "回复居民",
    "dispatch_requested": "重新派单",
    "published": "公开到公示栏",
    "unpublished": "从公示栏撤下",
    "public_summary": "公示摘要",
    "media_attached": "附件",
    "reminder": "催办提醒",
    "escalated": "督办",
    "overdue": "超时",
    "redispatch_requested": "重新派单",
    "dispatch_skipped": "派单跳过",
    "triage": "转社区分派",
    "moved_to_triage": "转社区分派",
    "callback": "回访",
    "callback_missing": "回访无应答",
    "push_failed": "推送失败",
    "receiver_unreachable": "联系不上成员",
    "outside_notified": "通知相关单位",
    "photo_attached": "办结照片",
    "withdrawn": "居民撤回",
}

PUSH_LABELS = {
    "task": "派单任务",
    "notice": "告知居民",
    "reminder": "催办提醒",
    "escalation": "督办",
    "callback": "回访",
    "outside": "通知相关单位",
    "triage": "待分派提醒",
    "alert": "告警",
    "event_reminder": "活动提醒",
    "reply": "回复居民",
}


def local_time(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    local = to_local(dt)
    return local.strftime(fmt) if local else ""


def category_label(key: str | None) -> str:
    if not key:
        return ""
    rule = state.current().config.categories.get(key)
    return rule.name if rule else {"other": "其他"}.get(key, key)


def courtyard_label(courtyard_id: str | None) -> str:
    return state.current().config.courtyard_name(courtyard_id)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def hours(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} 小时" if value < 48 else f"{value / 24:.1f} 天"


def init_app(app: Flask) -> None:
    app.add_template_filter(local_time, "local")
    app.add_template_filter(category_label, "category")
    app.add_template_filter(courtyard_label, "courtyard")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(hours, "hours")
    app.add_template_filter(lambda s: STATUS_LABELS.get(s or "", s or ""), "status")
    app.add_template_filter(lambda s: CLOSE_REASONS.get(s or "", s or ""), "close_reason")
    app.add_template_filter(lambda k: EVENT_LABELS.get(k or "", k or ""), "event_kind")
    app.add_template_filter(lambda k: PUSH_LABELS.get(k or "", k or ""), "push_kind")

    @app.context_processor
    def _globals() -> dict:
        cfg = state.current().config
        return {"community": cfg.community, "courtyards": cfg.courtyards, "categories": cfg.categories}
