"""楼院 and 理事会 (staff and admins): a courtyard's name and aliases; council members added, edited
(backup order included), invited by a printable QR invitation, deactivated (the departure hand-on
runs: his open tasks go to the next member). Through the same services as `steward member …`;
every change is in the audit log (bot.services.uow.audit)."""

from __future__ import annotations

import base64
from pathlib import Path

import requests
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select

from bot import runtime
from bot.domain.clock import to_local
from bot.services.community import invitations, members, posters
from bot.services.dispatch import departures
from bot.storage.models import CouncilMember, MemberInvitation
from bot.web.audit_page import actor
from bot.web.auth import require_login
from bot.web.inputs import int_value
from bot.wechat.client import shared_client
from bot.wechat.errors import WeChatError

bp = Blueprint("council_admin", __name__, url_prefix="/admin")
require_login(bp, "admin", "staff")


def _split(raw: str | None) -> list[str]:
    return [p for p in (raw or "").replace("，", ",").replace("、", ",").split(",") if p.strip()]


@bp.get("/courtyards")
def courtyards():  # noqa: ANN201
    steward = runtime.current()
    with steward.session() as s:
        rows = [{"key": y.key, "name": y.name, "aliases": "，".join(y.aliases or [])}
                for y in members.list_courtyards(s, steward.file_config)]
    return render_template("web/admin_courtyards.html", courtyards=rows)


@bp.post("/courtyards/<key>")
def courtyard_save(key: str):  # noqa: ANN201
    steward = runtime.current()
    try:
        with steward.session() as s:
            members.update_courtyard(s, steward.file_config, key, request.form.get("name", ""),
                                     _split(request.form.get("aliases")), actor=actor(), address=request.remote_addr)
        flash("楼院已保存", "ok")
    except members.DirectoryError as exc:
        flash(str(exc), "error")
    return redirect(url_for("council_admin.courtyards"))


def _member_input(f) -> members.MemberInput:  # noqa: ANN001
    return members.MemberInput(courtyard=f.get("courtyard", ""), name=f.get("name", ""), role=f.get("role", "成员"),
                               skills=tuple(_split(f.get("skills"))), phone=f.get("phone") or None,
                               backup_order=int_value(f.get("backup_order"), "备岗顺序", 0, 999))


@bp.get("/council")
def council():  # noqa: ANN201
    steward = runtime.current()
    cfg = steward.config
    courtyard = request.args.get("courtyard") or None
    if courtyard and cfg.courtyard(courtyard) is None:
        abort(404)
    with steward.session() as s:
        rows = [members.member_dict(r, cfg) for r in
                members.list_members(s, steward.file_config, courtyard, include_inactive=True)]
    return render_template("web/admin_council.html", members=rows, courtyards=cfg.courtyards, courtyard=courtyard,
                           roles=members.ROLES)


@bp.post("/council")
def member_add():  # noqa: ANN201
    steward = runtime.current()
    try:
        with steward.session() as s:
            row = members.add_member(s, steward.file_config, _member_input(request.form), actor=actor(),
                                     address=request.remote_addr)
            mid, name = row.id, row.name
    except members.DirectoryError as exc:
        flash(str(exc), "error")
        return redirect(url_for("council_admin.council"))
    flash(f"已添加 {name}；请点「邀请」生成二维码，请他用微信扫码绑定", "ok")
    return redirect(url_for("council_admin.member", member_id=mid))


@bp.get("/council/<int:member_id>")
def member(member_id: int):  # noqa: ANN201
    steward = runtime.current()
    cfg = steward.config
    with steward.session() as s:
        row = s.get(CouncilMember, member_id)
        if row is None or row.community_id is None:
            abort(404)
        data = members.member_dict(row, cfg)
        invites = [{"id": i.id, "created_at": to_local(i.created_at), "expires_at": to_local(i.expires_at),
                    "used": i.used_at is not None}
                   for i in s.scalars(select(MemberInvitation).where(MemberInvitation.member_id == member_id)
                                      .order_by(MemberInvitation.id.desc()).limit(10))]
    return render_template("web/admin_member.html", m=data, invites=invites, courtyards=cfg.courtyards,
                           roles=members.ROLES)


@bp.post("/council/<int:member_id>")
def member_save(member_id: int):  # noqa: ANN201
    steward = runtime.current()
    try:
        with steward.session() as s:
            members.update_member(s, steward.file_config, member_id, _member_input(request.form), actor=actor(),
                                  address=request.remote_addr)
        flash("已保存", "ok")
    except members.DirectoryError as exc:
        flash(str(exc), "error")
    return redirect(url_for("council_admin.member", member_id=member_id))


@bp.post("/council/<int:member_id>/invite")
def member_invite(member_id: int):  # noqa: ANN201
    steward = runtime.current()
    hours = int_value(request.form.get("hours"), "有效小时数", 1, 720, default=72)
    try:
        with steward.session() as s:
            inv = invitations.invite(s, steward.config, shared_client(steward.config, steward.redis),
                                     member_id=member_id, hours=hours, actor=actor(), address=request.remote_addr)
            inv_id = s.scalars(select(MemberInvitation.id).where(MemberInvitation.scene == inv.scene)).one()
    except members.DirectoryError as exc:
        flash(str(exc), "error")
        return redirect(url_for("council_admin.member", member_id=member_id))
    except WeChatError as exc:
        flash(f"微信未能生成二维码（{exc.code}），请稍后再试", "error")
        return redirect(url_for("council_admin.member", member_id=member_id))
    return redirect(url_for("council_admin.invitation", member_id=member_id, invitation_id=inv_id))


@bp.get("/council/<int:member_id>/invitation/<int:invitation_id>")
def invitation(member_id: int, invitation_id: int):  # noqa: ANN201
    """The printable invitation: the QR code WeChat made, who it is for, until when."""
    steward = runtime.current()
    cfg = steward.config
    with steward.session() as s:
        inv = s.get(MemberInvitation, invitation_id)
        row = s.get(CouncilMember, member_id)
        if inv is None or row is None or inv.member_id != row.id:
            abort(404)
        data = {"name": row.name, "role": row.role, "courtyard": cfg.courtyard_name(row.courtyard_id),
                "qr": _image_data_uri(inv.qr_url) if inv.qr_url and inv.used_at is None else None,
                "expires_at": to_local(inv.expires_at), "used": inv.used_at is not None}
    return render_template("web/admin_invitation.html", inv=data, member_id=member_id, community=cfg.community)


def _image_data_uri(url: str) -> str | None:
    """WeChat's QR image, embedded (the pages' CSP allows images from here and data: only)."""
    try:
        resp = requests.get(url, timeout=5)
    except requests.RequestException:
        return None
    ctype = resp.headers.get("Content-Type", "").split(";")[0]
    if resp.status_code != 200 or not ctype.startswith("image/"):
        return None
    return f"data:{ctype};base64,{base64.b64encode(resp.content).decode('ascii')}"


@bp.post("/council/<int:member_id>/deactivate")
def member_deactivate(member_id: int):  # noqa: ANN201
    if request.form.get("confirm") != "1":
        flash("请先勾选确认，再停用", "error")
        return redirect(url_for("council_admin.member", member_id=member_id))
    steward = runtime.current()
    try:
        moved = departures.member_leaves(steward, member_id, actor=actor(), address=request.remote_addr)
    except members.DirectoryError as exc:
        flash(str(exc), "error")
    else:
        flash(f"已停用；{len(moved)} 件未办完的事项已转交：{'、'.join(moved) or '无'}", "ok")
    return redirect(url_for("council_admin.member", member_id=member_id))


def render_poster(key: str, standalone: bool = False) -> str:
    """The printable A4 poster of a courtyard (the workbench page, and `steward courtyard poster`'s
    standalone file, which carries its CSS)."""
    steward = runtime.current()
    with steward.session() as s:
        p = posters.poster(s, steward.file_config, shared_client(steward.config, steward.redis), steward.redis, key)
    css = Markup(f"<style>{PRINT_CSS.read_text(encoding='utf-8')}</style>") if standalone else None
    return render_template("web/poster.html", p=p, inline_css=css)


PRINT_CSS = Path(__file__).resolve().parent.parent / "static" / "print.css"


@bp.get("/courtyards/<key>/poster")
def poster(key: str):  # noqa: ANN201
    try:
        return render_poster(key)
    except members.DirectoryError:
        abort(404)
    except WeChatError as exc:
        flash(f"微信未能生成二维码（{exc.code}），请稍后再试", "error")
        return redirect(url_for("council_admin.courtyards"))
