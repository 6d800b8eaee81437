"""The ledger (台账): one row per ticket received in a month in a courtyard, with its responsible
person, deadline, outcome and rating; exported to .xlsx and CSV through `bot.web.exports`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import runtime
from bot.config import Config
from bot.domain.clock import utcnow
from bot.domain.vocabulary import CLOSE_REASONS, STATUS_LABELS
from bot.services.rates import month_bounds
from bot.services.rates.definitions import OVERDUE_KINDS
from bot.storage.models import Ticket, TicketEvent
from bot.web import audit_page, exports
from bot.web.auth import require_login, scope_courtyard
from bot.web.filters import local_time
from bot.web.inputs import choice_value
from bot.web.rates import parse_month

bp = Blueprint("ledger", __name__, url_prefix="/staff/ledger")
require_login(bp)

# (header, width in characters) — widths sized for Chinese text in Excel
COLUMNS = (
    ("工单号", 10), ("受理时间", 17), ("分类", 8), ("事项摘要", 40), ("楼院", 14), ("责任人", 10),
    ("办理时限", 17), ("办结时间", 17), ("办理结果", 16), ("评价", 6), ("是否超时", 8),
)
SUMMARY_LEN = 60


@dataclass
class LedgerRow:
    ref: str
    received: datetime
    category: str
    summary: str
    courtyard: str
    responsible: str
    deadline: datetime | None
    finished: datetime | None
    outcome: str
    rating: int | None
    overdue: bool

    def cells(self) -> list[str | int | None]:
        return [self.ref, local_time(self.received), self.category, self.summary, self.courtyard,
                self.responsible, local_time(self.deadline), local_time(self.finished), self.outcome,
                self.rating, "是" if self.overdue else "否"]


def _outcome(t: Ticket) -> str:
    if t.status != "closed":
        return STATUS_LABELS.get(t.status, t.status)
    label = CLOSE_REASONS.get(t.close_reason or "", "已办结")
    if t.close_reason == "not_responsible" and t.referral:
        return f"{label}：{t.referral}"
    if t.close_reason == "duplicate" and t.duplicate_of:
        return f"重复（同 {t.duplicate_of}）"
    if t.callback_missing:
        return f"{label}（未回访）"
    return label


def is_overdue(t: Ticket, now: datetime) -> bool:
    """Accepted after the accept deadline (or still waiting past it); finished after the finish
    deadline (or still being worked on past it)."""
    if t.accept_due_at and (
        (t.accepted_at and t.accepted_at > t.accept_due_at) or (t.status == "dispatched" and now > t.accept_due_at)
    ):
        return True
    return bool(t.finish_due_at and (
        (t.finished_at and t.finished_at > t.finish_due_at) or (t.status == "accepted" and now > t.finish_due_at)
    ))


def rows(session: Session, config: Config, year: int, month: int, courtyard: str | None) -> list[LedgerRow]:
    start, end = month_bounds(year, month)
    stmt = select(Ticket).where(Ticket.created_at >= start, Ticket.created_at < end)
    if courtyard:
        stmt = stmt.where(Ticket.courtyard_id == courtyard)
    stmt = stmt.order_by(Ticket.urgent.desc(), Ticket.created_at, Ticket.id)  # urgent first, as every list
    now = utcnow()
    out = []
    found = list(session.scalars(stmt))
    ids = [t.id for t in found]
    # 督办 (a missed deadline's escalation, a resident's 催办) counts as the rates count it: the row is flagged
    supervised = set(session.scalars(select(TicketEvent.ticket_id).where(
        TicketEvent.ticket_id.in_(ids), TicketEvent.kind.in_(OVERDUE_KINDS)))) if ids else set()
    for t in found:
        rule = config.categories.get(t.category)
        text = " ".join(t.text.split())
        out.append(LedgerRow(
            ref=t.ref or "",
            received=t.created_at,
            category=(rule.name if rule else t.category) + (f"·{t.subcategory}" if t.subcategory else ""),
            summary=text[:SUMMARY_LEN] + ("…" if len(text) > SUMMARY_LEN else ""),
            courtyard=config.courtyard_name(t.courtyard_id),
            responsible=t.assignee_name or "",
            deadline=t.finish_due_at or t.accept_due_at,
            finished=t.finished_at or (t.closed_at if t.status == "closed" else None),
            outcome=_outcome(t),
            rating=t.rating,
            overdue=is_overdue(t, now) or t.id in supervised,
        ))
    return out


def _params() -> tuple[int, int, str | None]:
    cfg = runtime.current().config
    year, month = parse_month(request.args.get("month"))
    courtyard = scope_courtyard() or choice_value(request.args.get("courtyard"), "楼院", [c.id for c in cfg.courtyards])
    return year, month, courtyard


@bp.get("/")
def index():  # noqa: ANN201
    steward = runtime.current()
    year, month, courtyard = _params()
    with steward.session() as s:
        ledger = rows(s, steward.config, year, month, courtyard)
    return render_template("web/ledger.html", ledger=ledger, year=year, month=month, courtyard=courtyard,
                           locked=scope_courtyard() is not None,
                           overdue_count=sum(r.overdue for r in ledger))


@bp.get("/export.<fmt>")
def export(fmt: str):  # noqa: ANN201
    if fmt not in ("xlsx", "csv"):
        abort(404)
    steward = runtime.current()
    year, month, courtyard = _params()
    name = f"ledger-{year:04d}-{month:02d}-{courtyard or 'all'}.{fmt}"
    with steward.session() as s:
        ledger = rows(s, steward.config, year, month, courtyard)
        audit_page.note(s, "export", f"台账 {name}", after={"rows": len(ledger)})
    title = f"{steward.config.courtyard_name(courtyard) if courtyard else '全社区'} {year}年{month}月台账"
    return exports.response(fmt, COLUMNS, [r.cells() for r in ledger], name, sheet="台账", title=title,
                            wrap=(4,))
