"""Helpers for the workbench tests: log in with a real CSRF token, build tickets and event logs."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

from flask.testing import FlaskClient

from bot.services.tickets import lifecycle as tickets
from bot.storage.models import Ticket, TicketEvent

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

# The sample accounts of config.example.toml
ADMIN = ("admin", "sample-admin-pass")
STAFF = ("liu", "sample-staff-pass")
COUNCIL_C3 = ("c3chair", "sample-council-pass")


def csrf_from(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    m = CSRF_RE.search(page.get_data(as_text=True))
    assert m, f"no CSRF token on {path}"
    return m.group(1)


def login(client: FlaskClient, account: tuple[str, str] = STAFF) -> None:
    token = csrf_from(client, "/login")
    resp = client.post("/login", data={"username": account[0], "password": account[1], "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)


def post_form(client: FlaskClient, page: str, action: str, data: dict[str, Any]) -> Any:
    """POST `data` to `action` with the CSRF token found on `page` (as a browser would)."""
    return client.post(action, data={**data, "csrf_token": csrf_from(client, page)})


def make_ticket(session, *, text: str = "楼道灯坏了", category: str = "repair", courtyard: str | None = "c3",
                status: str | None = None, created_at: datetime | None = None, **fields: Any) -> Ticket:
    t = tickets.create_ticket(session, category=category, text=text, courtyard=courtyard,
                              subcategory=fields.pop("subcategory", None), urgent=fields.pop("urgent", False),
                              confidence=fields.pop("confidence", 0.9),
                              resident_openid=fields.pop("resident_openid", "o-resident-test-0001"))
    for k, v in fields.items():
        setattr(t, k, v)
    if created_at is not None:
        t.created_at = t.last_activity_at = created_at
        for e in session.new:
            if isinstance(e, TicketEvent) and e.ticket_id == t.id:
                e.at = created_at
    if status and status != "received":
        t.status = status
    session.flush()
    return t


def event(session, ticket: Ticket, at: datetime, frm: str | None, to: str | None, kind: str = "note",
          data: dict | None = None) -> TicketEvent:
    """A hand-built event-log row (the rates tests describe histories this way)."""
    e = TicketEvent(ticket_id=ticket.id, at=at, kind=kind, from_status=frm, to_status=to, data=data)
    session.add(e)
    session.flush()
    return e


# Product, format and protocol names a Chinese page may show as they are.
ALLOWED_WORDS = frozenset({"WeChat", "API", "CSV", "Excel", "xlsx", "JSON", "OpenAPI", "A4", "chinesecalendar", "SVG"})
_READ_ATTRS = re.compile(r'\s(?:placeholder|title|alt|aria-label)="([^"]*)"')


def english_words(page: str, allowed: frozenset[str] = ALLOWED_WORDS) -> set[str]:
    """Words of Latin letters a reader sees: text outside tags, <code> and <head>, plus the attributes
    that are read (placeholders, titles); names in <code> (commands, parameters) are what they are."""
    body = re.sub(r"<head>.*?</head>|<script.*?</script>|<style.*?</style>|<code>.*?</code>", " ", page, flags=re.S)
    shown = " ".join(_READ_ATTRS.findall(body)) + " " + re.sub(r"<[^>]+>", " ", body)
    return set(re.findall(r"[A-Za-z]{2,}", html.unescape(shown))) - allowed
