"""A fake WeChat API that behaves like the real one (expiring tokens, error codes, de-duplication),
for development and tests. All state lives in Redis; see `bot.sandbox.state`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.state import Steward


def note_inbound(steward: Steward, openid: str) -> None:
    """For the webhook: a user wrote, so the sandbox opens their 48 h customer-service window.
    A no-op unless `[sandbox] enabled = true` (production never touches sandbox keys)."""
    if not steward.config.sandbox.enabled:
        return
    from bot.sandbox.state import note_user_message

    note_user_message(steward.redis, openid)
