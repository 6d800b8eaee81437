"""工作人员 (admins only): workbench accounts listed, added (role; a council account's courtyard), their
role changed, a password reset (which ends that account's sessions), disabled / enabled — through the
same functions as `steward user …` (bot.services.community.users); every change is in the audit log."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from bot import runtime
from bot.domain.clock import to_local
from bot.services.community import users
from bot.storage.models import StaffUser
from bot.web.audit_page import actor
from bot.web.auth import require_login

bp = Blueprint("staff_admin", __name__, url_prefix="/admin/staff")
require_login(bp, "admin")


def _account(u: StaffUser) -> dict:
    cfg = runtime.current().config
    return {"id": u.id, "username": u.username, "name": u.name, "role": u.role,
            "role_label": users.ROLE_LABELS.get(u.role, u.role), "courtyard": u.courtyard_id,
            "courtyard_name": cfg.courtyard_name(u.courtyard_id) if u.courtyard_id else "",
            "active": u.active, "created_at": to_local(u.created_at),
            "me": u.username == current_user.username}


def _courtyard(role: str) -> str | None:
    """The council account's courtyard, which must exist (as `steward user add` requires)."""
    key = (request.form.get("courtyard") or "").strip() or None
    if role != "council":
        return None
    if runtime.current().config.courtyard(key) is None:
        raise users.UserError("理事会账号需要选择一个已有的楼院")
    return key


@bp.get("")
def index():  # noqa: ANN201
    steward = runtime.current()
    with steward.session() as s:
        rows = [_account(u) for u in users.list_users(s)]
    return render_template("web/admin_staff.html", accounts=rows, courtyards=steward.config.courtyards,
                           roles=users.ROLE_LABELS)


@bp.post("")
def add():  # noqa: ANN201
    f = request.form
    role = f.get("role", "staff")
    if f.get("password", "") != f.get("password2", ""):
        flash("两次输入的密码不一致", "error")
        return redirect(url_for("staff_admin.index"))
    try:
        with runtime.current().session() as s:
            u = users.add_user(s, f.get("username", ""), f.get("name", ""), f.get("password", ""), role,
                               _courtyard(role), actor=actor(), address=request.remote_addr, new=True)
            uid, username = u.id, u.username
    except users.UserError as exc:
        flash(str(exc), "error")
        return redirect(url_for("staff_admin.index"))
    flash(f"已添加账号 {username}", "ok")
    return redirect(url_for("staff_admin.account", user_id=uid))


def _load(s: Session, user_id: int) -> StaffUser:
    u = s.get(StaffUser, user_id) if 0 < user_id < 2**31 else None  # (PostgreSQL's integer)
    if u is None:
        abort(404)
    return u


@bp.get("/<int:user_id>")
def account(user_id: int):  # noqa: ANN201
    steward = runtime.current()
    with steward.session() as s:
        data = _account(_load(s, user_id))
    return render_template("web/admin_staff_account.html", a=data, courtyards=steward.config.courtyards,
                           roles=users.ROLE_LABELS)


def _change(user_id: int, what: Callable[[Session, str], object], ok: str):  # noqa: ANN202
    """Run `what(session, username)` for the account; refuse it on one's own account (no lock-out)."""
    try:
        with runtime.current().session() as s:
            u = _load(s, user_id)
            if u.username == current_user.username:
                raise users.UserError("不能在这里修改自己的角色或停用自己（请另一位管理员操作）")
            what(s, u.username)
        flash(ok, "ok")
    except users.UserError as exc:
        flash(str(exc), "error")
    return redirect(url_for("staff_admin.account", user_id=user_id))


def _role(s: Session, username: str) -> None:
    role = request.form.get("role", "")
    users.set_role(s, username, role, _courtyard(role), actor=actor(), address=request.remote_addr)


def _disable(s: Session, username: str) -> None:
    users.set_active(s, username, False, actor=actor(), address=request.remote_addr)


def _enable(s: Session, username: str) -> None:
    users.set_active(s, username, True, actor=actor(), address=request.remote_addr)


@bp.post("/<int:user_id>/role")
def role(user_id: int):  # noqa: ANN201
    return _change(user_id, _role, "角色已修改；该账号原有的登录已全部失效")


@bp.post("/<int:user_id>/disable")
def disable(user_id: int):  # noqa: ANN201
    return _change(user_id, _disable, "已停用；该账号不能再登录，原有登录已全部失效")


@bp.post("/<int:user_id>/enable")
def enable(user_id: int):  # noqa: ANN201
    return _change(user_id, _enable, "已启用")


@bp.post("/<int:user_id>/password")
def password(user_id: int):  # noqa: ANN201
    f = request.form
    try:
        if f.get("password", "") != f.get("password2", ""):
            raise users.UserError("两次输入的密码不一致")
        with runtime.current().session() as s:
            u = _load(s, user_id)
            users.set_password(s, u.username, f.get("password", ""), actor=actor(), address=request.remote_addr)
        flash("密码已重设；该账号原有的登录已全部失效，请把新密码当面告诉本人", "ok")
    except users.UserError as exc:
        flash(str(exc), "error")
    return redirect(url_for("staff_admin.account", user_id=user_id))
