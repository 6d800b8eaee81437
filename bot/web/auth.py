"""Logins for community staff and council chairs: flask-login sessions, hashed passwords,
attempts rate-limited in Redis (shared by every web process), roles admin / staff / council."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_login import LoginManager, current_user, login_user, logout_user

from bot import runtime
from bot.services import users
from bot.storage import redis_conn
from bot.storage.models import StaffUser, Ticket

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
login_manager = LoginManager()

MAX_FAILURES = 5  # per username and address, within FAILURE_WINDOW
MAX_FAILURES_PER_ADDRESS = 30
FAILURE_WINDOW = 15 * 60


@dataclass
class WebUser:
    """What a request needs of the logged-in account (not an ORM row: no lazy loads in templates)."""

    id: int
    username: str
    name: str
    role: str
    courtyard_id: str | None
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
        return self.role in ("admin", "staff")

    @property
    def role_label(self) -> str:
        return users.ROLE_LABELS.get(self.role, self.role)


def _web_user(u: StaffUser) -> WebUser:
    return WebUser(u.id, u.username, u.name, u.role, u.courtyard_id)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str) -> WebUser | None:
        if not user_id.isdigit():
            return None
        with runtime.current().session() as s:
            u = s.get(StaffUser, int(user_id))
            return _web_user(u) if u is not None and u.active else None


def require_login(blueprint: Blueprint, *roles: str) -> None:
    """Every view of `blueprint` needs a login (and one of `roles`, if given)."""

    @blueprint.before_request
    def _check():  # noqa: ANN202
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if roles and current_user.role not in roles:
            abort(403)
        return None


def scope_courtyard() -> str | None:
    """A council login sees only its courtyard; staff and admins see all (None)."""
    return current_user.courtyard_id if current_user.role == "council" else None


def ensure_can_see(ticket: Ticket) -> None:
    scope = scope_courtyard()
    if current_user.role == "council" and ticket.courtyard_id != scope:
        abort(403)


def _failure_keys(username: str) -> tuple[str, str]:
    addr = request.remote_addr or "-"
    return f"steward:login:fail:{addr}:{username.lower()}", f"steward:login:fail:{addr}"


def _blocked(username: str) -> bool:
    r = runtime.current().redis
    user_key, addr_key = _failure_keys(username)
    counts = r.mget(user_key, addr_key)
    return int(counts[0] or 0) >= MAX_FAILURES or int(counts[1] or 0) >= MAX_FAILURES_PER_ADDRESS


def _record_failure(username: str) -> None:
    r = runtime.current().redis
    pipe = r.pipeline()
    for key in _failure_keys(username):
        redis_conn.window_start(pipe, key, FAILURE_WINDOW)  # not EXPIRE NX: Redis 7 only
        pipe.incr(key)
    pipe.execute()


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never bounce a fresh login to another host.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("queues.index")


@bp.route("/login", methods=["GET", "POST"])
def login():  # noqa: ANN201
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    if request.method == "GET":
        return render_template("web/login.html")
    username = (request.form.get("username") or "").strip()[:64]
    password = request.form.get("password") or ""
    if _blocked(username):
        flash("登录失败次数太多，请 15 分钟后再试。", "error")
        return render_template("web/login.html", username=username), 429
    steward = runtime.current()
    with steward.session() as s:
        if not getattr(steward, "staff_synced", False):
            # The config's accounts, hashed, on the first login this process sees.
            users.sync_config_staff(s, steward.config)
            steward.staff_synced = True
        user = users.verify(s, username, password)
        web_user = _web_user(user) if user else None
    if web_user is None:
        _record_failure(username)
        log.info("workbench login failed")
        flash("用户名或密码不对。", "error")
        return render_template("web/login.html", username=username), 401
    login_user(web_user)
    log.info("workbench login: %s", web_user.username)
    return redirect(_safe_next(request.args.get("next")))


@bp.post("/logout")
def logout():  # noqa: ANN201
    logout_user()
    flash("已退出登录。", "info")
    return redirect(url_for("auth.login"))
