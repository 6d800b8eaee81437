"""Referrals to and from outside desks (12345, the property company, the power or water company).

`out`: a ticket that is not the community's business, handed to a configured outside party; the
outside reference is theirs. `in`: a 派单 from an outside party (12345) that opened a ticket here;
its result is reported back to the party when the ticket closes (`reported_at`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.domain.clock import utcnow
from bot.storage.base import Base
from bot.storage.tenancy import Tenant

DIRECTIONS = ("out", "in")
HOWS = ("open311", "webhook", "phone")
STATES = ("pending", "sent", "open", "closed", "failed")


class Referral(Tenant, Base):
    __tablename__ = "referrals"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(4))
    party: Mapped[str] = mapped_column(String(32))
    party_name: Mapped[str] = mapped_column(String(64))
    how: Mapped[str] = mapped_column(String(8))
    outside_ref: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(8), default="pending")
    note: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reported_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint("direction IN ('out', 'in')", name="ck_referrals_direction"),
        CheckConstraint("how IN ('open311', 'webhook', 'phone')", name="ck_referrals_how"),
        CheckConstraint("state IN ('pending', 'sent', 'open', 'closed', 'failed')", name="ck_referrals_state"),
        # a 派单 opens one ticket; referrals out may share a reference (the desk merged them)
        Index("uq_referrals_in_ref", "party", "outside_ref", unique=True, sqlite_where=text("direction = 'in'"),
              postgresql_where=text("direction = 'in'")),
        Index("ix_referrals_out_ref", "outside_ref"),
        Index("ix_referrals_state", "direction", "state"),
    )
