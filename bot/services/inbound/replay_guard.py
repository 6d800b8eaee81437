"""Replay protection while Redis is away: the used (timestamp, nonce, signature[, msg_signature])
and its body's digest go to the database (`used_queries`, the query digest is the primary key),
so a captured query string cannot carry another body during an outage either.

A genuine message is never lost here: its query is new, so it is recorded and goes on to be stored
(or spooled). Only when the database is unreachable too is the pair not checked (logged): the
message is then spooled by `receive`, whose de-duplication by MsgId still holds at replay.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from bot.domain.clock import utcnow
from bot.services.uow import audit
from bot.services.uow.steward import Steward
from bot.storage.models import UsedQuery
from bot.wechat.security import REPLAYED, Rejected, query_digests

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Query:
    """A verified callback's signed query string and body: claimed in Redis with the message itself
    (`receive._claim`, one round trip), or here in the database while Redis is away."""

    args: dict[str, str]
    body: bytes
    tolerance: int


def claim_in_database(steward: Steward, args: dict[str, str], body: bytes, tolerance: int) -> None:
    """Record the query as used; the same query with another body raises Rejected(403)."""
    query, digest = query_digests(args, body)
    now = utcnow()
    try:
        with steward.session() as s:
            s.execute(delete(UsedQuery).where(UsedQuery.expires_at < now))  # the window has passed
            s.add(UsedQuery(query_hash=query, body_digest=digest, expires_at=now + timedelta(seconds=2 * tolerance + 1)))
    except IntegrityError:
        with steward.session() as s:
            stored = s.scalar(select(UsedQuery.body_digest).where(UsedQuery.query_hash == query)) or ""
        if not hmac.compare_digest(stored, digest):
            raise Rejected(403, REPLAYED) from None
    except Exception:  # noqa: BLE001 — the database is away too: the message is spooled as before
        log.warning("neither Redis nor the database can check a used query string; spooling decides")


def record_refused(steward: Steward, address: str | None) -> None:
    """A replayed query string refused (from Redis or the database): an entry in the audit log, no
    openid or body in it. Never fails the answer (the 403 stands without the entry)."""
    try:
        with steward.session() as s:
            audit.record(s, "system", "webhook_replay", "微信回调", address=address)
    except Exception:  # noqa: BLE001 — the database is away: the refusal is logged instead
        log.warning("a replayed webhook query string was refused (not in the audit log: database unavailable)")
