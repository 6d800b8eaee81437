"""The public board `/public` (晒三务): this month's tickets per courtyard and the three rates —
the workbench's numbers (`bot.services.rates`, the same rules and cache), shown with their definitions.

Residents' privacy comes first: no names, phones, room numbers or openids. Summaries are scrubbed
(`scrub`), grievances appear only when staff published them, and nothing about the resident is
selected from the database at all.
"""

from __future__ import annotations

import re

from flask import Blueprint, render_template, request
from sqlalchemy import func, or_, select

from bot import runtime
from bot.domain.clock import to_local, utcnow
from bot.domain.statuses import CLOSE_REASONS, OPEN_STATUSES, STATUS_LABELS
from bot.services.rates import ALL, Rates, describe, month_bounds, month_rates, rankings
from bot.storage.models import Ticket

bp = Blueprint("public", __name__, url_prefix="/public")

PER_COURTYARD = 20
SUMMARY_LEN = 30
CACHE_TTL = 60

_CN_NUM = "0-9０-９一二三四五六七八九十百两零〇"
_SCRUBS = (
    # openids and other long account-like tokens
    (re.compile(r"o[-_A-Za-z0-9]{10,}"), ""),
    # mobile numbers, also written with spaces or dashes, and landlines
    (re.compile(r"(?<!\d)1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)"), "***"),
    (re.compile(r"(?<!\d)0\d{2,3}[\s-]?\d{7,8}(?!\d)"), "***"),
    # building, unit, floor and room numbers: 3号楼2单元501室, 五栋, 6楼, 302户
    (re.compile(rf"[{_CN_NUM}]+\s*(号楼|栋|幢|单元|层|楼|室|户|号房)"), r"*\1"),
    # "我叫王建国", "本人姓李": the name
    (re.compile(r"(我叫|我姓|本人姓|本人叫|联系人)[\u4e00-\u9fa5]{1,3}"), r"\1**"),
    # any other run of three or more digits (a room number, an ID, a phone in pieces)
    (re.compile(r"\d{3,}"), "***"),
)


def scrub(text: str, limit: int = SUMMARY_LEN) -> str:
    out = " ".join((text or "").split())
    for pattern, repl in _SCRUBS:
        out = pattern.sub(repl, out)
    return out[:limit] + ("…" if len(out) > limit else "")


def board(year: int, month: int) -> dict:
    steward = runtime.current()
    cfg = steward.config
    start, end = month_bounds(year, month)
    visible = or_(Ticket.category != "grievance", Ticket.published.is_(True))
    sections = []
    with steward.session() as s:
        rates = month_rates(s, cfg, year, month, redis=steward.redis)
        for c in cfg.courtyards:
            in_month = (Ticket.courtyard_id == c.id, Ticket.created_at >= start, Ticket.created_at < end)
            # Only the public columns are selected: no resident, assignee or text beyond the summary.
            items = s.execute(
                select(Ticket.ref, Ticket.category, Ticket.subcategory, Ticket.text, Ticket.status,
                       Ticket.close_reason, Ticket.created_at)
                .where(*in_month, visible)
                .order_by(Ticket.created_at.desc())
                .limit(PER_COURTYARD)
            ).all()
            total = s.scalar(select(func.count()).select_from(Ticket).where(*in_month)) or 0
            shown = s.scalar(select(func.count()).select_from(Ticket).where(*in_month, visible)) or 0
            # "being mediated" means still open: a grievance solved but not published is not
            mediating = s.scalar(select(func.count()).select_from(Ticket).where(
                *in_month, ~visible, Ticket.status.in_(OPEN_STATUSES))) or 0
            sections.append({
                "courtyard": c,
                "rates": rates.get(c.id, Rates()),
                "total": total,
                "hidden": total - shown,
                "mediating": mediating,
                "items": [
                    {"ref": r.ref, "category": cfg.categories[r.category].name if r.category in cfg.categories
                     else "其他", "sub": r.subcategory or "", "summary": scrub(r.text),
                     "status": STATUS_LABELS.get(r.status, r.status),
                     "outcome": CLOSE_REASONS.get(r.close_reason or "", "已办结") if r.status == "closed" else "",
                     "day": to_local(r.created_at).strftime("%m-%d")}
                    for r in items
                ],
            })
    red, black = rankings(cfg, rates)
    return {"sections": sections, "total": rates.get(ALL, Rates()), "definitions": describe(cfg),
            "red": red, "black": black}


@bp.get("/")
def index():  # noqa: ANN201
    now = to_local(utcnow())
    year, month = now.year, now.month
    only = request.args.get("courtyard") or None
    steward = runtime.current()
    key = f"steward:public:v1:{year}-{month}:{only or 'all'}"
    cached = steward.redis.get(key)
    if cached:
        return cached
    data = board(year, month)
    if only:
        data["sections"] = [sec for sec in data["sections"] if sec["courtyard"].id == only]
    html = render_template("web/public.html", year=year, month=month, only=only, **data)
    steward.redis.set(key, html, ex=CACHE_TTL)
    return html
