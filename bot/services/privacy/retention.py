"""Retention (`[retention]`): photos' and voices' bytes after `media_days`, the raw text of inbound
messages after `raw_message_days` — removed by the periodic sweep. The media row stays (status
`expired`: the ticket page says the file is gone), and so do the ticket's own words and the
inbound row's metadata (de-duplication, counts). A run that removed something is in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from bot.domain.clock import utcnow
from bot.services.media import store as media_store
from bot.services.uow import audit
from bot.services.uow.steward import Steward
from bot.storage.models import InboundMessage, Media, MediaBlob

BATCH = 500  # media items per run: the sweep runs every minute, a backlog goes in slices
EXPIRED = "expired"


@dataclass(frozen=True)
class Retained:
    media: int = 0
    files: int = 0
    messages: int = 0


def enforce(steward: Steward) -> Retained:
    """One run: what is older than the configured days is removed; the audit log says how much."""
    keep = steward.config.retention
    now = utcnow()
    media_cutoff = now - timedelta(days=keep.media_days)
    raw_cutoff = now - timedelta(days=keep.raw_message_days)
    with steward.session() as s:
        ids = list(s.scalars(select(Media.id).where(Media.created_at < media_cutoff, Media.status != EXPIRED)
                             .order_by(Media.id).limit(BATCH)))
        with_bytes = set(s.scalars(select(MediaBlob.media_row_id).where(MediaBlob.media_row_id.in_(ids)))) if ids else set()
        files = media_store.drop(s, ids)
        if ids:
            s.execute(update(Media).where(Media.id.in_(ids)).values(status=EXPIRED, path=None))
        result = s.execute(update(InboundMessage).where(InboundMessage.received_at < raw_cutoff, InboundMessage.raw != "")
                           .values(raw=""))
        messages = int(getattr(result, "rowcount", 0) or 0)
        if with_bytes or messages:
            audit.record(s, "system", "retention", "保存期限",
                         after={"media": len(with_bytes), "messages": messages, "media_days": keep.media_days,
                                "raw_message_days": keep.raw_message_days})
    gone = media_store.unlink(steward.config, files)
    return Retained(media=len(with_bytes), files=gone, messages=messages)
