"""操作日志 (/admin/audit, 管理员 only): the audit log with filters (who, what, date range) and paging;
`note` writes an entry for the logged-in account from a workbench view."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy.orm import Session

from bot import runtime
from bot.domain.clock import BEIJING, to_local
from bot.services.uow import audit
from bot.storage.models import AuditEntry
from bot.web.auth import require_login
from bot.web.inputs import BadInput, choice_value, int_value

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
require_login(bp, "admin")


def actor() -> str:
    return f"staff:{current_user.username}"


def note(session: Session, action: str, target: str, before: dict[str, Any] | None = None,
         after: dict[str, Any] | None = None) -> AuditEntry:
    """An entry by the logged-in account, from this request's address."""
    return audit.record(session, actor(), action, target, before, after, request.remote_addr)


def _day(raw: str | None, label: str) -> datetime | None:
    """A Beijing date (YYYY-MM-DD) → its midnight in naive UTC."""
    if not raw:
        return None
    try:
        day = datetime.strptime(raw.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise BadInput(f"「{label}」应为日期，例如 2026-11-01。") from None
    if not 2000 <= day.year <= 2100:
        raise BadInput(f"「{label}」应在 2000 年到 2100 年之间。")
    return datetime.combine(day, time()) - BEIJING


@bp.get("/")
def index():  # noqa: ANN201
    a = request.args
    steward = runtime.current()
    with steward.session() as s:
        who = choice_value(a.get("actor"), "操作人", audit.actors(s))
        what = choice_value(a.get("action"), "操作", audit.ACTIONS)
        since, until = _day(a.get("since"), "开始日期"), _day(a.get("until"), "结束日期")
        filters = audit.Filters(who, what, since, until + timedelta(days=1) if until else None)
        rows, more = audit.page(s, filters, int_value(a.get("before"), "页码"))
        actors = audit.actors(s)
        entries = [{"id": e.id, "at": to_local(e.at).strftime("%Y-%m-%d %H:%M:%S"), "actor": e.actor,
                    "action": audit.ACTIONS.get(e.action, e.action), "target": e.target, "before": audit.describe(e.before),
                    "after": audit.describe(e.after), "address": e.address or ""} for e in rows]
    args = {k: a.get(k, "") for k in ("actor", "action", "since", "until")}
    return render_template("web/audit.html", entries=entries, more=more, args=args, actors=actors,
                           actions=audit.ACTIONS)
