"""Logins for community staff and council chairs: flask-login sessions that end on logout and
time out (`bot.web.sessions`), hashed passwords, failures throttled in Redis (shared by every web
process), roles admin / street / staff / council; the account's community scopes the request
(`bot.web.scope`)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Protocol, cast
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import update

from bot import runtime
from bot.services.community import users
from bot.services.uow import audit
from bot.storage.models import StaffUser, Ticket
from bot.web import scope, sessions

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
login_manager = LoginManager()


class _StaffSynced(Protocol):
    """The flag `login` keeps on the process's Steward once the config's staff are synced
    (tests set it to skip the sync)."""

    staff_synced: bool


@dataclass
class WebUser:
    """What a request needs of the logged-in account (not an ORM row: no lazy loads in templates)."""

    id: int
    username: str
    name: str
    role: str
    courtyard_id: str | None
    community_id: int | None = None  # staff and council: theirs; admin and street: None (all)
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        return self.role in ("admin", "street", "staff")

    @property
    def sees_every_community(self) -> bool:
        return self.role in ("admin", "street")

    @property
    def role_label(self) -> str:
        return users.ROLE_LABELS.get(self.role, self.role)


def _web_user(u: StaffUser) -> WebUser:
    return WebUser(u.id, u.username, u.name, u.role, u.courtyard_id, u.community_id)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    # flask-login's "strong" mode binds the session to X-Forwarded-For, which any client can write;
    # what ends a stolen session here is the server-side version and the timeouts (bot.web.sessions).
    login_manager.session_protection = None
    sessions.init_app(app)

    @login_manager.user_loader
    def load_user(user_id: str) -> WebUser | None:
        if not user_id.isdigit():
            return None
        with runtime.current().session() as s:
            u = s.get(StaffUser, int(user_id))
            if u is None or not u.active or not sessions.still_valid(u.session_version):
                session.clear()
                return None
            user = _web_user(u)
        scope.enter(user)
        return user


def require_login(blueprint: Blueprint, *roles: str) -> None:
    """Every view of `blueprint` needs a login (and one of `roles`, if given)."""

    @blueprint.before_request
    def _check():  # noqa: ANN202
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if roles and not (current_user.role in roles or (current_user.role == "street" and "staff" in roles)):
            abort(403)
        return None


def scope_courtyard() -> str | None:
    """A council login sees only its courtyard; staff and admins see all (None)."""
    return current_user.courtyard_id if current_user.role == "council" else None


def ensure_can_see(ticket: Ticket) -> None:
    scope = scope_courtyard()
    if current_user.role == "council" and ticket.courtyard_id != scope:
        abort(403)


_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x20\x7f-\x9f\\]")


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never bounce a fresh login to another host, and nothing a Location
    # header cannot carry (a newline made the redirect a 500 after the login had happened).
    if (target and len(target) <= 200 and target.startswith("/") and not target.startswith("//")
            and not _UNSAFE_IN_NEXT.search(target) and not urlsplit(target).netloc):
        return target
    return url_for("queues.index")


@bp.route("/login", methods=["GET", "POST"])
def login():  # noqa: ANN201
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    if request.method == "GET":
        return render_template("web/login.html")
    username = (request.form.get("username") or "").strip()[:64]
    password = (request.form.get("password") or "")[:256]
    throttle = sessions.Throttle(username)
    steward = runtime.current()
    if throttle.blocked():
        wait = throttle.wait_seconds
        with steward.session() as s:
            audit.record(s, f"staff:{username}", "login_locked", f"账号 {username}", address=request.remote_addr)
        flash(f"登录失败次数太多，请 {wait // 60} 分钟后再试。" if wait >= 60 else f"登录失败次数太多，请 {wait} 秒后再试。",
              "error")
        return render_template("web/login.html", username=username), 429
    with steward.session() as s:
        if not getattr(steward, "staff_synced", False):
            # The config's accounts, hashed, on the first login this process sees.
            users.sync_config_staff(s, steward.config)
            cast(_StaffSynced, steward).staff_synced = True
        user = users.verify(s, username, password)
        web_user = _web_user(user) if user else None
        version = user.session_version if user else 0
    if web_user is not None and users.sample_login_refused(password):
        log.warning("workbench login refused: account %s still has a sample password", web_user.username)
        flash(f"这个账号还在用示例密码，不能登录。请管理员运行 steward user passwd {web_user.username} 设置新密码。",
              "error")
        return render_template("web/login.html", username=username), 403
    if web_user is None:
        throttle.failed()
        with steward.session() as s:
            audit.record(s, f"staff:{username}", "login_failed", f"账号 {username}", address=request.remote_addr)
        log.info("workbench login failed")
        flash("用户名或密码不对。", "error")
        return render_template("web/login.html", username=username), 401
    throttle.succeeded()
    target = _safe_next(request.args.get("next"))
    session.clear()  # nothing from before the login carries over
    login_user(web_user)
    sessions.begin(version)
    with steward.session() as s:
        audit.record(s, f"staff:{web_user.username}", "login", f"账号 {web_user.username}", address=request.remote_addr)
    log.info("workbench login: %s", web_user.username)
    return redirect(target)


@bp.post("/logout")
def logout():  # noqa: ANN201
    if current_user.is_authenticated:
        # Every cookie of this account — copies included — stops working now.
        with runtime.current().session() as s:
            s.execute(update(StaffUser).where(StaffUser.id == current_user.id)
                      .values(session_version=StaffUser.session_version + 1))
    logout_user()
    session.clear()
    flash("已退出登录。", "info")
    return redirect(url_for("auth.login"))
