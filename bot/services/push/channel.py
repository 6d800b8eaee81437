"""Which channel a push goes by: a customer-service text when the receiver wrote to us within the
window (48 h), else a template message (bot.services.push.send sends it; custom_once keeps a push from
trying customer-service twice)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Any

from sqlalchemy import CompoundSelect, bindparam, select, union_all
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain.clock import utcnow
from bot.storage.models import CouncilMember, Push, Resident

TEMPLATE, CUSTOM = "template", "custom"


# Built once: building the statement (and its cache key) each time cost more CPU than running it.
_LAST_MESSAGE = select(
    select(Resident.last_message_at).where(Resident.openid == bindparam("openid")).scalar_subquery(),
    select(CouncilMember.last_message_at).where(CouncilMember.openid == bindparam("openid")).scalar_subquery(),
)


def last_message_at(session: Session, openid: str) -> Any:
    """The receiver's last message to us, as a resident or as a council member (one statement;
    Core, on the session's connection: nothing of the ORM's to flush for it)."""
    resident, member = session.connection().execute(_LAST_MESSAGE, {"openid": openid}).one()
    return max((t for t in (resident, member) if t is not None), default=None)


_LAST_MESSAGES: CompoundSelect[tuple[str, Any]] = union_all(
    select(Resident.openid, Resident.last_message_at).where(Resident.openid.in_(bindparam("openids", expanding=True))),
    select(CouncilMember.openid, CouncilMember.last_message_at)
    .where(CouncilMember.openid.in_(bindparam("openids", expanding=True))),
)


def last_messages(session: Session, openids: Collection[str]) -> dict[str, Any]:
    """`last_message_at` of several receivers in one statement (the dispatch's member and resident)."""
    out: dict[str, Any] = {}
    for openid, at in session.connection().execute(_LAST_MESSAGES, {"openids": list(openids)}):
        if at is not None and (out.get(openid) is None or at > out[openid]):
            out[openid] = at
    return out


def channel_after(config: Config, last: Any, text: str | None) -> tuple[str, Any]:
    """Customer-service text when the receiver wrote within the window (`last`), template otherwise;
    with the customer-service try's time to record (None for a template)."""
    if text and last is not None and utcnow() - last < timedelta(hours=config.dispatch.custom_window_hours):
        return CUSTOM, utcnow()
    return TEMPLATE, None


def pick_channel(session: Session, config: Config, openid: str, text: str | None) -> tuple[str, Any]:
    """`channel_after` the receiver's last message, read now."""
    return channel_after(config, last_message_at(session, openid), text)


def choose_channel(session: Session, config: Config, push: Push) -> str:
    """`pick_channel` for a row: choosing customer-service records the try in the caller's
    transaction, committed before the send; a push tried once never goes customer-service again
    (bot.services.push.custom_once)."""
    if push.custom_tried_at is not None:
        return TEMPLATE
    channel, tried = pick_channel(session, config, push.openid, (push.payload or {}).get("text"))
    if tried is not None:
        push.custom_tried_at = tried
    return channel
