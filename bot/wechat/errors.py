"""WeChat API error codes mapped to exceptions the workers can act on."""

from __future__ import annotations


class WeChatError(Exception):
    """A WeChat API call failed; `code` is WeChat's errcode (None for HTTP/transport failures)."""

    token: str | None  # set by the client on API errors: the access token the failed call used

    def __init__(self, code: int | None, message: str = "") -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class TokenError(WeChatError):
    """40001 / 40014 / 42001: the access token is invalid or expired (refresh once and retry)."""


class OutsideWindow(WeChatError):
    """45015 (no reply within 48 h) / 45047 (over the count): use a template message instead."""


class UserUnreachable(WeChatError):
    """43004 (not following) / 43019 (blocked us): mark the receiver unreachable."""


class Throttled(WeChatError):
    """45009: API quota reached; back off."""


class TransientError(WeChatError):
    """HTTP 5xx, timeouts, connection errors, -1 (system busy): retry with backoff."""


TOKEN_CODES = {40001, 40014, 42001}
WINDOW_CODES = {45015, 45047}
UNREACHABLE_CODES = {43004, 43019}
THROTTLE_CODES = {45009}
BUSY_CODES = {-1}


def error_for(code: int | None, message: str = "") -> WeChatError:
    if code in TOKEN_CODES:
        return TokenError(code, message)
    if code in WINDOW_CODES:
        return OutsideWindow(code, message)
    if code in UNREACHABLE_CODES:
        return UserUnreachable(code, message)
    if code in THROTTLE_CODES:
        return Throttled(code, message)
    if code is None or code in BUSY_CODES:
        return TransientError(code, message)
    return WeChatError(code, message)
