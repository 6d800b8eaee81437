"""Erasure on request (个人信息保护法 第四十七条): `steward resident erase OPENID|PHONE` and the admin's
workbench action. The resident's name, phone and unit, the words of their tickets and events, their
raw messages, voice and photos (rows and bytes), their registrations' personal fields, pushes and
hand-offs, and their dialogue state in Redis are removed or replaced. The tickets stay, anonymised
(category, courtyard, statuses, dates, ratings), so the rates and the ledger still count them: their
reporter becomes a random `erased-…` token, the same on every row of one erasure, linked to nothing.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from bot.services.media import store as media_store
from bot.services.uow import audit
from bot.services.uow.steward import Steward
from bot.storage import spool
from bot.storage.models import (
    Handoff,
    InboundMessage,
    LabelledExample,
    Media,
    Push,
    Registration,
    Resident,
    Ticket,
    TicketEvent,
    TicketIntake,
)

PLACEHOLDER = "（已按居民要求删除）"
# Keys of bot.services.inbound (intake.DIALOGUE_KEY, dialogue_lock.LOCK_KEY, receive.SEEN_KEY), which
# this layer may not import; tests/test_erasure.py checks them against the originals.
REDIS_KEYS = ("steward:dialogue:{}", "steward:dialogue-lock:{}")
REDIS_PATTERNS = ("steward:seen:msg:{}:*", "steward:seen:evt:{}:*")
_PHONE = re.compile(r"^\+?[\d\s\-]{7,24}$")
_GLOB = re.compile(r"[*?\[\]\\]")  # Redis MATCH specials, escaped in an openid


class ErasureError(ValueError):
    """The identifier is not usable; the message is Chinese."""


class NobodyFound(ErasureError):
    """Nothing to erase for this openid or phone."""


@dataclass
class Erased:
    token: str = ""
    residents: int = 0
    tickets: int = 0
    events: int = 0
    messages: int = 0
    media: int = 0
    files: int = 0
    registrations: int = 0
    pushes: int = 0
    handoffs: int = 0
    examples: int = 0
    redis_keys: int = 0
    spooled: int = 0

    def to_dict(self) -> dict[str, int | str]:
        return asdict(self)

    def summary(self) -> str:
        return (f"已删除居民信息（匿名编号 {self.token}）：工单 {self.tickets} 件已匿名，记录 {self.events} 条，"
                f"原始消息 {self.messages} 条，照片和语音 {self.media} 个，报名 {self.registrations} 条，"
                f"推送 {self.pushes} 条，转人工 {self.handoffs} 条，对话状态 {self.redis_keys} 项，"
                f"待重放的消息 {self.spooled} 条")


def _digits(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return digits[2:] if digits.startswith("86") and len(digits) == 13 else digits


def _phone(who: str) -> str | None:
    return _digits(who) if _PHONE.match(who) else None


def _with_phone(session: Session, key: Any, column: Any, phone: str) -> list[Any]:
    """Rows whose phone is this one in any writing (spaces, dashes, +86): candidates by the last four
    digits in SQL, compared digit by digit here."""
    rows = session.execute(select(key, column).where(column.like(f"%{phone[-4:]}")))
    return [k for k, value in rows if value and _digits(value) == phone]


def _openids(session: Session, who: str, phone: str | None) -> list[str]:
    if phone is not None:
        return sorted(set(_with_phone(session, Resident.openid, Resident.phone, phone)))
    found = (session.scalar(select(Resident.id).where(Resident.openid == who))
             or session.scalar(select(Ticket.id).where(Ticket.resident_openid == who).limit(1))
             or session.scalar(select(InboundMessage.id).where(InboundMessage.openid == who).limit(1))
             or session.scalar(select(Registration.id).where(Registration.openid == who).limit(1)))
    return [who] if found else []


def erase_rows(session: Session, who: str, actor: str, address: str | None = None) -> tuple[Erased, list[str], list[str]]:
    """Everything in the database, in `session`'s transaction: (counts, the openids, media files to delete
    after the commit)."""
    who = (who or "").strip()
    if not who or len(who) > 64:
        raise ErasureError("请给出居民的 openid 或电话号码")
    phone = _phone(who)
    openids = _openids(session, who, phone)
    intake_ids = set(_with_phone(session, TicketIntake.ticket_id, TicketIntake.resident_phone, phone)) if phone else set()
    reg_ids = _with_phone(session, Registration.id, Registration.phone, phone) if phone else []
    reg_filter = or_(Registration.openid.in_(openids), Registration.id.in_(reg_ids))
    if not openids and not intake_ids and not session.scalar(select(Registration.id).where(reg_filter).limit(1)):
        raise NobodyFound(f"没有找到这位居民（{'电话' if phone else 'openid'}：{who}）")
    out = Erased(token=f"erased-{secrets.token_hex(8)}")
    tickets = list(session.scalars(select(Ticket).where(
        or_(Ticket.resident_openid.in_(openids), Ticket.id.in_(intake_ids)))))
    for t in tickets:
        words = t.text
        t.text = PLACEHOLDER
        if t.resident_openid in openids:
            t.resident_openid = out.token
        out.events += _events_on(session, t.id, words)
        # a staff reclassification kept the words as a training example (`steward train`)
        out.examples += _rowcount(session.execute(delete(LabelledExample).where(LabelledExample.text == words)))
    out.tickets = len(tickets)
    session.execute(update(TicketIntake).where(TicketIntake.ticket_id.in_({t.id for t in tickets}))
                    .values(resident_name=None, resident_phone=None, photos=[]))
    out.events += _rowcount(session.execute(
        update(TicketEvent).where(TicketEvent.actor.in_(openids), TicketEvent.note.is_not(None))
        .values(note=PLACEHOLDER)))
    session.execute(update(TicketEvent).where(TicketEvent.actor.in_(openids)).values(actor=out.token, actor_name=None))
    out.messages = _rowcount(session.execute(delete(InboundMessage).where(InboundMessage.openid.in_(openids))))
    media_ids = list(session.scalars(select(Media.id).where(Media.openid.in_(openids))))
    files = media_store.drop(session, media_ids)
    out.media = _rowcount(session.execute(delete(Media).where(Media.id.in_(media_ids))))
    for reg in session.scalars(select(Registration).where(reg_filter)):
        reg.name = reg.phone = None
        reg.guest = f"（已删除{reg.id}）" if reg.guest else ""
        if reg.openid in openids:
            reg.openid = out.token
        out.registrations += 1
    out.pushes = _rowcount(session.execute(delete(Push).where(Push.openid.in_(openids))))
    out.handoffs = _rowcount(session.execute(delete(Handoff).where(Handoff.openid.in_(openids))))
    out.residents = _rowcount(session.execute(delete(Resident).where(Resident.openid.in_(openids))))
    out.files = len(files)
    audit.record(session, actor, "resident_erase", f"居民 {out.token}",
                 after={k: v for k, v in out.to_dict().items() if k not in ("token", "redis_keys", "spooled")}, address=address)
    return out, openids, files


def _events_on(session: Session, ticket_id: int, words: str) -> int:
    """The ticket's own words quoted in its events (its first event, a staff intake's note)."""
    return _rowcount(session.execute(update(TicketEvent).where(
        TicketEvent.ticket_id == ticket_id, TicketEvent.note == words).values(note=PLACEHOLDER)))


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def forget_in_redis(steward: Steward, openids: list[str]) -> int:
    """The dialogue state, lock and remembered replies of these openids."""
    r = steward.redis
    keys: list[str] = [k.format(o) for o in openids for k in REDIS_KEYS]
    for o in openids:
        for pattern in REDIS_PATTERNS:
            match = pattern.format(_GLOB.sub(r"\\\g<0>", o))
            keys += [k.decode() if isinstance(k, bytes) else k for k in r.scan_iter(match=match, count=500)]
    return int(r.delete(*keys)) if keys else 0


def forget_spooled(steward: Steward, openids: list[str]) -> int:
    """Their messages waiting in this machine's spool (a database outage), or set aside by replay."""
    folder = spool.spool_dir(steward.config)
    prefixes = tuple(f"{kind}:{o}:" for o in openids for kind in ("msg", "evt"))
    gone = 0
    for path in [*folder.glob("*.json"), *(folder / spool.BROKEN).glob("*.json")] if prefixes else []:
        try:
            key, _ = spool.load(path)
        except Exception:  # noqa: BLE001 — unreadable: replay sets it aside, it is not ours to judge
            continue
        if key.startswith(prefixes):
            path.unlink(missing_ok=True)
            gone += 1
    return gone


def erase(steward: Steward, who: str, actor: str, address: str | None = None) -> Erased:
    """Erase one resident: the database in one transaction, then the files and Redis."""
    with steward.session() as s:
        out, openids, files = erase_rows(s, who, actor, address)
    media_store.unlink(steward.config, files)
    out.redis_keys = forget_in_redis(steward, openids)
    out.spooled = forget_spooled(steward, openids)
    return out


class _DryRun(Exception):
    def __init__(self, found: Erased) -> None:
        self.found = found


def preview(steward: Steward, who: str) -> Erased:
    """What `erase` would do, for the confirmation step: the same statements, rolled back."""
    try:
        with steward.session() as s:
            found, _, _ = erase_rows(s, who, "preview")
            raise _DryRun(found)
    except _DryRun as dry:
        return dry.found
