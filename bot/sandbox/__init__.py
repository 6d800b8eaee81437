"""A fake WeChat API that behaves like the real one (expiring tokens, error codes, de-duplication),
for development and tests. All state lives in Redis; see `bot.sandbox.state`.

May import: `bot.runtime`, `bot.services.steward`, `bot.wechat`, `bot.config`.
"""

from __future__ import annotations

from bot.sandbox.state import QUOTA_EVENTS, note_user_event, note_user_message
from bot.services.steward import Steward


def note_inbound(steward: Steward, openid: str, kind: str = "text", event: str | None = None) -> None:
    """For the webhook: a user wrote (48 h window, 5 customer-service messages) or clicked,
    followed or scanned (3 within a minute). Other events allow nothing. A no-op unless
    `[sandbox] enabled = true` (production never touches sandbox keys)."""
    if not steward.config.sandbox.enabled:
        return
    if kind != "event":
        note_user_message(steward.redis, openid)
    elif event in QUOTA_EVENTS:
        note_user_event(steward.redis, openid)
