"""A fake WeChat API that behaves like the real one (expiring tokens, error codes, de-duplication),
for development and tests. All state lives in Redis; see `bot.sandbox.state`.

May import: `bot.runtime`, `bot.services.steward`, `bot.wechat`, `bot.config`.
"""

from __future__ import annotations

from bot.sandbox.state import note_user_message
from bot.services.steward import Steward


def note_inbound(steward: Steward, openid: str) -> None:
    """For the webhook: a user wrote, so the sandbox opens their 48 h customer-service window.
    A no-op unless `[sandbox] enabled = true` (production never touches sandbox keys)."""
    if not steward.config.sandbox.enabled:
        return
    note_user_message(steward.redis, openid)
