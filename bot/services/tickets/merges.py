"""Reports from different residents about the same thing in the same courtyard: staff see a
suggested merge on the new ticket (an event); they decide, and `bot.services.push.notices.merged` tells
the reporters when they do."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain.clock import utcnow
from bot.services.tickets import lifecycle as tickets
from bot.storage.models import Ticket
from handlers import followup
from handlers.base import Context, TicketView

LOOKBACK = timedelta(days=3)
OPEN = ("received", "dispatched", "accepted", "triage")
# Built once: it runs in every first dispatch (issue 24), where building it cost more than running it.
_RECENT = (
    select(Ticket.ref, Ticket.text, Ticket.status).where(
        Ticket.courtyard_id == bindparam("courtyard"), Ticket.id != bindparam("id"),
        Ticket.resident_openid != bindparam("openid"), Ticket.status.in_(OPEN),
        Ticket.created_at >= bindparam("since")).order_by(Ticket.id.desc()).limit(5)
)


def suggest(session: Session, config: Config, ticket: Ticket) -> str | None:
    """The ref suggested as the same thing (and the note written on `ticket`), or None."""
    found = suggestion(session, config, ticket)
    if found is None:
        return None
    ref, note = found
    tickets.add_event(session, ticket, "note", data=note_data(ref), note=note)
    return ref


def suggestion(session: Session, config: Config, ticket: Ticket) -> tuple[str, str] | None:
    """(the ref suggested as the same thing, the note to write on `ticket`), or None; nothing written."""
    rows = session.connection().execute(_RECENT, {
        "courtyard": ticket.courtyard_id, "id": ticket.id, "openid": ticket.resident_openid,
        "since": utcnow() - LOOKBACK}).all()
    ctx = Context(config=config)
    for row in rows:
        ref = row.ref
        if ref is None:  # never: every ticket gets its ref on insert (bot.storage.ticket_insert)
            continue
        view = TicketView(ref=ref, status=row.status, category="", courtyard=ticket.courtyard_id, text=row.text)
        if followup.same_subject(ticket.text, view, ctx):
            return ref, f"可能与 {ref} 是同一件事（另一位居民也报了），核实后可标为重复合并。"
    return None


def note_data(ref: str) -> dict[str, str]:
    """The suggestion event's data (staff's pages read `suggest_merge`)."""
    return {"suggest_merge": ref}
