"""The street office's pages (`street` and `admin` accounts): every community's month side by side,
红榜 / 黑榜 between communities, the overdue tickets of all of them with 督办, and a switch to look at
one community's own pages (queues, ledger, rates …) as its staff see them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from bot import runtime
from bot.services.casework import street
from bot.web import scope
from bot.web.auth import require_login
from bot.web.rates import parse_month

bp = Blueprint("street", __name__, url_prefix="/street")
require_login(bp, "admin", "street")


@bp.get("/")
def index() -> str:
    base = runtime.current().deployment
    year, month = parse_month(request.args.get("month"))
    rows = street.overview(base, year, month)
    red, black = street.rankings(rows, base.config.rates.ranking_size)
    with base.session() as s:
        overdue = street.overdue(s, base)
    return render_template("web/street.html", year=year, month=month, rows=rows, red=red, black=black,
                           overdue=overdue, chosen=scope.chosen(), min_due=base.config.rates.ranking_min_due)


@bp.post("/supervise/<ref>")
def supervise(ref: str) -> Response:
    try:
        done = street.supervise(runtime.current().deployment, ref[:16], current_user.name)
    except street.NotSupervised as exc:
        flash(str(exc), "error")
    else:
        flash(f"已督办 {done}：负责人、楼院会长和社区工作人员都收到了提醒。", "info")
    return redirect(url_for("street.index"))


@bp.post("/view")
def view() -> Response:
    """Look at one community's pages as its staff do (empty: the whole street again)."""
    key = (request.form.get("community") or "").strip()
    if not key:
        scope.choose(None)
        return redirect(url_for("street.index"))
    found = runtime.current().deployment.community_by_key(key[:32])
    if found is None:
        abort(400, "没有这个社区")
    scope.choose(found.id)
    flash(f"现在看的是{found.name}。", "info")
    return redirect(url_for("queues.index"))
