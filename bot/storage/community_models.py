"""The community's structure: communities, courtyards, council members, invitations, the audit log;
FAQ entries and outside parties."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from bot.domain.clock import utcnow
from bot.storage.base import Base
from bot.storage.tenancy import Tenant


class Community(Base):
    """One community (社区); everything below hangs off its id, so a deployment can hold many."""

    __tablename__ = "communities"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # FAQ entries and outside parties were copied from the config (once; the rows are the truth after)
    reference_seeded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    # What URLs and the command line call it (`/wechat/<key>`); the first community's is "1".
    key: Mapped[str | None] = mapped_column(String(32), unique=True, index=True)
    # Its own official account ([wechat] and [templates] of `steward community add --from`); None: the
    # deployment's account, shared — then a resident's courtyard tells the community.
    account: Mapped[dict | None] = mapped_column(JSON)


class CourtyardRow(Tenant, Base):
    """A courtyard (楼院). `key` ("c3") is what tickets, residents and QR scenes carry."""

    __tablename__ = "courtyards"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sql_text("true"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("community_id", "key", name="uq_courtyards_community_key"),)


class CouncilMember(Tenant, Base):
    """A council member: the truth once seeded (bot.storage.directory). `openid` stays empty until
    the person scans an invitation; reachability is learned by the workers (43004 …)."""

    __tablename__ = "council_members"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)  # type: ignore[assignment]  # older rows: before 0013
    openid: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(32))  # as given, not normalised
    courtyard_id: Mapped[str] = mapped_column(String(16), index=True)
    role: Mapped[str] = mapped_column(String(16), default="成员")
    skills: Mapped[str] = mapped_column(String(128), default="")  # comma-separated
    backup_order: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # lower is asked first
    digest_consent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    unreachable_reason: Mapped[str | None] = mapped_column(String(128))
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime | None] = mapped_column(DateTime, default=utcnow)
    left_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (CheckConstraint("role IN ('会长', '副会长', '成员', '楼长')", name="ck_council_members_role"),)


class MemberInvitation(Tenant, Base):
    """A single-use QR invitation: scanning it binds the scanner's openid to `member_id`."""

    __tablename__ = "member_invitations"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("council_members.id", ondelete="CASCADE"), index=True)
    scene: Mapped[str] = mapped_column(String(64), unique=True)
    qr_ticket: Mapped[str | None] = mapped_column(String(255))
    qr_url: Mapped[str | None] = mapped_column(String(512))
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
    used_by: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class AuditEntry(Tenant, Base):
    """One change or sensitive act (a login, an export, an account, a token, the directory): who, what,
    on what, before and after, from where (bot.services.uow.audit)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64), index=True)  # staff:NAME, cli, api:NAME, an openid, system
    action: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str] = mapped_column(String(128), default="")
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    address: Mapped[str | None] = mapped_column(String(64))


class FaqRow(Tenant, Base):
    """A FAQ entry (`[[faq]]`): question keywords, the answer, and the places it is about."""

    __tablename__ = "faq_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    patterns: Mapped[list[str]] = mapped_column(JSON, default=list)
    places: Mapped[list[str]] = mapped_column(JSON, default=list)
    answer: Mapped[str] = mapped_column(String(2000))
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # the config's order
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class OutsidePartyRow(Tenant, Base):
    """An outside party (`[outside_parties.KEY]`): who else hears of a ticket (property, utilities, 12345)."""

    __tablename__ = "outside_parties"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(64))
    openid: Mapped[str] = mapped_column(String(64), default="")  # how WeChat reaches them (empty: not by WeChat)
    subcategories: Mapped[str] = mapped_column(String(256), default="")  # comma-separated, as in the config
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("community_id", "key", name="uq_outside_parties_community_key"),)
