"""Jinja filters and globals shared by the workbench pages: Beijing time, labels, names."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from bot import runtime
from bot.domain.clock import to_local, utcnow
from bot.domain.vocabulary import CLOSE_REASONS, EVENT_LABELS, PUSH_LABELS, STATUS_LABELS


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


MONTHS_SHOWN = 36  # three years to pick from; an older month is still reachable by its URL


def month_options(year: int, month: int, finished_only: bool = False) -> list[tuple[str, str]]:
    """(value 'YYYY-MM', label 'YYYY年M月') for the month picker, newest first: the last three years up
    to this month (Beijing time; up to last month for pages of finished months), and the shown month.
    A <select> rather than <input type="month">, which browsers label in their own language."""
    now = to_local(utcnow())
    index = now.year * 12 + now.month - 1 - (1 if finished_only else 0)
    picked = year * 12 + month - 1
    indices = sorted({*range(index, index - MONTHS_SHOWN, -1), picked}, reverse=True)
    return [(f"{i // 12:04d}-{i % 12 + 1:02d}", f"{i // 12}年{i % 12 + 1}月") for i in indices]


def init_app(app: Flask) -> None:
    app.add_template_filter(local_time, "local")
    app.add_template_filter(category_label, "category")
    app.add_template_filter(courtyard_label, "courtyard")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(hours, "hours")
    app.add_template_global(month_options, "month_options")  # a global: imported macros see it too
    app.add_template_filter(lambda s: STATUS_LABELS.get(s or "", s or ""), "status")
    app.add_template_filter(lambda s: CLOSE_REASONS.get(s or "", s or ""), "close_reason")
    app.add_template_filter(lambda k: EVENT_LABELS.get(k or "", k or ""), "event_kind")
    app.add_template_filter(lambda k: PUSH_LABELS.get(k or "", k or ""), "push_kind")

    @app.context_processor
    def _globals() -> dict:
        cfg = runtime.current().config
        return {"community": cfg.community, "courtyards": cfg.courtyards, "categories": cfg.categories}
