"""Work queues: triage, overdue, open tickets by courtyard / category / status / assignee, search.

Urgent first, then newest activity, keyset paging on (urgent, last_activity_at, id) over the partial
index of open tickets, so page 500 costs what page 1 costs; tab counts are bounded and cached in
Redis. A filter value the page does not offer (an unknown tab, status, courtyard, category, assignee
or cursor) is a 400 in Chinese, not a quietly different list.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from bot import runtime
from bot.config import Config
from bot.domain.clock import utcnow
from bot.domain.vocabulary import OPEN_STATUSES, STATUS_LABELS
from bot.storage.models import Resident, Ticket, TicketIntake
from bot.web import cursors
from bot.web.auth import require_login, scope_courtyard
from bot.web.inputs import BadInput, choice_value

bp = Blueprint("queues", __name__, url_prefix="/staff")
require_login(bp)

PAGE_SIZE = 50
COUNT_CAP = 1000  # "1000+" is all a tab needs to say; counting a million rows per page view is not
COUNT_TTL = 30
TABS = {
    "triage": "待分派",
    "overdue": "已超时",
    "open": "未办结",
    "callback": "电话回访",
    "search": "查找",
}
REF_RE = re.compile(r"^[Rr]\d+$")


def _open() -> Any:
    return Ticket.status.in_(OPEN_STATUSES)


def tab_filter(tab: str, args: dict[str, str], now: datetime) -> list[Any]:
    """WHERE clauses for a tab (open tabs always include `status IN open`, the index predicate)."""
    cfg = runtime.current().config
    if tab == "triage":
        return [
            _open(),
            Ticket.status != "awaiting_callback",
            or_(
                Ticket.status == "triage",
                Ticket.courtyard_id.is_(None),
                Ticket.confidence < cfg.confidence_threshold,
            ),
        ]
    if tab == "callback":  # no WeChat to ask in: staff call (bot.services.inbound.staff_intake)
        return [_open(), Ticket.status == "awaiting_callback", Ticket.resident_openid.is_(None)]
    if tab == "overdue":
        return [
            _open(),
            or_(
                and_(Ticket.status == "dispatched", Ticket.accept_due_at < now),
                and_(Ticket.status == "accepted", Ticket.finish_due_at < now),
            ),
        ]
    clauses = [_open()]
    if args.get("status") in OPEN_STATUSES:
        clauses.append(Ticket.status == args["status"])
    if args.get("courtyard"):
        clauses.append(Ticket.courtyard_id == args["courtyard"])
    if args.get("category"):
        clauses.append(Ticket.category == args["category"])
    if args.get("assignee"):
        clauses.append(Ticket.assignee_name == args["assignee"])
    return clauses


def search_filter(session: Session, q: str) -> list[Any]:
    q = q.strip()[:100]
    if REF_RE.match(q):
        return [Ticket.ref == q.upper()]
    openids = list(
        session.scalars(
            select(Resident.openid).where(or_(Resident.phone == q, Resident.name == q, Resident.openid == q)).limit(20)
        )
    )
    like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    conds = [Ticket.text.like(like, escape="\\"), Ticket.resident_openid == q,
             Ticket.id.in_(select(TicketIntake.ticket_id).where(or_(TicketIntake.resident_phone == q,
                                                                    TicketIntake.resident_name == q)))]
    if openids:
        conds.append(Ticket.resident_openid.in_(openids))
    return [or_(*conds)]


def _scoped(clauses: list[Any]) -> list[Any]:
    scope = scope_courtyard()
    return clauses + [Ticket.courtyard_id == scope] if scope else clauses


def page(session: Session, clauses: list[Any], after: str | None, by_id: bool = False,
         size: int = PAGE_SIZE) -> tuple[list[Ticket], str | None]:
    """One page, urgent first, and the cursor of the next (None at the end); a bad cursor is a 400."""
    stmt: Select = select(Ticket).where(*clauses)
    keyset = cursors.after_id(after) if by_id else cursors.after_activity(after)
    if keyset is not None:
        stmt = stmt.where(keyset)
    stmt = stmt.order_by(*(cursors.BY_ID if by_id else cursors.BY_ACTIVITY))
    rows = list(session.scalars(stmt.limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    if not more or not rows:
        return rows, None
    return rows, (cursors.id_cursor if by_id else cursors.activity_cursor)(rows[-1])


def filter_args(cfg: Config) -> dict[str, str]:
    """The open tab's filters and the search text; a value the page's lists do not offer → 400."""
    a = request.args
    known = {"status": ("状态", OPEN_STATUSES), "courtyard": ("楼院", [c.id for c in cfg.courtyards]),
             "category": ("分类", [*cfg.categories, "other"]), "assignee": ("责任人", {m.name for m in cfg.members})}
    args = {k: choice_value(a.get(k), label, allowed) or "" for k, (label, allowed) in known.items()}
    return args | {"q": a.get("q", "").strip()}


def bounded_count(session: Session, clauses: list[Any], key: str) -> int:
    """min(count, COUNT_CAP + 1), cached for COUNT_TTL seconds in Redis (shared by all processes)."""
    steward = runtime.current()
    r = steward.redis
    # the communities the request sees are part of the key: one community's counts are not another's
    cache_key = "steward:qcount:" + hashlib.sha1(f"{steward.visible}|{key}".encode()).hexdigest()
    cached = r.get(cache_key)
    if cached is not None:
        return int(cached)
    sub = select(Ticket.id).where(*clauses).limit(COUNT_CAP + 1).subquery()
    n = session.scalar(select(func.count()).select_from(sub)) or 0
    r.set(cache_key, n, ex=COUNT_TTL)
    return n


def count_label(n: int) -> str:
    return f"{COUNT_CAP}+" if n > COUNT_CAP else str(n)


@bp.get("/")
def index():  # noqa: ANN201
    tab = request.args.get("tab") or "triage"
    if tab not in TABS:
        raise BadInput("没有这个工单列表，请从页面上方的标签进入。")
    cfg = runtime.current().config
    args = filter_args(cfg)
    scope = scope_courtyard()
    if scope:
        args["courtyard"] = scope
    now = utcnow()
    with runtime.current().session() as s:
        counts = {}
        for name in ("triage", "overdue", "open", "callback"):
            clauses = _scoped(tab_filter(name, {} if name != tab else args, now))
            key = f"{name}|{scope}|" + ("|".join(args.values()) if name == tab == "open" else "")
            counts[name] = count_label(bounded_count(s, clauses, key))
        tickets: list[Ticket] = []
        cursor = None
        if tab == "search":
            if args["q"]:
                tickets, cursor = page(s, _scoped(search_filter(s, args["q"])), request.args.get("after"), by_id=True)
        else:
            tickets, cursor = page(s, _scoped(tab_filter(tab, args, now)), request.args.get("after"))
        s.expunge_all()
    assignees = sorted({m.name for m in cfg.members if not scope or m.courtyard == scope})
    return render_template(
        "web/queues.html",
        tab=tab,
        tabs=TABS,
        counts=counts,
        tickets=tickets,
        cursor=cursor,
        args=args,
        now=now,
        scope=scope,
        statuses={k: v for k, v in STATUS_LABELS.items() if k in OPEN_STATUSES},
        assignees=assignees,
    )
