"""Courtyard posters: a permanent WeChat QR code per courtyard (scene = the courtyard id, so a
scan arrives as `qrscene_c3` / SCAN c3 and the resident is placed in that courtyard) on a printable
A4 page with the courtyard's name and its council chair. The QR image is drawn here (segno) from
the code's content WeChat returns, and embedded as a data: URI — the page needs nothing else."""

from __future__ import annotations

from dataclasses import dataclass

import redis as redis_lib
import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.services.community.members import DirectoryError, courtyard_row, ensure_seeded
from bot.storage.models import CouncilMember
from bot.wechat.client import StewardClient

QR_KEY = "steward:poster:qr:{}"  # courtyard → the permanent code's content (it never changes)


@dataclass(frozen=True)
class Poster:
    key: str
    courtyard: str
    community: str
    qr_data_uri: str
    chair: str | None = None
    chair_phone: str | None = None


def qr_content(client: StewardClient, redis: redis_lib.Redis, key: str) -> str:
    """The content of the courtyard's permanent QR code (asked of WeChat once, then kept)."""
    cached = redis.get(QR_KEY.format(key))
    if cached:
        return str(cached)
    answer = client.create_qrcode(key)  # permanent: QR_LIMIT_STR_SCENE with scene_str = key
    url = str(answer.get("url") or "")
    if not url:
        raise DirectoryError("微信没有返回二维码内容")
    redis.set(QR_KEY.format(key), url)
    return url


def data_uri(content: str) -> str:
    return segno.make(content, error="m").png_data_uri(scale=10, border=2)


def poster(session: Session, config: Config, client: StewardClient, redis: redis_lib.Redis, key: str) -> Poster:
    cid = ensure_seeded(session, config)
    yard = courtyard_row(session, cid, key)
    chair = session.scalars(select(CouncilMember).where(
        CouncilMember.community_id == cid, CouncilMember.courtyard_id == key, CouncilMember.active,
        CouncilMember.role == "会长").order_by(CouncilMember.backup_order, CouncilMember.id)).first()
    return Poster(key=key, courtyard=yard.name, community=config.community,
                  qr_data_uri=data_uri(qr_content(client, redis, key)),
                  chair=chair.name if chair else None, chair_phone=(chair.phone or None) if chair else None)
