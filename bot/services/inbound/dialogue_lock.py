"""One resident's messages one at a time: a short Redis lock around read state → decide → save state.

WeChat delivers an album's photos (or a photo and its words) as separate requests a few milliseconds
apart, which gunicorn serves in parallel; each reads the dialogue state, adds its part and writes it
back, so without the lock the last write wins and a held photo is lost. Best effort: a lock that
cannot be had within `WAIT_S` (Redis slow, a holder died) is not waited for longer — the message is
still handled and stored; only the held-photo merge is at risk then.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

log = logging.getLogger(__name__)

LOCK_KEY = "steward:dialogue-lock:{}"
HOLD_MS = 5000  # longer than a message takes to handle; a crashed holder frees it by itself
WAIT_S = 3.0  # WeChat waits 5 s for the passive reply: leave time to handle the message after
POLL_S = 0.02
# delete only our own lock: one that expired and was taken by the next message stays
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def new_token() -> str:
    return secrets.token_hex(8)


def take_on(pipe: Any, openid: str, token: str) -> None:
    """Queue the attempt on a pipeline (its result: True when taken)."""
    pipe.set(LOCK_KEY.format(openid), token, nx=True, px=HOLD_MS)


def wait(redis: Any, openid: str, token: str) -> bool:
    """Take the lock, polling while another message of the same resident holds it."""
    deadline = time.monotonic() + WAIT_S
    try:
        while True:
            if redis.set(LOCK_KEY.format(openid), token, nx=True, px=HOLD_MS):
                return True
            if time.monotonic() >= deadline:
                log.info("dialogue lock not free after %.1f s; handling the message anyway", WAIT_S)
                return False
            time.sleep(POLL_S)
    except Exception:
        log.warning("Redis unavailable for the dialogue lock; handling the message without it")
        return False


def release_on(pipe: Any, openid: str, token: str) -> None:
    pipe.eval(_RELEASE, 1, LOCK_KEY.format(openid), token)


def release(redis: Any, openid: str, token: str) -> None:
    try:
        redis.eval(_RELEASE, 1, LOCK_KEY.format(openid), token)
    except Exception:
        log.debug("dialogue lock release failed; it expires by itself", exc_info=True)


@contextmanager
def held(redis: Any, openid: str) -> Iterator[str]:
    """The lock for a whole block (the voice worker: hear → decide → save state)."""
    token = new_token()
    wait(redis, openid, token)
    try:
        yield token
    finally:
        release(redis, openid, token)
