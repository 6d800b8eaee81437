"""Workbench accounts: `steward user add / passwd`, and the dev sample's accounts from config, stored hashed.

Passwords live in config only in the dev sample: outside `steward dev` and tests, an account synced
from config gets no usable password, and a sample password cannot log in."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from bot.config import Config, is_sample, samples_allowed
from bot.services.uow import audit
from bot.storage.models import StaffUser
from bot.storage.tenancy import DEFAULT_COMMUNITY

ROLES = ("admin", "street", "staff", "council")
ROLE_LABELS = {"admin": "管理员", "street": "街道工作人员", "staff": "社区工作人员", "council": "楼院理事会"}
EVERY_COMMUNITY = ("admin", "street")  # these accounts see every community; the others one


class UserError(ValueError):
    """A user could not be added; the message is plain Chinese."""


def add_user(
    session: Session,
    username: str,
    name: str,
    password: str,
    role: str = "staff",
    courtyard: str | None = None,
    actor: str = "cli",
    address: str | None = None,
    new: bool = False,
    community: int | None = None,
) -> StaffUser:
    """Create the account, or (unless `new`) update name, password, role and courtyard if it exists.
    A staff or council account belongs to `community` (default: the deployment's own, 1)."""
    username = username.strip()
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise UserError("用户名应为 1–64 个字符，不能有空格")
    name = name.strip()
    if not name or len(name) > 32:
        raise UserError("姓名应为 1–32 个字")
    _check_role(role, courtyard)
    _check_password(password)
    user = session.scalars(select(StaffUser).where(StaffUser.username == username)).first()
    if user is not None and new:
        raise UserError(f"账号 {username} 已经有了")
    before = None if user is None else _account(user)
    if user is None:
        user = StaffUser(username=username)
        session.add(user)
    if user.id is not None:
        end_sessions(user)  # a new password, role or courtyard ends old sessions
    user.name = name
    user.password_hash = generate_password_hash(password)
    user.role = role
    user.courtyard_id = courtyard if role == "council" else None
    user.community_id = community_for(role, community)
    user.active = True
    session.flush()
    audit.record(session, actor, "user_add" if before is None else "user_update", f"账号 {username}",
                 before, _account(user) | {"password": "已设置"}, address)
    return user


def community_for(role: str, community: int | None) -> int | None:
    return None if role in EVERY_COMMUNITY else (community or DEFAULT_COMMUNITY)


def _check_role(role: str, courtyard: str | None) -> None:
    if role not in ROLES:
        raise UserError(f"角色应为 {' / '.join(ROLES)}，实际是 {role!r}")
    if role == "council" and not courtyard:
        raise UserError("理事会账号需要指定楼院（courtyard）")


def _get(session: Session, username: str) -> StaffUser:
    user = session.scalars(select(StaffUser).where(StaffUser.username == username.strip())).first()
    if user is None:
        raise UserError(f"没有账号 {username}")
    return user


def set_role(session: Session, username: str, role: str, courtyard: str | None = None, actor: str = "cli",
             address: str | None = None) -> StaffUser:
    """A new role (and, for a council account, its courtyard); the account's sessions end."""
    _check_role(role, courtyard)
    user = _get(session, username)
    before = _account(user)
    user.role, user.courtyard_id = role, courtyard if role == "council" else None
    user.community_id = community_for(role, user.community_id)
    if _account(user) != before:
        end_sessions(user)
        session.flush()
        audit.record(session, actor, "user_update", f"账号 {user.username}", before, _account(user), address)
    return user


def list_users(session: Session) -> list[StaffUser]:
    return list(session.scalars(select(StaffUser).order_by(StaffUser.role, StaffUser.username)))


def _account(user: StaffUser) -> dict:
    """What the audit log keeps of an account (never the password or its hash)."""
    return {"name": user.name, "role": user.role, "courtyard": user.courtyard_id, "active": user.active,
            "community": user.community_id}


def _check_password(password: str) -> None:
    if len(password) < 8:
        raise UserError("密码至少 8 位")
    if is_sample(password):
        raise UserError("不能用示例密码（含 sample / change-me）")


def set_password(session: Session, username: str, password: str, actor: str = "cli",
                 address: str | None = None) -> StaffUser:
    """`steward user passwd`: a new password for an existing account."""
    user = session.scalars(select(StaffUser).where(StaffUser.username == username.strip())).first()
    if user is None:
        raise UserError(f"没有账号 {username}（先用 steward user add 添加）")
    _check_password(password)
    user.password_hash = generate_password_hash(password)
    end_sessions(user)
    session.flush()
    audit.record(session, actor, "user_password", f"账号 {user.username}", address=address)
    return user


def end_sessions(user: StaffUser) -> None:
    """Every session of this account (cookies copied anywhere included) is void from its next request."""
    user.session_version = (user.session_version or 0) + 1


def set_active(session: Session, username: str, active: bool, actor: str = "cli",
               address: str | None = None) -> StaffUser:
    """`steward user disable / enable`: a disabled account cannot log in and its sessions end."""
    user = _get(session, username)
    before = _account(user)
    user.active = active
    end_sessions(user)
    session.flush()
    audit.record(session, actor, "user_update", f"账号 {user.username}", before=before, after=_account(user),
                 address=address)
    return user


def sample_login_refused(password: str) -> bool:
    """A sample password (from config.example.toml) logs in only under `steward dev` and tests."""
    return is_sample(password) and not samples_allowed()


def sync_config_staff(session: Session, config: Config) -> int:
    """Insert the config's staff accounts that are not in the database yet; returns how many.

    Existing accounts are left alone, so a password changed with `steward user passwd` sticks. Outside
    dev and tests a config password is not taken: the account waits for `steward user passwd`."""
    have = set(session.scalars(select(StaffUser.username)))
    added = 0
    for acc in config.staff:
        if acc.username in have:
            continue
        session.add(
            StaffUser(
                username=acc.username,
                name=acc.name,
                password_hash=generate_password_hash(acc.password) if acc.password and samples_allowed()
                else NO_PASSWORD,
                role=acc.role,
                courtyard_id=acc.courtyard if acc.role == "council" else None,
                community_id=community_for(acc.role, None),
            )
        )
        added += 1
    session.flush()
    return added


def verify(session: Session, username: str, password: str) -> StaffUser | None:
    user = session.scalars(select(StaffUser).where(StaffUser.username == username.strip())).first()
    if user is None or not user.active:
        # Same work either way, so timing does not tell which usernames exist.
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


_DUMMY_HASH = generate_password_hash("not-a-real-password")
NO_PASSWORD = "!"  # not a werkzeug hash: check_password_hash is always False for it
