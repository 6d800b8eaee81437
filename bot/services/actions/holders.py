"""Who must hear of a change a resident makes to a ticket (an addition, an urge, a correction, a
withdrawal): the member who holds it; while nobody holds it (still waiting for dispatch, with staff
for re-dispatch, or just handed back), the chair of its courtyard, who hands it on; with no
courtyard yet, community staff. Each is a short push on the ticket, never a new task."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain import routing
from bot.domain.conversation_texts import Content
from bot.domain.vocabulary import PushKind
from bot.services.push.send import queue_push
from bot.storage.models import Ticket


def holders(config: Config, ticket: Ticket, sender: str) -> list[str]:
    """The openids to tell (never the sender: his own words are no news to him)."""
    if ticket.assignee_openid:
        found = [ticket.assignee_openid]
    elif (chair := routing.chair_of(config, ticket.courtyard_id)) is not None:
        found = [chair.openid]
    elif ticket.courtyard_id:
        found = [m.openid for m in config.council(ticket.courtyard_id)[:1]]
    else:
        found = list(config.staff_openids)
    return [o for o in found if o and o != sender]


def tell(session: Session, config: Config, ticket: Ticket, sender: str, tag: str,
         content: Content) -> list[str]:
    """Queue the notice to whoever holds the ticket; returns the openids told."""
    fields, text = content
    told = holders(config, ticket, sender)
    if told:
        session.flush()
    for openid in told:
        queue_push(session, config, ticket=ticket, openid=openid, kind=PushKind.notice.value, tag=tag,
                   content=fields, text=text)
    return told

