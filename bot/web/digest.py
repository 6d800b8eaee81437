"""/staff/digest: the monthly 育英社情 digest as a printable A4 page (print CSS, inline SVG charts,
no script), the 每月一题 confirmation form, and the optional WeChat draft. `render` is shared with
`steward digest --out FILE`, which embeds the stylesheet so the file stands alone."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup, escape

from bot import runtime
from bot.domain.clock import to_local, utcnow
from bot.services.digest import build as digest_service
from bot.web import charts
from bot.web.auth import require_login

bp = Blueprint("digest", __name__, url_prefix="/staff/digest")
require_login(bp, "admin", "staff")
CSS = Path(__file__).resolve().parent.parent / "static" / "digest.css"
THIS, LAST = "#2c7a7b", "#a0aec0"


def parse_month(value: str | None) -> tuple[int, int] | None:
    """'2026-11' → (2026, 11); empty → last month (a digest is of a finished month); else None."""
    if not value:
        now = to_local(utcnow())
        return digest_service.previous((now.year, now.month))
    parts = value.strip().split("-")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        y, m = int(parts[0]), int(parts[1])
        if 2000 <= y <= 2100 and 1 <= m <= 12:
            return y, m
    return None


def bars(rows: Sequence[tuple[str, int, int]], title: str) -> Markup:
    """This month against last month, per category: paired horizontal bars."""
    width, left, row_h = 560, 70, 26
    height = 34 + row_h * max(len(rows), 1)
    top = max([max(a, b) for _, a, b in rows] or [1]) or 1
    scale = (width - left - 60) / top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" class="chart" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<rect x="{left}" y="4" width="12" height="10" fill="{THIS}"/><text x="{left + 16}" y="13" font-size="11">本月</text>',
             f'<rect x="{left + 60}" y="4" width="12" height="10" fill="{LAST}"/><text x="{left + 76}" y="13" font-size="11">上月</text>']
    for i, (name, now, before) in enumerate(rows):
        y = 24 + i * row_h
        parts.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end" font-size="12">{escape(name)}</text>')
        for j, (value, colour) in enumerate(((now, THIS), (before, LAST))):
            w = value * scale
            parts.append(f'<rect x="{left}" y="{y + j * 10}" width="{w:.1f}" height="9" fill="{colour}">'
                         f'<title>{escape(name)} {"本月" if j == 0 else "上月"} {value} 件</title></rect>'
                         f'<text x="{left + w + 4:.1f}" y="{y + j * 10 + 8}" font-size="10">{value}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def render(digest: digest_service.Digest, standalone: bool = False, this_month: str | None = None) -> str:
    cfg = runtime.current().config
    top = digest.sections[0]
    yards = digest.sections[1:]
    comparison = charts.comparison(
        [s.name for s in yards], {k: [getattr(s.rates, k) for s in yards] for k, _, _ in charts.SERIES},
        f"{digest.year}年{digest.month}月各楼院三率")
    return render_template(
        "web/digest.html", d=digest, top=top, yards=yards, comparison_svg=comparison,
        bars={s.courtyard_id or "": bars(s.by_category, f"{s.name}本月与上月诉求") for s in digest.sections},
        courtyard_name=cfg.courtyard_name, standalone=standalone,
        # A standalone file carries its CSS; served pages link it (the CSP allows no inline style).
        inline_css=Markup(f"<style>{CSS.read_text(encoding='utf-8')}</style>") if standalone else None,
        draft_enabled=cfg.digest.wechat_draft, this_month=this_month,
    )


def article(digest: digest_service.Digest) -> str:
    """The draft article: the same contents without charts or stylesheet (WeChat strips both)."""
    cfg = runtime.current().config
    return render_template("web/digest_article.html", d=digest, courtyard_name=cfg.courtyard_name)


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@bp.errorhandler(BadRequest)
def _bad(exc: BadRequest):  # noqa: ANN202
    return render_template("web/digest_error.html", message=str(exc)), exc.status


def _month_or_400() -> tuple[int, int]:
    ym = parse_month(request.values.get("month"))
    if ym is None:
        raise BadRequest("月份应写成 YYYY-MM，如 2026-11。")
    return ym


def _build(ym: tuple[int, int]) -> digest_service.Digest:
    steward = runtime.current()
    with steward.session() as s:
        return digest_service.build(s, steward.config, ym[0], ym[1], redis=steward.redis)


@bp.get("/")
def index():  # noqa: ANN201
    d = _build(_month_or_400())
    this_month = None
    if not d.sections[0].total:  # an empty month (a fresh install): point at this month so far, if it has any
        now = to_local(utcnow())
        if (now.year, now.month) != (d.year, d.month) and _build((now.year, now.month)).sections[0].total:
            this_month = digest_service.label((now.year, now.month))
    return render(d, this_month=this_month)


@bp.post("/problem")
def confirm():  # noqa: ANN201
    ym = _month_or_400()
    steward = runtime.current()
    try:
        with steward.session() as s:
            problem = digest_service.confirm_problem(
                s, steward.config, ym[0], ym[1], request.form.get("topic", ""), request.form.get("title", ""),
                request.form.get("note", ""), current_user.username)
            title = problem.title
    except digest_service.ProblemError as exc:
        flash(str(exc), "error")
    else:
        flash(f"已确定每月一题：{title}。下月的社情会报告它的进展。", "info")
    return redirect(url_for("digest.index", month=digest_service.label(ym)))


@bp.post("/draft")
def draft():  # noqa: ANN201
    ym = _month_or_400()
    steward = runtime.current()
    if not steward.config.digest.wechat_draft:
        raise BadRequest("没有开启公众号草稿（配置 [digest] wechat_draft = true）。", 404)
    d = _build(ym)
    try:
        media_id = digest_service.save_draft(steward.config, steward.redis,
                                             digest_service.draft_article(steward.config, d, article(d)))
    except digest_service.DraftError as exc:
        flash(str(exc), "error")
    else:
        flash(f"已保存为公众号草稿（{media_id[:12]}…），请在公众号后台审阅后发布。", "info")
    return redirect(url_for("digest.index", month=digest_service.label(ym)))
