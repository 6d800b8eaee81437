"""The sender's ticket rows a message's context needs (open, lately withdrawn, a member's tasks), as
views: prebuilt Core statements on the message's session, plain rows, no ORM objects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import String, bindparam, case, literal_column, null, select, union_all
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from bot.domain.vocabulary import OPEN_STATUSES
from bot.storage.models import Ticket, TicketEvent
from handlers import reconsider
from handlers.base import TicketView

# Statements built once (not per message): executing a prebuilt statement skips construction and
# cache-key work that, per message, costs as much as the database round trip.
_VIEW_COLUMNS = (Ticket.id, Ticket.ref, Ticket.status, Ticket.category, Ticket.courtyard_id, Ticket.text, Ticket.created_at,
                 Ticket.assignee_openid, Ticket.urgent)
_OPEN_TICKETS = (
    select(*_VIEW_COLUMNS)
    .where(Ticket.resident_openid == bindparam("sender"), Ticket.status.in_(OPEN_STATUSES))
    .order_by(Ticket.id.desc())
    .limit(bindparam("limit"))
)
_WITHDRAWN = (  # the sender's tickets withdrawn lately: "算了还是来修吧" takes one back (handlers.reconsider)
    select(*_VIEW_COLUMNS)
    .where(Ticket.resident_openid == bindparam("sender"), Ticket.status == "closed",
           Ticket.close_reason == "withdrawn", Ticket.closed_at >= bindparam("since"))
    .order_by(Ticket.id.desc())
    .limit(3)
)
_TASKS = (
    select(*_VIEW_COLUMNS)
    .where(Ticket.assignee_openid == bindparam("openid"), Ticket.status.in_(("dispatched", "accepted")))
    .order_by(Ticket.id.desc())
    .limit(bindparam("limit"))
)


def _views(rows: Sequence[Any]) -> list[TicketView]:
    """Rows of `_VIEW_COLUMNS`, read by column name."""
    return [TicketView(ref=r.ref or "", status=r.status, category=r.category, courtyard=r.courtyard_id, text=r.text,
                       created_at=r.created_at, assignee=r.assignee_openid, urgent=bool(r.urgent))
            for r in rows]


_QUESTION_MARK = ("？", "?", "吗", "哪", "几", "什么", "啥")
# The newest progress note or resident follow-up of the last 24 hours on an open ticket, the note
# only when it is the member's (progress): a question there (进展 R1001 请问是几号楼？) is what the
# resident's next words answer; the resident's own follow-up clears it. A column of the open
# tickets' rows (issue 24: it was a statement of its own on 60 % of the bench's messages).
_E = TicketEvent
_ASKED = (
    select(case((_E.kind == "progress", _E.note), else_=None))
    .where(_E.ticket_id == Ticket.id, _E.kind.in_(("progress", "resident_followup")),
           _E.at >= bindparam("asked_since"))
    .order_by(_E.id.desc())
    .limit(1)
    .correlate(Ticket)
    .scalar_subquery()
)

# The sender's open tickets and those withdrawn lately, one statement (issue 24: one round trip and
# one statement's overhead less per message); `sender_tickets` tells them apart again.
_open = _OPEN_TICKETS.add_columns(literal_column("0").label("withdrawn"), _ASKED.label("asked")).subquery()
_gone = _WITHDRAWN.add_columns(literal_column("1").label("withdrawn"),
                               sql_cast(null(), String).label("asked")).subquery()
MINE = union_all(select(_open), select(_gone))


def mine_params(openid: str, now: Any, limit: int = 10) -> dict[str, Any]:
    return {"sender": openid, "limit": limit, "since": now - timedelta(hours=reconsider.WINDOW_HOURS),
            "asked_since": now - timedelta(hours=24)}


def sender_tickets(session: Session, openid: str, now: Any, read: list[Any] | None = None) -> tuple[list[TicketView], list[TicketView]]:
    """The sender's (open tickets — each with the question its member asked lately —, tickets
    withdrawn within reconsider.WINDOW_HOURS), newest first, as views: plain rows, no ORM objects.
    `read`: these rows, already read with the resident's upsert (`intake.touch_resident`)."""
    rows = read if read is not None else session.connection().execute(MINE, mine_params(openid, now)).all()
    rows = sorted(rows, key=lambda r: r.id, reverse=True)
    current = [r for r in rows if not r.withdrawn]
    views = [replace(v, question=r.asked) if r.asked and any(q in r.asked for q in _QUESTION_MARK) else v
             for v, r in zip(_views(current), current, strict=True)]
    return views, _views([r for r in rows if r.withdrawn])


def task_views(session: Session, openid: str, limit: int = 30) -> list[TicketView]:
    """A council member's open tasks (assigned to them)."""
    return _views(session.connection().execute(_TASKS, {"openid": openid, "limit": limit}).all())
