"""人工: residents who asked for a person. Staff read what they sent, answer them (a customer-service
message), and release the conversation back to the bot (`bot.services.dispatch.handoffs`)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from bot import runtime
from bot.services.dispatch import handoffs
from bot.services.inbound import intake
from bot.storage.models import Handoff, InboundMessage, Push, Resident
from bot.web.auth import require_login
from bot.wechat.security import Rejected, parse_xml

bp = Blueprint("handoffs", __name__, url_prefix="/staff/handoffs")
require_login(bp, "admin", "staff")

SHOWN = 20  # messages per conversation on the page
MAX_REPLY = 600  # characters: a customer-service text stays well under WeChat's limit


def _said(raw: str) -> str:
    try:
        f = parse_xml(raw)
    except Rejected:
        return "（无法读取）"
    kind = f.get("MsgType", "")
    if kind == "text":
        return f.get("Content", "")
    if kind == "voice":
        return "[语音] " + (f.get("Recognition") or "（没有识别文字）")
    return {"image": "[照片]", "location": "[位置]", "video": "[视频]"}.get(kind, f"[{kind}]")


def _conversation(s, row: Handoff) -> list[tuple[object, str, str]]:  # noqa: ANN001
    ins = s.execute(select(InboundMessage.received_at, InboundMessage.raw).where(
        InboundMessage.openid == row.openid, InboundMessage.received_at >= row.asked_at,
        InboundMessage.msg_type != "event").order_by(InboundMessage.id.desc()).limit(SHOWN)).all()
    outs = s.execute(select(Push.created_at, Push.payload).where(
        Push.openid == row.openid, Push.kind == "reply", Push.created_at >= row.asked_at)
        .order_by(Push.id.desc()).limit(SHOWN)).all()
    lines = [(at, "居民", _said(raw)) for at, raw in ins]
    lines += [(at, "工作人员", (payload or {}).get("text", "")) for at, payload in outs]
    return sorted(lines, key=lambda x: x[0])


@bp.get("/")
def index():  # noqa: ANN201
    steward = runtime.current()
    with steward.session() as s:
        rows = handoffs.active(s)
        courtyards = dict(s.execute(select(Resident.openid, Resident.courtyard_id).where(
            Resident.openid.in_([r.openid for r in rows]))).all())
        items = [{"id": r.id, "said": r.said, "asked_at": r.asked_at, "until": r.until, "staff": r.staff,
                  "courtyard": courtyards.get(r.openid), "lines": _conversation(s, r)} for r in rows]
    return render_template("web/handoffs.html", items=items)


def _row(s, handoff_id: int) -> Handoff:  # noqa: ANN001
    row = s.get(Handoff, handoff_id)
    if row is None or row.released_at is not None:
        abort(404)
    return row


@bp.post("/<int:handoff_id>/reply")
def reply(handoff_id: int):  # noqa: ANN201
    text = (request.form.get("text") or "").strip()
    if not text:
        flash("请先写好要回复的话")
        return redirect(url_for("handoffs.index"))
    steward = runtime.current()
    with steward.session() as s:
        row = _row(s, handoff_id)
        n = len(s.scalars(select(Push.id).where(Push.openid == row.openid, Push.kind == "reply")).all()) + 1
        handoffs.reply(s, steward.config, row, current_user.username, text[:MAX_REPLY], n)
    flash("已发给居民")
    return redirect(url_for("handoffs.index"))


@bp.post("/<int:handoff_id>/release")
def release(handoff_id: int):  # noqa: ANN201
    steward = runtime.current()
    with steward.session() as s:
        row = _row(s, handoff_id)
        handoffs.release(s, row, current_user.username)
        openid = row.openid
    state = intake.load_state(steward, openid)
    if state.handoff_until is not None:  # the bot answers this resident again from the next message
        intake.save_state(steward, openid, state.settled(handoff_until=None))
    flash("已交还机器人")
    return redirect(url_for("handoffs.index"))
