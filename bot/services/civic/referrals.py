"""Referrals (转办) to and from outside desks: 12345, the property company, the power or water company.

Out: staff refer a ticket that is not the community's business (`refer`); it is closed as
not_responsible naming the party (the rates leave it out, as `[rates] excluded_reasons` says), a
`referrals` row keeps the outside reference, and `deliver` hands it over after the commit — to
the party's Open311 endpoint (POST requests), its webhook, or, by phone, to staff. The party's
status updates come back through POST /open311/v2/updates (`update`): an event on the timeline, and
the resident is told.

In: a 派单 from a party (12345) posted to our Open311 endpoint with its outside reference
(`receive`) opens a ticket like any report, channel 12345; when the ticket closes, the periodic
sweep (`report_closed`) posts the result back to the party.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain.clock import utcnow
from bot.domain.public_scrub import scrub
from bot.domain.vocabulary import CLOSE_REASONS
from bot.services.casework import staff
from bot.services.civic import georeport as geo
from bot.services.push import notices
from bot.services.tickets import lifecycle as tickets
from bot.services.uow.steward import Steward
from bot.storage.models import Ticket
from bot.storage.referral_models import Referral

log = logging.getLogger(__name__)
TIMEOUT = 10
MAX_ATTEMPTS = 5
STATUS_WORDS = {"open": "办理中", "closed": "已办结"}


@dataclass
class _Who:
    username: str
    name: str


STATE_WORDS = {"pending": "待送达", "sent": "已送达", "open": "办理中", "closed": "已办结", "failed": "送达失败"}


def of_ticket(session: Session, ticket_id: int) -> list[dict[str, Any]]:
    """The ticket's referrals as the ticket page lists them."""
    rows = session.scalars(select(Referral).where(Referral.ticket_id == ticket_id).order_by(Referral.id))
    return [{"direction": "转出" if r.direction == "out" else "派入", "party": r.party_name, "waiting": r.state in (
             "pending", "failed") and r.direction == "out",
             "outside_ref": r.outside_ref or "（对方未给编号）", "state": STATE_WORDS.get(r.state, r.state)} for r in rows]


def party(config: Config, key: str) -> dict[str, str]:
    found = config.outside_parties.get(key)
    if found is None:
        raise geo.Open311Error(400, f"没有这个外部单位：{key[:32]}")
    return found


def refer(session: Session, config: Config, ticket: Ticket, key: str, username: str, name: str,
          note: str | None = None) -> Referral:
    """Close the ticket as not the community's business, referred to `key` (caller commits, then `deliver`)."""
    p = party(config, key)
    staff.close(session, ticket, _Who(username, name), "not_responsible", p["name"], note, config)
    row = Referral(ticket_id=ticket.id, direction="out", party=key, party_name=p["name"],
                   how=p.get("referral") or "phone", state="pending", note=(note or "")[:500] or None,
                   created_by=f"staff:{username}"[:64], attempts=0)
    session.add(row)
    session.flush()
    return row


def _post(p: dict[str, str], path: str, data: dict[str, Any]) -> dict[str, Any]:
    """POST to the party: form fields to its Open311 endpoint, JSON to its webhook; the first item."""
    if p.get("referral") == "open311":
        body = data | {"api_key": p.get("api_key", ""), "jurisdiction_id": p.get("jurisdiction_id", "")}
        resp = requests.post(p["endpoint"].rstrip("/") + path, data=body, timeout=TIMEOUT)
    else:
        headers = {"Authorization": f"Bearer {p['api_key']}"} if p.get("api_key") else {}
        resp = requests.post(p["endpoint"], json=data, headers=headers, timeout=TIMEOUT)
    resp.raise_for_status()
    out = resp.json() if resp.content else {}
    first = out[0] if isinstance(out, list) and out else out
    return dict(first) if isinstance(first, dict) else {}


def deliver(steward: Steward, referral_id: int) -> str:
    """Hand the referral over; its state: sent (with the outside reference), pending (retry, or by phone)."""
    cfg = steward.config
    with steward.session() as s:
        row = s.get(Referral, referral_id)
        if row is None or row.state != "pending":
            return row.state if row else "missing"
        t = s.get(Ticket, row.ticket_id)
        p = cfg.outside_parties.get(row.party, {})
        c = cfg.courtyard(t.courtyard_id if t else None)
        if row.how == "phone" or not p.get("endpoint"):
            if t is not None and row.attempts == 0:
                tickets.add_event(s, t, "note", note=f"请电话转交{row.party_name}：{p.get('phone') or '（未配置电话）'}")
            row.attempts += 1
            return row.state
        data = {"service_code": p.get("service_code", ""), "description": scrub(t.text if t else "", 1000),
                "address_string": c.name if c else cfg.community, "lat": c.lat if c else "", "long": c.lon if c else "",
                "attribute[outside_ref]": t.ref if t else ""}
        try:
            got = _post(p, "/requests.json", data)
        except (requests.RequestException, ValueError) as exc:
            row.attempts += 1
            row.state = "failed" if row.attempts >= MAX_ATTEMPTS else "pending"
            log.warning("referral %s to %s failed: %s", referral_id, row.party, type(exc).__name__)
            return row.state
        row.outside_ref = str(got.get("service_request_id") or got.get("token") or got.get("id") or "")[:64] or None
        row.state, row.updated_at = "sent", utcnow()
        row.attempts += 1
        if t is not None:
            tickets.add_event(s, t, "note", note=f"已转办{row.party_name}，对方编号 {row.outside_ref or '（未给出）'}")
        return row.state


def record_ref(session: Session, ticket: Ticket, outside_ref: str, username: str, name: str) -> str:
    """Staff handed a referral over by phone: the reference the desk gave them; the message."""
    outside_ref = outside_ref.strip()
    if not outside_ref or len(outside_ref) > 64 or not outside_ref.isprintable():
        raise geo.Open311Error(400, "「对方编号」应为 1–64 个字")
    row = session.scalars(select(Referral).where(Referral.ticket_id == ticket.id, Referral.direction == "out",
                                                 Referral.state.in_(("pending", "failed")))
                          .order_by(Referral.id.desc())).first()
    if row is None:
        raise geo.Open311Error(400, "这张工单没有待送达的转办")
    row.outside_ref, row.state, row.updated_at = outside_ref, "sent", utcnow()
    tickets.add_event(session, ticket, "note", actor=f"staff:{username}"[:64], actor_name=name[:32],
                      note=f"已电话转交{row.party_name}，对方编号 {outside_ref}")
    return f"已记下{row.party_name}的编号 {outside_ref}"


def update(session: Session, config: Config, outside_ref: str, status: str, notes: str, token_name: str) -> str:
    """A status update from the party the ticket was referred to; the ticket's ref."""
    if status not in STATUS_WORDS:
        raise geo.Open311Error(400, "status 应为 open 或 closed")
    if not outside_ref:
        raise geo.Open311Error(400, "缺少 service_request_id（对方编号）")
    rows = list(session.scalars(select(Referral).where(Referral.direction == "out", Referral.outside_ref == outside_ref,
                                                       Referral.party == token_name).order_by(Referral.id).limit(50)))
    if not rows:
        raise geo.Open311Error(404, f"没有转给贵单位的这个编号：{outside_ref[:32]}")
    word, note = STATUS_WORDS[status], notes[:300]
    refs = []
    for row in rows:  # a desk that merged two of our referrals answers both with one reference
        t = session.get(Ticket, row.ticket_id)
        if t is None:
            continue
        tickets.add_event(session, t, "note", actor=f"open311:{token_name}"[:64], actor_name=row.party_name[:32],
                          note=f"{row.party_name}：{word}" + (f"，{note}" if note else ""))
        row.state, row.updated_at, row.attempts = status, utcnow(), row.attempts + 1
        session.flush()
        notices.referral_update(session, config, t, row.party_name, word, note, f"referral-{row.id}-{row.attempts}")
        refs.append(t.ref or "")
    return ",".join(refs)


def receive(session: Session, config: Config, req: geo.NewRequest, key: str, outside_ref: str,
            token_name: str) -> Ticket:
    """A 派单 from an outside party: a ticket here (once per outside reference), marked with its source."""
    p = party(config, key)
    if token_name != key:
        raise geo.Open311Error(403, "api_key 不是这个外部单位的令牌")
    if not outside_ref or len(outside_ref) > 64:
        raise geo.Open311Error(400, "缺少 attribute[outside_ref]（对方编号）")
    known = session.scalars(select(Referral).where(Referral.direction == "in", Referral.party == key,
                                                   Referral.outside_ref == outside_ref)).first()
    if known is not None:
        ticket = session.get(Ticket, known.ticket_id)
        assert ticket is not None
        return ticket
    channel = "12345" if "12345" in p["name"] or key == "12345" else "其他"
    ticket = geo.create(session, config, geo.NewRequest(req.service_code, req.description, req.courtyard,
                                                        req.media_url, req.name, req.phone, channel),
                        actor=f"open311:{key}"[:64], actor_name=p["name"][:32])
    session.add(Referral(ticket_id=ticket.id, direction="in", party=key, party_name=p["name"],
                         how=p.get("referral") or "phone", outside_ref=outside_ref, state="open",
                         created_by=f"open311:{key}"[:64], attempts=0))
    tickets.add_event(session, ticket, "note", note=f"{p['name']}派单，对方编号 {outside_ref}")
    return ticket


def report_closed(steward: Steward) -> int:
    """Post the result of each closed ticket that came from an outside party back to it; how many."""
    cfg = steward.config
    done = 0
    reachable = [k for k, p in cfg.outside_parties.items() if p.get("endpoint")]
    with steward.session() as s:
        rows = list(s.execute(select(Referral, Ticket).join(Ticket, Ticket.id == Referral.ticket_id).where(
            Referral.direction == "in", Referral.state == "open", Referral.party.in_(reachable),
            Ticket.status == "closed").order_by(Referral.id).limit(100)))
    for row, t in rows:
        p = cfg.outside_parties[row.party]
        c = cfg.courtyard(t.courtyard_id)
        data = {"service_request_id": row.outside_ref or "", "status": "closed",
                "status_notes": scrub(t.public_summary, 200) if t.public_summary
                else CLOSE_REASONS.get(t.close_reason or "", "已办结"),
                "agency_responsible": f"{c.name}理事会" if c else cfg.community,
                "updated_datetime": (t.closed_at or utcnow()).isoformat(timespec="seconds") + "Z"}
        try:
            _post(p, "/updates.json", data)
            ok = True
        except (requests.RequestException, ValueError) as exc:
            log.warning("report of referral %s to %s failed: %s", row.id, row.party, type(exc).__name__)
            ok = False
        with steward.session() as s:
            fresh = s.get(Referral, row.id)
            ticket = s.get(Ticket, row.ticket_id)
            if fresh is None or ticket is None:
                continue
            fresh.attempts += 1
            if not ok and fresh.attempts >= MAX_ATTEMPTS:
                fresh.state = "failed"
                tickets.add_event(s, ticket, "note", note=f"办理结果反馈{row.party_name}失败，请电话告知对方")
            if ok:
                fresh.state, fresh.reported_at, fresh.updated_at = "closed", utcnow(), utcnow()
                tickets.add_event(s, ticket, "note", note=f"办理结果已反馈{row.party_name}")
                done += 1
    return done


def retry_pending(steward: Steward) -> int:
    with steward.session() as s:
        ids = list(s.scalars(select(Referral.id).where(Referral.direction == "out", Referral.state == "pending",
                                                       Referral.how != "phone").limit(100)))
    return sum(deliver(steward, rid) == "sent" for rid in ids)
