"""The public board `/public` (晒三务): this month's tickets per courtyard and the three rates —
the workbench's numbers (`bot.services.rates`, the same rules and cache), shown with their definitions.

Residents' privacy by construction: the board shows structured facts (category, subcategory,
courtyard, status, dates, the outcome) and, as its only text, the public summary staff wrote or
approved on the ticket page — never the resident's own words. That summary still goes through
`bot.domain.public_scrub`. Grievances appear only when staff published them, and nothing about the resident
(text, openid, name, phone) is selected from the database at all.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request
from sqlalchemy import func, or_, select

from bot import runtime
from bot.domain.clock import to_local, utcnow
from bot.domain.public_scrub import scrub
from bot.domain.vocabulary import CLOSE_REASONS, OPEN_STATUSES, STATUS_LABELS
from bot.services.rates import ALL, Rates, describe, month_bounds, month_rates, rankings
from bot.storage.models import Ticket

__all__ = ["bp", "board", "scrub"]

bp = Blueprint("public", __name__, url_prefix="/public")

PER_COURTYARD = 20
SUMMARY_LEN = 60
CACHE_TTL = 60


def board(year: int, month: int) -> dict:
    steward = runtime.current()
    cfg = steward.config
    start, end = month_bounds(year, month)
    visible = or_(Ticket.category != "grievance", Ticket.published.is_(True))
    sections = []
    with steward.session() as s:
        rates = month_rates(s, cfg, year, month, redis=steward.redis)
        names = [m.name for m in cfg.members]  # council members named in a summary: masked too
        for c in cfg.courtyards:
            in_month = (Ticket.courtyard_id == c.id, Ticket.created_at >= start, Ticket.created_at < end)
            # Only the public columns are selected: no resident, assignee or resident text.
            items = s.execute(
                select(Ticket.ref, Ticket.category, Ticket.subcategory, Ticket.public_summary, Ticket.status,
                       Ticket.close_reason, Ticket.created_at, Ticket.closed_at)
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
                     else "其他", "sub": r.subcategory or "",
                     "summary": scrub(r.public_summary, SUMMARY_LEN, names) if r.public_summary else "",
                     "status": STATUS_LABELS.get(r.status, r.status),
                     "outcome": CLOSE_REASONS.get(r.close_reason or "", "已办结") if r.status == "closed" else "",
                     "day": to_local(r.created_at).strftime("%m-%d"),
                     "closed_day": to_local(r.closed_at).strftime("%m-%d") if r.closed_at else ""}
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
    wanted = request.args.get("community")
    if wanted:  # a 街道's deployment: each community has its own board
        found = steward.community_by_key(wanted[:32])
        if found is None:
            abort(404)
        steward = g.steward = steward.deployment.for_community(found.id)
    if only and steward.config.courtyard(only) is None:
        abort(404)  # before the cache: made-up values must not each get a cache entry
    key = f"steward:public:v2:{steward.community_id or 0}:{year}-{month}:{only or 'all'}"
    cached = steward.redis.get(key)
    if cached:
        return cached
    data = board(year, month)
    if only:
        data["sections"] = [sec for sec in data["sections"] if sec["courtyard"].id == only]
    html = render_template("web/public.html", year=year, month=month, only=only, **data)
    steward.redis.set(key, html, ex=CACHE_TTL)
    return html
