"""SQLAlchemy 2 models. Times are naive UTC (SQLite keeps no zone); pages show Beijing time."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import (
    text as sql_text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.domain.clock import utcnow
from bot.domain.vocabulary import (
    STATUS_LABELS,
    CloseReason,
    EventKind,
    EventStatus,
    PushKind,
    PushStatus,
    TicketStatus,
)
from bot.storage.base import Base, one_of
from bot.storage.tenancy import Tenant


class Resident(Tenant, Base):
    __tablename__ = "residents"
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64), unique=True)
    courtyard_id: Mapped[str | None] = mapped_column(String(16))
    unit: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(32))
    # Said 2 to 以后默认…？: never asked again.
    no_default_offer: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sql_text("false"))
    subscribed: Mapped[bool] = mapped_column(Boolean, default=True)
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Ticket(Tenant, Base):
    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(16), unique=True)
    category: Mapped[str] = mapped_column(String(16))
    subcategory: Mapped[str | None] = mapped_column(String(32))
    courtyard_id: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    status: Mapped[str] = mapped_column(String(20), default=TicketStatus.received.value)
    resident_openid: Mapped[str | None] = mapped_column(String(64), index=True)
    assignee_openid: Mapped[str | None] = mapped_column(String(64), index=True)
    assignee_name: Mapped[str | None] = mapped_column(String(32))
    backup_openid: Mapped[str | None] = mapped_column(String(64))
    dispatch_attempt: Mapped[int] = mapped_column(Integer, default=0)
    accept_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    finish_due_at: Mapped[datetime | None] = mapped_column(DateTime)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    rating: Mapped[int | None] = mapped_column(Integer)
    solved: Mapped[bool | None] = mapped_column(Boolean)
    close_reason: Mapped[str | None] = mapped_column(String(20))
    callback_missing: Mapped[bool] = mapped_column(Boolean, default=False)
    referral: Mapped[str | None] = mapped_column(String(128))
    duplicate_of: Mapped[str | None] = mapped_column(String(16))
    published: Mapped[bool] = mapped_column(Boolean, default=False)  # grievances on the public board
    # The only free text the public board shows: written or approved by staff, never the resident's words.
    public_summary: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(DateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_activity_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        one_of("ck_tickets_status", "status", TicketStatus),
        one_of("ck_tickets_close_reason", "close_reason", CloseReason, nullable=True),
        Index("ix_tickets_status_activity", "status", "last_activity_at"),
        Index("ix_tickets_courtyard_created", "courtyard_id", "created_at"),
        Index("ix_tickets_status_accept_due", "status", "accept_due_at"),
        Index("ix_tickets_created", "created_at"),
        # The JSON API's list, urgent first then newest (migration 0021): /api/tickets p50 641 → 6–12 ms for the
        # street, 312 → 9–11 ms for a community's token, at 1M tickets in 20 communities (bench/street.py).
        Index("ix_tickets_urgent_id", "urgent", "id"),
        # The workbench's open-ticket queues walk this urgent first, then newest activity, with keyset
        # paging; partial, so the closed bulk of a million tickets is never read.
        Index(
            "ix_tickets_open_urgent_activity",
            "urgent",
            "last_activity_at",
            "id",
            postgresql_where=sql_text("status IN ('received', 'dispatched', 'accepted', 'triage', 'awaiting_callback')"),
            sqlite_where=sql_text("status IN ('received', 'dispatched', 'accepted', 'triage', 'awaiting_callback')"),
        ),
    )

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


class TicketEvent(Tenant, Base):
    """One row per transition or note: the ledger, rates and timeline are computed from these."""

    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64), default="system")  # openid, staff username or "system"
    actor_name: Mapped[str | None] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    ticket: Mapped[Ticket] = relationship(back_populates="events")

    __table_args__ = (
        one_of("ck_ticket_events_kind", "kind", EventKind),
        Index("ix_ticket_events_ticket", "ticket_id", "id"),
        Index("ix_ticket_events_kind_at", "kind", "at"),
        Index("ix_ticket_events_at", "at"),  # the rates read one month of the log at a time
    )


class MonthlyRates(Base):
    """A month's rates (bot.services.rates.cache) once nothing can change them any more: the rates page's
    11 earlier months are read from here instead of being recomputed from the event log."""

    __tablename__ = "monthly_rates"
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # 'YYYY-MM', Beijing time
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # {courtyard or "_all": Rates.to_dict()}
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class InboundMessage(Tenant, Base):
    """Every accepted webhook body, raw, for audit and replay."""

    __tablename__ = "inbound_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(160), unique=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    msg_type: Mapped[str] = mapped_column(String(32))
    event: Mapped[str | None] = mapped_column(String(32))
    raw: Mapped[str] = mapped_column(Text)  # decrypted XML
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="received")  # received | handled | failed
    error: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))

    __table_args__ = (Index("ix_inbound_status", "status", "received_at"),)


class Push(Tenant, Base):
    """An outbound message to a member, resident or staff; `client_msg_id` makes resends idempotent."""

    __tablename__ = "pushes"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    openid: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # task | reminder | escalation | notice | callback | reply
    channel: Mapped[str] = mapped_column(String(16), default="template")  # template | custom
    client_msg_id: Mapped[str] = mapped_column(String(64), unique=True)
    template_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|delivered|failed|unknown
    wechat_msgid: Mapped[str | None] = mapped_column(String(32), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Set in the transaction that commits BEFORE a customer-service send (no idempotency key at
    # WeChat): once set, the push is never sent as customer-service text again.
    custom_tried_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (one_of("ck_pushes_kind", "kind", PushKind), one_of("ck_pushes_status", "status", PushStatus))


class Media(Tenant, Base):
    __tablename__ = "media"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    openid: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # image | voice | video
    media_id: Mapped[str] = mapped_column(String(128))
    path: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | stored | failed
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    purpose: Mapped[str | None] = mapped_column(String(16))  # "understand": a voice message still to be heard
    transcript: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[float | None] = mapped_column(Float)
    error: Mapped[str | None] = mapped_column(String(255))
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime)


class MediaBlob(Base):
    """The bytes of one media item in shared storage: `original` as WeChat sent it, `playable` a copy
    a browser plays (voice: Opus). In `data` (the database, the default) or at `path` under the
    configured shared directory."""

    __tablename__ = "media_blobs"
    __table_args__ = (UniqueConstraint("media_row_id", "variant"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    media_row_id: Mapped[int] = mapped_column(ForeignKey("media.id", ondelete="CASCADE"))
    variant: Mapped[str] = mapped_column(String(16))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    path: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Event(Tenant, Base):
    """A community activity residents sign up for."""

    __tablename__ = "events"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(128))
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    place: Mapped[str] = mapped_column(String(128))
    courtyard_id: Mapped[str | None] = mapped_column(String(16))  # None: the whole community
    capacity: Mapped[int] = mapped_column(Integer, default=30)
    description: Mapped[str] = mapped_column(Text, default="")
    reminder_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # scheduled | cancelled (bot.domain.vocabulary.EventStatus); a cancelled one keeps its roster
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.scheduled.value,
                                        server_default=EventStatus.scheduled.value)
    cancel_reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (one_of("ck_events_status", "status", EventStatus),)

    @property
    def cancelled(self) -> bool:
        return self.status == EventStatus.cancelled.value

    registrations: Mapped[list[Registration]] = relationship(
        back_populates="event", order_by="Registration.id", cascade="all, delete-orphan"
    )


class Registration(Tenant, Base):
    __tablename__ = "registrations"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    openid: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default="registered")  # registered|waitlist|cancelled
    checked_in: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # '' for the resident's own place; a name for someone they signed up (俺老伴也想去，他叫李长顺)
    guest: Mapped[str] = mapped_column(String(32), default="", server_default="")

    event: Mapped[Event] = relationship(back_populates="registrations")
    __table_args__ = (UniqueConstraint("event_id", "openid", "guest", name="uq_registration_event_openid_guest"),)


class StaffUser(Base):
    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="staff")  # admin | street | staff | council
    courtyard_id: Mapped[str | None] = mapped_column(String(16))
    # staff and council accounts: their community; admin and street: None (every community)
    community_id: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Bumped on logout and password change: every session cookie carrying an older value is void.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ApiToken(Base):
    """A bearer token for /api/, stored as its sha256 (tokens are random, so no slow hash is needed)."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(8), default="read")  # read | write
    courtyard_id: Mapped[str | None] = mapped_column(String(16))  # None: every courtyard
    community_id: Mapped[int | None] = mapped_column(Integer)  # None: every community (made by the admin)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class LabelledExample(Base):
    """Staff reclassifications, kept so `steward train` can fold them into the classifier."""

    __tablename__ = "labelled_examples"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(16))
    subcategory: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32), default="reclassify")
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class CalendarDay(Base):
    """A holiday or a 调休 make-up working day; seeded from `chinesecalendar`, edited by staff for a
    year the package does not know yet (bot.services.dispatch.workcalendar)."""

    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # holiday | workday
    name: Mapped[str] = mapped_column(String(64), default="")
    source: Mapped[str] = mapped_column(String(16), default="staff")  # package | staff
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (CheckConstraint("kind IN ('holiday', 'workday')", name="ck_calendar_days_kind"),)


class MonthlyProblem(Tenant, Base):
    """每月一题: the month's most frequent unsolved topic, confirmed by staff and tracked to the end."""

    __tablename__ = "monthly_problems"
    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), index=True)  # 'YYYY-MM' it was chosen for
    courtyard_id: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    subcategory: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="")
    confirmed_by: Mapped[str] = mapped_column(String(64))
    confirmed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    tickets: Mapped[list[MonthlyProblemTicket]] = relationship(cascade="all, delete-orphan")
    __table_args__ = (UniqueConstraint("month", "courtyard_id", name="uq_monthly_problem_month_courtyard"),)


class MonthlyProblemTicket(Base):
    __tablename__ = "monthly_problem_tickets"
    problem_id: Mapped[int] = mapped_column(ForeignKey("monthly_problems.id", ondelete="CASCADE"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
class Handoff(Tenant, Base):
    """A resident asked for a person (转人工): the bot stays quiet for them until `until` or release."""

    __tablename__ = "handoffs"
    id: Mapped[int] = mapped_column(primary_key=True)
    openid: Mapped[str] = mapped_column(String(64))
    said: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    until: Mapped[datetime] = mapped_column(DateTime)
    staff: Mapped[str | None] = mapped_column(String(64))  # who replied or released (username)
    released_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (Index("ix_handoffs_open", "released_at", "asked_at"), Index("ix_handoffs_openid", "openid"))


# The community's structure lives beside (same Base, same metadata); re-exported for the callers.
from bot.storage.community_models import AuditEntry as AuditEntry  # noqa: E402
from bot.storage.community_models import Community as Community  # noqa: E402
from bot.storage.community_models import CouncilMember as CouncilMember  # noqa: E402
from bot.storage.community_models import CourtyardRow as CourtyardRow  # noqa: E402
from bot.storage.community_models import FaqRow as FaqRow  # noqa: E402
from bot.storage.community_models import MemberInvitation as MemberInvitation  # noqa: E402
from bot.storage.community_models import OutsidePartyRow as OutsidePartyRow  # noqa: E402
from bot.storage.guard_models import Deployment as Deployment  # noqa: E402
from bot.storage.guard_models import UsedQuery as UsedQuery  # noqa: E402
from bot.storage.intake_models import TicketIntake as TicketIntake  # noqa: E402
from bot.storage.referral_models import Referral as Referral  # noqa: E402
