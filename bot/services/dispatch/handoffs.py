"""Hand-offs to a person (转人工): the row the workbench lists, the staff alert, staff replies as
customer-service messages, and the release that gives the conversation back to the bot."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain import conversation_texts as texts
from bot.domain.clock import utcnow
from bot.domain.vocabulary import PushKind
from bot.services.push.send import queue_push
from bot.storage.models import Handoff, Resident


def active(session: Session, openid: str | None = None) -> list[Handoff]:
    """Hand-offs not released and not past their time, newest first (one resident's when `openid`)."""
    stmt = select(Handoff).where(Handoff.released_at.is_(None), Handoff.until > utcnow())
    if openid is not None:
        stmt = stmt.where(Handoff.openid == openid)
    return list(session.scalars(stmt.order_by(Handoff.id.desc())))


def open_handoff(session: Session, config: Config, openid: str, said: str, minutes: float) -> Handoff:
    """One open hand-off per resident (asking again extends it); staff told on WeChat once per hand-off."""
    now = utcnow()
    until = now + timedelta(minutes=minutes)
    current = active(session, openid)
    if current:
        current[0].until = until
        return current[0]
    row = Handoff(openid=openid, said=said, asked_at=now, until=until)
    session.add(row)
    session.flush()
    resident = session.scalars(select(Resident).where(Resident.openid == openid)).first()
    where = config.courtyard_name(resident.courtyard_id if resident else None)
    content, text = texts.handoff_staff(config, said, where, f"{config.public_url}/staff/handoffs/")
    for staff in config.staff_openids:
        queue_push(session, config, ticket=None, openid=staff, kind=PushKind.handoff.value, tag=f"h{row.id}",
                   content=content, text=text, url=f"{config.public_url}/staff/handoffs/")
    return row


def reply(session: Session, config: Config, row: Handoff, staff: str, text: str, n: int) -> None:
    """A staff member's words to the resident, sent as a customer-service message (after commit)."""
    row.staff = staff
    content = {"title": "社区工作人员回复", "ref": "", "place": "", "what": text[:20], "deadline": "", "status": "",
               "how": text, "note": text}
    queue_push(session, config, ticket=None, openid=row.openid, kind=PushKind.reply.value, tag=f"h{row.id}-{n}",
               content=content, text=f"社区工作人员：{text}")


def release(session: Session, row: Handoff, staff: str) -> None:
    row.released_at, row.staff = utcnow(), staff
