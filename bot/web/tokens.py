"""Bearer tokens for the JSON API: random, shown once, stored as their sha256 with a role (read /
write) and an optional courtyard scope (`steward token add/list/revoke`).

`[api] tokens` in the config may hold "sha256:<hex>" digests (read-only, every courtyard). A plain
token there — like the sample's — is accepted only by `steward dev` and the tests: on a real
instance it would be a shared secret in a file, and the sample one is public.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain.clock import utcnow
from bot.services.uow import audit
from bot.storage.models import ApiToken, CourtyardRow
from bot.storage.tenancy import DEFAULT_COMMUNITY

ROLES = ("read", "write")
PREFIX = "st_"


class TokenError(ValueError):
    """A token could not be added or revoked; the message is plain Chinese."""


@dataclass(frozen=True)
class Grant:
    """What a presented token may do."""

    name: str
    role: str
    courtyard: str | None = None
    community: int | None = None  # None: every community of the deployment

    @property
    def can_write(self) -> bool:
        return self.role == "write"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add(session: Session, config: Config, name: str, role: str = "read",
        courtyard: str | None = None, actor: str = "cli", community: int | None = None) -> tuple[str, ApiToken]:
    """A new token (returned once, never stored) and its row."""
    name = name.strip()
    if not name or len(name) > 64:
        raise TokenError("令牌名称应为 1–64 个字")
    if role not in ROLES:
        raise TokenError(f"角色应为 {' / '.join(ROLES)}，实际是 {role!r}")
    if courtyard is not None and not _courtyard_of(session, config, courtyard, community):
        raise TokenError(f"没有这个楼院：{courtyard!r}" + ("（不属于这个社区）" if community is not None else ""))
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name, ApiToken.revoked_at.is_(None))):
        raise TokenError(f"已有同名的有效令牌：{name}")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, token_hash=digest(token), role=role, courtyard_id=courtyard, community_id=community)
    session.add(row)
    session.flush()
    audit.record(session, actor, "token_add", f"令牌 {name}", None, {"role": role, "courtyard": courtyard})
    return token, row


def _courtyard_of(session: Session, config: Config, courtyard: str, community: int | None) -> bool:
    """The courtyard exists (in `community`, when given): the database's directory once seeded."""
    stmt = select(CourtyardRow.id).where(CourtyardRow.key == courtyard)
    if community is not None:
        stmt = stmt.where(CourtyardRow.community_id == community)
    if session.scalar(stmt) is not None:
        return True
    return community in (None, DEFAULT_COMMUNITY) and config.courtyard(courtyard) is not None


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke(session: Session, name: str, actor: str = "cli") -> int:
    """Revoke the valid tokens called `name`; how many."""
    rows = list(session.scalars(select(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None))))
    for row in rows:
        row.revoked_at = utcnow()
        audit.record(session, actor, "token_revoke", f"令牌 {name}", {"role": row.role, "courtyard": row.courtyard_id})
    return len(rows)


def lookup(session: Session, config: Config, token: str, dev: bool) -> Grant | None:
    """The grant of a presented token, or None."""
    if not token or len(token) > 256:
        return None
    h = digest(token)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == h, ApiToken.revoked_at.is_(None)))
    if row is not None:
        return Grant(row.name, row.role, row.courtyard_id, row.community_id)
    for entry in config.api_tokens:
        if entry.startswith("sha256:"):
            if hmac.compare_digest(entry[7:].lower().encode(), h.encode()):
                return Grant("config", "read")
        elif dev and hmac.compare_digest(entry.encode(), token.encode()):
            return Grant("config (dev)", "write")
    return None
