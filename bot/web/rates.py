"""The rates page: a month's 三率 and times per courtyard with their definitions, the 红榜 / 黑榜,
a courtyard comparison chart and 12-month trends, all from `bot.services.rates` and drawn as server-side SVG."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from bot import runtime
from bot.domain.clock import utcnow
from bot.services.rates import ALL, Rates, describe, last_months, month_of, months_rates, rankings
from bot.web import charts
from bot.web.auth import require_login, scope_courtyard
from bot.web.inputs import choice_value, month_value

bp = Blueprint("rates", __name__, url_prefix="/staff/rates")
require_login(bp)


def parse_month(value: str | None) -> tuple[int, int]:
    """'2026-11' → (2026, 11); empty → the current month in Beijing time; anything else → 400."""
    return month_value(value) or month_of(utcnow())


def rates_for_months(months: list[tuple[int, int]]) -> dict[tuple[int, int], dict[str, Rates]]:
    steward = runtime.current()
    with steward.session() as s:
        return months_rates(s, steward.config, months, redis=steward.redis)  # one query for the cold ones


@bp.get("/")
def index():  # noqa: ANN201
    cfg = runtime.current().config
    year, month = parse_month(request.args.get("month"))
    scope = scope_courtyard() or choice_value(request.args.get("courtyard"), "楼院", [c.id for c in cfg.courtyards])
    months = last_months(year, month, 12)
    by_month = rates_for_months(months)
    current = by_month[(year, month)]
    key = scope or ALL
    rows = [(c, current.get(c.id, Rates())) for c in cfg.courtyards]
    total = current.get(ALL, Rates())
    labels = [f"{m}月" if m != 1 else f"{y}年1月" for y, m in months]
    trend_values = {
        k: [getattr(by_month[ym].get(key, Rates()), k) for ym in months]
        for k, _, _ in charts.SERIES
    }
    comp_values = {k: [getattr(r, k) for _, r in rows] for k, _, _ in charts.SERIES}
    scope_name = cfg.courtyard_name(scope) if scope else "全社区"
    red, black = rankings(cfg, current)
    return render_template(
        "web/rates.html",
        year=year,
        month=month,
        scope=scope,
        scope_name=scope_name,
        rows=rows,
        total=total,
        selected=current.get(key, Rates()),
        red=red,
        black=black,
        min_due=cfg.rates.ranking_min_due,
        satisfied_ratings="、".join(map(str, cfg.rates.satisfied_ratings)),
        definitions=describe(cfg),
        trend_svg=charts.trend(labels, trend_values, f"{scope_name}近 12 个月三率走势") if any(
            v is not None for vs in trend_values.values() for v in vs) else None,
        has_tickets=any(r.dispatched for m in by_month.values() for r in m.values()),
        comparison_svg=charts.comparison([c.name for c, _ in rows], comp_values, f"{year}年{month}月各楼院三率对比"),
        locked=scope_courtyard() is not None,
    )
