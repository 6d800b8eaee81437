"""Open311 GeoReport v2, the logic (the blueprint `bot.web.open311` renders it as JSON or XML).

Services are the categories and their subcategories; a request opens a ticket through the same
intake as a phone report (`inbound.staff_intake`), so routing, deadlines, the dispatch job and the
rates are those of a WeChat message. An answer never carries a resident's name, phone, openid or
words: requests are read from the public columns only (as the public board does), and the one text,
the public summary, goes through `bot.domain.public_scrub`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain.clock import utcnow
from bot.domain.public_scrub import scrub
from bot.domain.vocabulary import CLOSE_REASONS, OPEN_STATUSES, STATUS_LABELS
from bot.services.inbound import staff_intake
from bot.storage.intake_models import TicketIntake
from bot.storage.models import Ticket
from handlers.classify import SUBCATEGORIES

SPEC = "http://wiki.open311.org/GeoReport_v2"
NEAR_METRES = 500.0
MAX_DAYS = 90
MAX_RESULTS = 1000
SUMMARY_LEN = 200


class Open311Error(Exception):
    """An error answered as the spec's list of code / description, with that HTTP status."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


@dataclass(frozen=True)
class Service:
    code: str
    category: str
    subcategory: str | None
    name: str
    group: str
    description: str
    keywords: str


def services(config: Config) -> list[Service]:
    """A service per category (its subcategory left to the classifier) and per subcategory."""
    out = []
    for key, label in staff_intake.categories(config).items():
        out.append(Service(key, key, None, label, label, f"{config.community}的{label}事项，由所在楼院理事会办理",
                           label))
        for i, sub in enumerate(SUBCATEGORIES.get(key, ())):
            out.append(Service(f"{key}-{i + 1:02d}", key, sub, sub, label,
                               f"{label}：{sub}，由所在楼院理事会办理", f"{label},{sub}"))
    return out


def service(config: Config, code: str) -> Service:
    for s in services(config):
        if s.code == code:
            return s
    raise Open311Error(404, f"没有这个服务代码：{code[:32]}")


def service_json(s: Service) -> dict[str, Any]:
    return {"service_code": s.code, "service_name": s.name, "description": s.description, "metadata": True,
            "type": "realtime", "keywords": s.keywords, "group": s.group}


def definition(config: Config, code: str) -> dict[str, Any]:
    s = service(config, code)
    values = [{"key": c.id, "name": c.name} for c in config.courtyards]
    return {"service_code": s.code, "attributes": [{
        "variable": True, "code": "courtyard", "datatype": "singlevaluelist", "required": False,
        "datatype_description": "所在楼院；也可以改传 lat / long 或 address_string", "order": 1,
        "description": "所在楼院", "values": values}]}


def check_jurisdiction(config: Config, jurisdiction_id: str | None) -> None:
    if jurisdiction_id and jurisdiction_id != config.community:
        raise Open311Error(404, f"本接口只服务于{config.community}（jurisdiction_id）")


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = (lat2 - lat1) * 111_320.0
    dx = (lon2 - lon1) * 111_320.0 * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(dx, dy)


def _float(value: str, name: str, low: float, high: float) -> float:
    try:
        out = float(value)
    except ValueError:
        raise Open311Error(400, f"{name} 应为数字") from None
    if not (low <= out <= high) or math.isnan(out):
        raise Open311Error(400, f"{name} 超出范围")
    return out


def locate(config: Config, courtyard: str | None, lat: str | None, long: str | None,
           address: str | None) -> str:
    """The courtyard id from the attribute, a position, or an address naming it."""
    if courtyard:
        if config.courtyard(courtyard) is None:
            raise Open311Error(400, "attribute[courtyard] 不是本社区的楼院，可选值见服务定义")
        return courtyard
    if lat or long:
        if not (lat and long):
            raise Open311Error(400, "lat 和 long 要一起传")
        y, x = _float(lat, "lat", -90, 90), _float(long, "long", -180, 180)
        near = [(_metres(y, x, c.lat, c.lon), c.id) for c in config.courtyards if c.lat is not None and c.lon is not None]
        if near and min(near)[0] <= NEAR_METRES:
            return min(near)[1]
        raise Open311Error(400, "这个位置不在本社区的楼院附近")
    if address:
        for c in config.courtyards:
            if any(n and n in address for n in (c.name, *c.aliases)):
                return c.id
        raise Open311Error(400, "address_string 里没有认出本社区的楼院，请改传 attribute[courtyard]")
    raise Open311Error(400, "需要所在楼院：attribute[courtyard]、lat / long 或 address_string 之一")


@dataclass(frozen=True)
class NewRequest:
    service_code: str
    description: str
    courtyard: str
    media_url: str | None = None
    name: str | None = None
    phone: str | None = None
    channel: str = "其他"


def create(session: Session, config: Config, req: NewRequest, actor: str, actor_name: str) -> Ticket:
    """Open the ticket as a phone report is opened (caller commits; the dispatch job follows the commit)."""
    s = service(config, req.service_code)
    report = staff_intake.Report(req.channel, req.courtyard, s.category, req.description, req.name, req.phone,
                                 (req.media_url,) if req.media_url else ())
    try:
        ticket = staff_intake.open_ticket(session, config, report, actor=actor, actor_name=actor_name)
    except staff_intake.IntakeError as exc:
        raise Open311Error(400, str(exc)) from None
    if s.subcategory and not ticket.subcategory:
        ticket.subcategory = s.subcategory  # the client chose it: routing asks for its skill
    return ticket


def _service_of(config: Config, category: str, sub: str | None) -> Service:
    by_code = {(s.category, s.subcategory): s for s in services(config)}
    return by_code.get((category, sub)) or by_code.get((category, None)) or Service(
        category, category, None, "其他", "其他", "", "")


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat(timespec="seconds") + "Z" if dt else None


def _notes(t: Ticket) -> str:
    if t.public_summary:
        return scrub(t.public_summary, SUMMARY_LEN)
    if t.status == "closed":
        return CLOSE_REASONS.get(t.close_reason or "", "已办结")
    return STATUS_LABELS.get(t.status, t.status)


def request_json(config: Config, t: Ticket, media: str | None) -> dict[str, Any]:
    """One request as the spec lists it: public facts only."""
    s = _service_of(config, t.category, t.subcategory)
    c = config.courtyard(t.courtyard_id)
    deadline = t.accept_due_at if t.status in ("received", "dispatched", "triage") else t.finish_due_at
    return {
        "service_request_id": t.ref, "status": "open" if t.status in OPEN_STATUSES else "closed",
        "status_notes": _notes(t), "service_name": s.name, "service_code": s.code,
        "description": scrub(t.public_summary, SUMMARY_LEN) if t.public_summary else "",  # never the resident's words
        "agency_responsible": f"{c.name}理事会" if c else f"{config.community}工作人员",
        "service_notice": "", "requested_datetime": _iso(t.created_at), "updated_datetime": _iso(t.last_activity_at),
        "expected_datetime": _iso(deadline if t.status != "closed" else None),
        "address": c.name if c else config.community, "address_id": t.courtyard_id or "",
        "lat": c.lat if c else None, "long": c.lon if c else None, "media_url": media or "",
    }


_PUBLIC = (Ticket.id, Ticket.ref, Ticket.category, Ticket.subcategory, Ticket.courtyard_id, Ticket.status,
           Ticket.close_reason, Ticket.public_summary, Ticket.created_at, Ticket.last_activity_at,
           Ticket.accept_due_at, Ticket.finish_due_at, Ticket.published)


def _media(session: Session, ids: list[int]) -> dict[int, str]:
    """Photo links that came in through Open311 itself (never a resident's WeChat media)."""
    rows = session.execute(select(TicketIntake.ticket_id, TicketIntake.photos)
                           .where(TicketIntake.ticket_id.in_(ids), TicketIntake.created_by.like("open311:%")))
    return {tid: photos[0] for tid, photos in rows if photos}


def _visible(scope: str | None) -> list[Any]:
    # Grievances show only when staff published them, as on the public board.
    cond: list[Any] = [(Ticket.category != "grievance") | Ticket.published.is_(True)]
    if scope:
        cond.append(Ticket.courtyard_id == scope)
    return cond


def _rows(session: Session, config: Config, stmt: Any) -> list[dict[str, Any]]:
    rows = session.execute(stmt).all()
    media = _media(session, [r.id for r in rows])
    return [request_json(config, Ticket(**{c.key: getattr(r, c.key) for c in _PUBLIC}), media.get(r.id)) for r in rows]


def get_one(session: Session, config: Config, ref: str, scope: str | None = None) -> list[dict[str, Any]]:
    out = _rows(session, config, select(*_PUBLIC).where(Ticket.ref == ref.strip().upper(), *_visible(scope)))
    if not out:
        raise Open311Error(404, f"没有这个服务请求：{ref[:32]}")
    return out


def _when(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} 应为 W3C 时间，例如 2026-01-01T00:00:00Z") from None
    if dt.tzinfo is not None:
        dt = (dt - dt.utcoffset()).replace(tzinfo=None)  # type: ignore[operator]
    return dt


def _list(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def query(session: Session, config: Config, args: dict[str, str | None], scope: str | None = None) -> list[dict[str, Any]]:
    """GET requests: by ids (overrides the rest), else service codes, dates (≤ 90 days) and status."""
    stmt = select(*_PUBLIC).where(*_visible(scope))
    ids = _list(args.get("service_request_id"))
    if ids:
        return _rows(session, config, stmt.where(Ticket.ref.in_([i.upper() for i in ids[:MAX_RESULTS]])))
    codes = _list(args.get("service_code"))
    if codes:
        chosen = [service(config, c) for c in codes]
        stmt = stmt.where(Ticket.category.in_([s.category for s in chosen if s.subcategory is None])
                          | Ticket.subcategory.in_([s.subcategory for s in chosen if s.subcategory]))
    end = _when(args.get("end_date"), "end_date")
    start = _when(args.get("start_date"), "start_date")
    if start and end and end < start:
        raise Open311Error(400, "end_date 早于 start_date")
    if start and end and end - start > timedelta(days=MAX_DAYS):
        raise Open311Error(400, f"start_date 到 end_date 不能超过 {MAX_DAYS} 天")
    end = end or ((start + timedelta(days=MAX_DAYS)) if start else utcnow())
    start = start or end - timedelta(days=MAX_DAYS)
    stmt = stmt.where(Ticket.created_at >= start, Ticket.created_at <= end)
    statuses = _list(args.get("status"))
    if any(s not in ("open", "closed") for s in statuses):
        raise Open311Error(400, "status 应为 open 或 closed")
    if statuses == ["open"]:
        stmt = stmt.where(Ticket.status.in_(list(OPEN_STATUSES)))
    elif statuses == ["closed"]:
        stmt = stmt.where(Ticket.status == "closed")
    return _rows(session, config, stmt.order_by(Ticket.created_at.desc()).limit(MAX_RESULTS))
