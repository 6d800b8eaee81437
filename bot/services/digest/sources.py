"""What the monthly digest reads: a month's tickets as topic items, residents' thanks from the
stored inbound messages, the events held. Only what is printed (anonymised) leaves this module;
residents' names are read only to be struck out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from html import unescape

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain import gooddeeds
from bot.domain.topics import Item
from bot.storage.models import Event, InboundMessage, Registration, Resident, Ticket

_CONTENT = re.compile(r"<Content>\s*(?:<!\[CDATA\[(.*?)\]\]>|([^<]*))\s*</Content>", re.S)
NOT_TOPICS = ("event",)  # sign-ups are counted with the events, not as residents' problems


def items(session: Session, start: datetime, end: datetime) -> list[Item]:
    rows = session.execute(
        select(Ticket.id, Ticket.ref, Ticket.text, Ticket.category, Ticket.subcategory, Ticket.courtyard_id,
               Ticket.status, Ticket.close_reason, Ticket.created_at, Ticket.resident_openid, Ticket.duplicate_of)
        .where(Ticket.created_at >= start, Ticket.created_at < end, Ticket.category.not_in(NOT_TOPICS))
        .order_by(Ticket.created_at, Ticket.id)
    ).all()
    return [Item(r.id, r.ref or "", r.text, r.category, r.subcategory, r.courtyard_id, r.status, r.close_reason,
                 r.created_at, r.resident_openid, r.duplicate_of) for r in rows]


def resident_names(session: Session) -> set[str]:
    """Every name a resident gave (profile, sign-ups): struck out of anything printed."""
    names = set(session.scalars(select(Resident.name).where(Resident.name.is_not(None))))
    names |= set(session.scalars(select(Registration.name).where(Registration.name.is_not(None))))
    return {n for n in names if n}


@dataclass(frozen=True)
class Thanks:
    courtyard_id: str | None
    who: str
    words: str
    at: datetime


def _content(raw: str) -> str:
    m = _CONTENT.search(raw or "")
    return unescape(m.group(1) if m and m.group(1) is not None else (m.group(2) if m else "") or "")


def thanks(session: Session, config: Config, start: datetime, end: datetime, names: set[str]) -> list[Thanks]:
    rows = session.execute(
        select(InboundMessage.raw, InboundMessage.received_at, Resident.courtyard_id)
        .outerjoin(Resident, Resident.openid == InboundMessage.openid)
        .where(InboundMessage.msg_type == "text", InboundMessage.received_at >= start,
               InboundMessage.received_at < end)
        .order_by(InboundMessage.received_at)
    ).all()
    out = []
    for raw, at, courtyard in rows:
        text = _content(raw)
        deed = gooddeeds.recognise(text, config.members)
        if deed is None:
            continue
        yard = deed.member.courtyard if deed.member else courtyard
        out.append(Thanks(yard, deed.who, gooddeeds.printable(text, deed, config.members, names), at))
    return out


@dataclass(frozen=True)
class EventHeld:
    title: str
    courtyard_id: str | None
    starts_at: datetime
    place: str
    capacity: int
    registered: int
    checked_in: int

    @property
    def attendance(self) -> float | None:
        """Those who came (checked in; without a check-in list, those registered) / the places."""
        came = self.checked_in or self.registered
        return came / self.capacity if self.capacity else None


def events_held(session: Session, start: datetime, end: datetime, now: datetime) -> list[EventHeld]:
    registered = func.sum(case((Registration.status == "registered", 1), else_=0))
    came = func.sum(case((Registration.checked_in.is_(True), 1), else_=0))
    rows = session.execute(
        select(Event.title, Event.courtyard_id, Event.starts_at, Event.place, Event.capacity,
               func.coalesce(registered, 0), func.coalesce(came, 0))
        .outerjoin(Registration, Registration.event_id == Event.id)
        .where(Event.starts_at >= start, Event.starts_at < min(end, now))
        .group_by(Event.id).order_by(Event.starts_at)
    ).all()
    return [EventHeld(r[0], r[1], r[2], r[3], r[4], int(r[5]), int(r[6])) for r in rows]
