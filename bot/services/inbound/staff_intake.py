"""Staff-side intake: a report taken by phone, at the counter, on a 走访 or from 12345 opens a ticket
exactly as a WeChat message does — the same insert, the same dispatch job (routing, deadlines, the
task to the council), the same emergency alert, so the rates count it alike. The workbench's 新建工单
form and `POST /api/tickets` both call `open_ticket`.

A resident whose phone is known from WeChat gets the notices there (the ticket carries his openid);
otherwise the ticket has none and its 回访 is a phone call staff make (the 电话回访 queue).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.services.dispatch import emergencies
from bot.services.tickets import lifecycle as tickets
from bot.services.tickets import merges
from bot.services.uow import jobs, outbox
from bot.storage.intake_models import CHANNELS, TicketIntake
from bot.storage.models import Resident, Ticket
from handlers import emergency
from handlers.classify import classify

TEXT_MAX = 2000
PHOTOS_MAX = 9
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")
_URL = re.compile(r"^https?://[^\s<>\"']{3,490}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class IntakeError(ValueError):
    """The report was refused; the message is plain Chinese, shown as it is."""


@dataclass(frozen=True)
class Report:
    channel: str
    courtyard: str
    category: str
    text: str
    resident_name: str | None = None
    resident_phone: str | None = None
    photos: tuple[str, ...] = field(default_factory=tuple)


def categories(config: Config) -> dict[str, str]:
    """The categories a ticket may be opened in (activities are signed up for, not reported)."""
    return {k: c.name for k, c in config.categories.items() if k != "event"}


def _clean(value: str | None, label: str, limit: int) -> str | None:
    value = (value or "").strip()
    if _CONTROL.search(value):
        raise IntakeError(f"「{label}」里有不允许的控制字符")
    if len(value) > limit:
        raise IntakeError(f"「{label}」太长了（最多 {limit} 个字）")
    return value or None


def check(config: Config, report: Report) -> Report:
    """The report with its values trimmed, or IntakeError naming the first problem."""
    if report.channel not in CHANNELS:
        raise IntakeError(f"「渠道」应为 {'、'.join(CHANNELS)} 之一")
    if config.courtyard(report.courtyard) is None:
        raise IntakeError("「楼院」不存在，请从列表里选择")
    if report.category not in categories(config):
        raise IntakeError(f"「分类」应为 {'、'.join(categories(config).values())} 之一")
    text = _clean(report.text, "反映内容", TEXT_MAX)
    if not text:
        raise IntakeError("「反映内容」不能为空")
    name = _clean(report.resident_name, "居民姓名", 32)
    phone = _clean(report.resident_phone, "居民电话", 20)
    if phone and not _PHONE.match(phone):
        raise IntakeError("「居民电话」应为电话号码，例如 13800138000 或 0371-12345678")
    photos = tuple(p.strip() for p in report.photos if p and p.strip())
    if len(photos) > PHOTOS_MAX:
        raise IntakeError(f"「照片」最多 {PHOTOS_MAX} 张")
    for url in photos:
        if not _URL.match(url):
            raise IntakeError("「照片」应为以 http:// 或 https:// 开头的网址")
    return Report(report.channel, report.courtyard, report.category, text, name, phone, photos)


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)


def resident_by_phone(session: Session, phone: str | None) -> str | None:
    """The openid of the resident who gave this phone in WeChat (one, the latest), or None."""
    if not phone:
        return None
    forms = {phone, _digits(phone)}
    return session.scalars(select(Resident.openid).where(Resident.phone.in_(forms), Resident.subscribed)
                           .order_by(Resident.id.desc()).limit(1)).first()


def open_ticket(session: Session, config: Config, report: Report, actor: str, actor_name: str) -> Ticket:
    """Open the ticket (caller commits); the dispatch job is enqueued after the commit."""
    report = check(config, report)
    cls = classify(report.text)
    sub = cls.subcategory if cls.category == report.category else None  # the skill routing asks for
    danger = emergency.read(report.text)
    openid = resident_by_phone(session, report.resident_phone)
    ticket = tickets.create_ticket(
        session, category=report.category, subcategory=sub, courtyard=report.courtyard, text=report.text,
        urgent=danger is not None, confidence=1.0, resident_openid=openid, actor=actor, actor_name=actor_name,
        note=f"{report.channel}受理" + ("（居民已绑定微信，进展发到微信）" if openid else ""),
    )
    session.add(TicketIntake(ticket_id=ticket.id, channel=report.channel, resident_name=report.resident_name,
                             resident_phone=report.resident_phone, photos=list(report.photos), created_by=actor))
    if danger is not None:  # staff hear of danger at once, not when a deadline is missed
        emergencies.alert_staff(session, config, ticket, danger.kind)
    merges.suggest(session, config, ticket)
    outbox.add(session, jobs.dispatch_job(ticket.id, fresh=True, urgent=bool(ticket.urgent)))
    return ticket


def intake_of(session: Session, ticket_id: int) -> TicketIntake | None:
    return session.get(TicketIntake, ticket_id)
