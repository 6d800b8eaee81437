"""What a resident's message opens on the fake WeChat, as on the real one: a user who wrote may get
customer-service messages for 48 hours (5 of them); a click, follow or scan allows 3 within a minute."""

from __future__ import annotations

from bot.sandbox.state import QUOTA_EVENTS, note_user_event, note_user_message
from bot.services.uow.steward import Steward


def note_inbound(steward: Steward, openid: str, kind: str = "text", event: str | None = None) -> None:
    """Receives `bot.services.inbound.receive.message_handled`. A no-op unless `[sandbox] enabled =
    true` (production never touches sandbox keys). Other events allow nothing."""
    if not steward.config.sandbox.enabled:
        return
    if kind != "event":
        note_user_message(steward.redis, openid)
    elif event in QUOTA_EVENTS:
        note_user_event(steward.redis, openid)
