"""Jinja filters and globals shared by the workbench pages: Beijing time, labels, names."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from bot import runtime
from bot.domain.clock import to_local
from bot.domain.statuses import CLOSE_REASONS, EVENT_LABELS, PUSH_LABELS, STATUS_LABELS


def local_time(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    local = to_local(dt)
    return local.strftime(fmt) if local else ""


def category_label(key: str | None) -> str:
    if not key:
        return ""
    rule = runtime.current().config.categories.get(key)
    return rule.name if rule else {"other": "其他"}.get(key, key)


def courtyard_label(courtyard_id: str | None) -> str:
    return runtime.current().config.courtyard_name(courtyard_id)


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
        cfg = runtime.current().config
        return {"community": cfg.community, "courtyards": cfg.courtyards, "categories": cfg.categories}
