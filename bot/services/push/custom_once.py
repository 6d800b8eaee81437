"""Customer-service messages at most once.

WeChat's `message/custom/send` has no idempotency key (templates have `client_msg_id`), so a
timeout or a worker killed mid-send leaves it unknown whether the text arrived; resending blindly
is how a resident got the same message twice. So (bot.services.push.send):

1. the transaction that commits before the send sets `pushes.custom_tried_at`;
2. a push with it set is never sent as customer-service text again — a later run sends the
   template message instead, with its `client_msg_id`, so that fallback is itself at most once;
3. with no template to fall back on, the push becomes `unknown` and staff are asked to check.

Only an error that proves the text never left (no connection made, the token call failed, WeChat
refused with 45009 or -1 before doing anything) allows another customer-service try.
"""

from __future__ import annotations

import requests

from bot.wechat.errors import Throttled, TransientError, WeChatError

BUSY = -1


def never_sent(exc: WeChatError) -> bool:
    """True when `exc` proves the customer-service text did not reach WeChat."""
    if isinstance(exc, Throttled) or exc.code == BUSY:
        return True
    if not isinstance(exc, TransientError):
        return False
    cause = exc.__cause__
    if isinstance(cause, requests.ConnectTimeout):
        return True
    if isinstance(cause, requests.ConnectionError) and "NewConnectionError" in str(cause):
        return True  # refused before a byte was sent
    return (exc.message or "").startswith(("stable_token", "token lock", "timed out waiting for the access-token"))


def unknown_note(error: str) -> str:
    return f"客服消息发送结果未知（{error}），不重发客服消息，改发模板消息"


RETRY_NOTE = "上次客服消息发送结果未知，不重发客服消息，改发模板消息"
NO_TEMPLATE_NOTE = "请人工确认对方是否收到：客服消息发送结果未知，且没有可改发的模板消息"  # the point first: a template field shows 20 characters
