"""Media residents and members send (photos, voice): WeChat deletes it after 3 days, so a job
downloads it at once into `media.dir` and attaches it to the ticket."""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path

from sqlalchemy.orm import Session

from bot.config import Config
from bot.services import jobs, outbox
from bot.services.steward import Steward
from bot.storage.models import Media, Ticket
from bot.wechat.client import shared_client
from bot.wechat.errors import Throttled, TransientError, WeChatError

log = logging.getLogger(__name__)


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


def download_media(steward: Steward, media_row_id: int) -> str:
    """The media job: fetch the bytes with `get_media`, store them under media.dir/<ticket>/, mark stored."""
    with steward.session() as s:
        row = s.get(Media, media_row_id)
        if row is None or row.status == "stored":
            return row.status if row else "missing"
        media_id, folder = row.media_id, str(row.ticket_id or "unattached")
    try:
        content, content_type = shared_client(steward.config, steward.redis).get_media(media_id)
    except (TransientError, Throttled):
        raise  # retried by the caller's Retry or the next sweep; WeChat keeps media 3 days
    except WeChatError as exc:
        with steward.session() as s:
            row = s.get(Media, media_row_id)
            row.status = "failed"
        log.warning("media %s could not be downloaded (%s)", media_row_id, exc.code)
        return "failed"
    ext = mimetypes.guess_extension((content_type or "").split(";")[0].strip()) or ".bin"
    path = Path(steward.config.media_dir) / folder / f"{media_row_id}{ext}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    with steward.session() as s:
        row = s.get(Media, media_row_id)
        row.path, row.content_type, row.status = str(path), content_type, "stored"
    return "stored"
