"""删除居民信息 (/admin/residents/erase, 管理员 only): a resident's erasure on request, in two steps —
the openid or phone, then a confirmation page that shows what will go (a dry run, rolled back) —
through the same service as `steward resident erase` (bot.services.privacy.erasure)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from bot import runtime
from bot.services.privacy import erasure
from bot.web.audit_page import actor
from bot.web.auth import require_login

bp = Blueprint("erasure", __name__, url_prefix="/admin/residents")
require_login(bp, "admin")


@bp.get("/erase")
def form():  # noqa: ANN201
    return render_template("web/erase.html", who="", found=None)


@bp.post("/erase")
def erase():  # noqa: ANN201
    who = (request.form.get("who") or "").strip()
    steward = runtime.current()
    try:
        if request.form.get("confirm") != "yes":
            found = erasure.preview(steward, who)
            return render_template("web/erase.html", who=who, found=found)
        done = erasure.erase(steward, who, actor=actor(), address=request.remote_addr)
    except erasure.ErasureError as exc:
        flash(str(exc), "error")
        return render_template("web/erase.html", who=who, found=None), \
            404 if isinstance(exc, erasure.NobodyFound) else 400
    flash(done.summary(), "ok")
    return redirect(url_for("erasure.form"))
