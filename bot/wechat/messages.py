"""WeChat message fields → `handlers.base.Inbound`, and the passive reply XML."""

from __future__ import annotations

import hashlib
import time
from typing import TypedDict

from handlers.base import Inbound

MAX_REPLY_BYTES = 2048
DEDUP_KEY_MAX = 120  # the column holds 160
KNOWN_TYPES = {"text", "voice", "image", "location", "link", "video", "shortvideo", "event"}


class BadMessage(ValueError):
    """Required fields are missing: the body is not a WeChat message."""


class _Common(TypedDict):
    """The `Inbound` fields every message kind has."""

    openid: str
    msg_id: str | None
    created: int


def to_inbound(fields: dict[str, str]) -> Inbound:
    openid = fields.get("FromUserName", "").strip()
    kind = fields.get("MsgType", "").strip().lower()
    if not openid or not kind:
        raise BadMessage("FromUserName and MsgType are required")
    try:
        created = int(fields.get("CreateTime") or 0)
    except ValueError:
        raise BadMessage("CreateTime must be a number") from None
    common: _Common = {"openid": openid, "msg_id": fields.get("MsgId") or fields.get("MsgID"), "created": created}
    if kind == "text":
        return Inbound(kind=kind, text=fields.get("Content", ""), **common)
    if kind == "voice":
        return Inbound(kind=kind, text=fields.get("Recognition", ""), media_id=fields.get("MediaId"), **common)
    if kind in ("image", "video", "shortvideo"):
        return Inbound(kind=kind, media_id=fields.get("MediaId"), url=fields.get("PicUrl"), **common)
    if kind == "location":
        return Inbound(
            kind=kind,
            lat=_float(fields.get("Location_X")),
            lon=_float(fields.get("Location_Y")),
            text=fields.get("Label", ""),
            **common,
        )
    if kind == "link":
        return Inbound(kind=kind, text=fields.get("Title", ""), url=fields.get("Url"), **common)
    if kind == "event":
        event = fields.get("Event", "").strip().lower()
        return Inbound(
            kind=kind,
            event=event,
            event_key=fields.get("EventKey") or None,
            status=fields.get("Status"),
            lat=_float(fields.get("Latitude")),
            lon=_float(fields.get("Longitude")),
            **common,
        )
    return Inbound(kind="unknown", **common)


def dedup_key(fields: dict[str, str]) -> str:
    """WeChat retries carry the same MsgId, but MsgId alone has collided across users: the key is
    sender + MsgId. Events have none: sender + CreateTime + Event + EventKey. Long keys (a scan's
    EventKey) are shortened to a digest so they fit the column."""
    sender = fields.get("FromUserName", "")
    msg_id = fields.get("MsgId") or fields.get("MsgID")
    if msg_id:
        key = f"msg:{sender}:{msg_id}"
    else:
        key = (f"evt:{sender}:{fields.get('CreateTime', '')}:{(fields.get('Event') or '').lower()}"
               f":{fields.get('EventKey') or ''}")
    if len(key) > DEDUP_KEY_MAX:
        key = key[:4] + hashlib.sha256(key.encode("utf-8")).hexdigest()
    return key


def truncate_utf8(text: str, limit: int = MAX_REPLY_BYTES) -> str:
    """Cut at a character boundary so the reply stays within WeChat's byte limit."""
    if len(text.encode("utf-8")) <= limit:
        return text
    ellipsis = "…"
    budget = limit - len(ellipsis.encode("utf-8"))
    cut = text.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
    return cut + ellipsis


def text_reply_xml(to_user: str, from_user: str, content: str, now: int | None = None) -> str:
    content = truncate_utf8(content).replace("]]>", "]]]]><![CDATA[>")
    return (
        f"<xml><ToUserName><![CDATA[{_cdata(to_user)}]]></ToUserName>"
        f"<FromUserName><![CDATA[{_cdata(from_user)}]]></FromUserName>"
        f"<CreateTime>{now or int(time.time())}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content></xml>"
    )


def _cdata(value: str) -> str:
    return value.replace("]]>", "")


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None
