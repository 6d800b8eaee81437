"""The media job: download a photo or voice from WeChat (it keeps them 3 days) into shared storage
(bot.services.media.store); a voice also gets a browser-playable copy, and one still to be understood
goes on to bot.services.inbound.voice."""

from __future__ import annotations

import logging

from bot.domain.clock import utcnow
from bot.services.inbound import voice
from bot.services.media import audio
from bot.services.media import store as media_store
from bot.services.uow.steward import Steward
from bot.storage.models import Media
from bot.wechat.client import shared_client
from bot.wechat.errors import Throttled, TransientError, WeChatError

log = logging.getLogger(__name__)


def voice_format(content: bytes, content_type: str) -> str:
    if content.startswith(b"#!AMR") or "amr" in content_type:
        return "amr"
    return "speex"


def download_media(steward: Steward, media_row_id: int) -> str:
    """The media job: fetch the bytes with `get_media`, keep the original (and a playable copy of a
    voice) in shared storage, mark the row stored; then a voice still to be understood is heard."""
    with steward.session() as s:
        row = s.get(Media, media_row_id)
        if row is None or row.status == "stored":
            return row.status if row else "missing"
        media_id, folder, kind = row.media_id, str(row.ticket_id or "unattached"), row.kind
    try:
        content, content_type = shared_client(steward.config, steward.redis).get_media(media_id)
    except (TransientError, Throttled):
        raise  # retried by the caller's Retry or the next sweep; WeChat keeps media 3 days
    except WeChatError as exc:
        with steward.session() as s:
            row = s.get(Media, media_row_id)
            if row is None:  # never: media rows are not deleted
                return "missing"
            row.status, row.error = "failed", f"{exc.code}: {exc.message}"[:255]
        log.warning("media %s could not be downloaded (%s)", media_row_id, exc.code)
        return "failed"
    content_type = (content_type or "application/octet-stream").split(";")[0].strip()
    playable = None
    if kind == "voice":
        try:
            playable = audio.to_playable(content)
        except audio.AudioError as exc:
            log.warning("voice %s kept as sent; no playable copy (%s)", media_row_id, exc)
    with steward.session() as s:
        row = s.get(Media, media_row_id)
        if row is None:  # never: media rows are not deleted
            return "missing"
        media_store.put(s, steward.config, row.id, folder, media_store.ORIGINAL, content, content_type)
        if playable is not None:
            media_store.put(s, steward.config, row.id, folder, media_store.PLAYABLE, *playable)
        row.content_type, row.status, row.fetched_at, row.path = content_type, "stored", utcnow(), None
        purpose = row.purpose
    if purpose == voice.UNDERSTAND:
        return voice.understand(steward, media_row_id, content, voice_format(content, content_type))
    return "stored"
