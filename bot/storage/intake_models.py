"""How a ticket entered when it did not come through WeChat: staff's 新建工单 and the JSON API."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.domain.clock import utcnow
from bot.storage.base import Base
from bot.storage.tenancy import Tenant

CHANNELS = ("电话", "来访", "走访", "12345", "其他")


class TicketIntake(Tenant, Base):
    """The channel, the resident's name and phone as staff wrote them down, photo links, and who took
    it. A ticket without a resident openid is called back by phone (电话回访) from here."""

    __tablename__ = "ticket_intakes"
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    resident_name: Mapped[str | None] = mapped_column(String(32))
    resident_phone: Mapped[str | None] = mapped_column(String(20), index=True)
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("channel IN ('电话', '来访', '走访', '12345', '其他')", name="ck_ticket_intakes_channel"),
        Index("ix_ticket_intakes_created", "created_at"),
    )
