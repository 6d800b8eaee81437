"""Media residents and members send (photos, voice): WeChat deletes it after 3 days, so a job
(bot.services.inbound.media_fetch) downloads it at once into shared storage and attaches it to the ticket.
The sweep re-enqueues media left pending."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain import conversation_texts
from bot.domain.clock import utcnow
from bot.domain.vocabulary import PushKind
from bot.services.push.deployment import deployment_id
from bot.services.push.links import action_link
from bot.services.push.send import client_msg_id, queue_push
from bot.services.uow import jobs, outbox
from bot.storage.models import Media, Push, Ticket

log = logging.getLogger(__name__)

REFETCH_AFTER = timedelta(minutes=2)  # a media job this old and still pending was lost
GIVE_UP_AFTER = timedelta(days=3)  # WeChat keeps temporary media 3 days
# An album arrives as one message per photo, seconds apart: the member is told of the first, and the
# task page he opens shows the rest. A photo after this long is news again.
TOLD_RECENTLY = timedelta(minutes=2)


def queue_media(
    session: Session, config: Config, *, ticket: Ticket | None, openid: str, media_id: str, kind: str
) -> Media:
    """Record a media item and download it after `session` commits (call inside the webhook's session)."""
    row = Media(ticket_id=ticket.id if ticket else None, openid=openid, kind=kind, media_id=media_id,
                status="pending")
    session.add(row)
    session.flush()
    outbox.add(session, jobs.media_job(row.id, fresh=True))
    return row


def tell_member(session: Session, config: Config, ticket: Ticket, media: Sequence[Media]) -> None:
    """The member holding `ticket` hears once of the photos or voices its resident added in one go (one
    message, or all held meanwhile), with the task page's link (where they are shown); nobody is told
    of his own."""
    member = ticket.assignee_openid
    if not media or not member or member == media[0].openid or ticket.status not in ("dispatched", "accepted"):
        return
    if _told_recently(session, ticket, member):
        return
    link = action_link(config, ticket.id, member)
    content, text = conversation_texts.media_for_member(config, ticket, [m.kind for m in media], link)
    queue_push(session, config, ticket=ticket, openid=member, kind=PushKind.notice.value, tag=f"m{media[0].id}",
               content=content, text=text, url=link)


def _told_recently(session: Session, ticket: Ticket, member: str) -> bool:
    """A media notice for this ticket went to this member within TOLD_RECENTLY (its client_msg_id
    is <deployment>-t<ticket>-notice-m<media>-<member's digest>, as push.client_msg_id builds it)."""
    pattern = client_msg_id(ticket.id, PushKind.notice.value, "m%", member, deployment_id(session))
    found = session.scalars(select(Push.id).where(Push.ticket_id == ticket.id, Push.client_msg_id.like(pattern),
                                                  Push.created_at > utcnow() - TOLD_RECENTLY).limit(1)).first()
    return found is not None


def requeue_pending(session: Session) -> int:
    """For the sweep: media still pending after REFETCH_AFTER (a lost job, a worker that died) is
    enqueued again while WeChat still has it."""
    now = utcnow()
    ids = session.scalars(select(Media.id).where(Media.status == "pending", Media.created_at < now - REFETCH_AFTER,
                                                 Media.created_at > now - GIVE_UP_AFTER)).all()
    for media_row_id in ids:
        outbox.add(session, jobs.media_job(media_row_id))
    return len(ids)
