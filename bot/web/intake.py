"""新建工单: staff write down a report taken by phone, at the counter, on a 走访 or from 12345; it
opens through the same service as `POST /api/tickets` (bot.services.inbound.staff_intake)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from bot import runtime
from bot.services.inbound import staff_intake
from bot.storage.intake_models import CHANNELS
from bot.web.auth import require_login

bp = Blueprint("intake", __name__, url_prefix="/staff/new")
require_login(bp, "admin", "staff")
FIELDS = ("channel", "courtyard", "category", "text", "resident_name", "resident_phone", "photos")


def _form(values: dict[str, str], status: int = 200):  # noqa: ANN202
    cfg = runtime.current().config
    return render_template("web/new_ticket.html", form=values, channels=CHANNELS, courtyards=cfg.courtyards,
                           categories=staff_intake.categories(cfg)), status


@bp.get("/")
def form():  # noqa: ANN201
    return _form({"channel": "电话"} | {k: request.args.get(k, "") for k in ("courtyard", "category")})


@bp.post("/")
def create():  # noqa: ANN201
    f = request.form
    values = {k: f.get(k, "") for k in FIELDS}
    report = staff_intake.Report(values["channel"], values["courtyard"], values["category"], values["text"],
                                 values["resident_name"], values["resident_phone"],
                                 tuple(values["photos"].split()))
    steward = runtime.current()
    try:
        with steward.session() as s:
            ref = staff_intake.open_ticket(s, steward.config, report, actor=f"staff:{current_user.username}",
                                           actor_name=current_user.name).ref
    except staff_intake.IntakeError as exc:
        flash(str(exc), "error")
        return _form(values, 400)
    flash(f"已受理，工单号 {ref}，正在派给理事会。", "ok")
    return redirect(url_for("ticket.show", ref=ref))
