"""Receiving one verified WeChat message: de-duplicate, take the resident's turn, store the raw row
and everything it causes in one transaction, answer.

If processing fails, that transaction is rolled back and the raw message is stored as `failed` in a
fresh one (else spooled to disk); every such failure still answers "" (WeChat's `success`), because
WeChat shows residents "该公众号暂时无法提供服务" for anything else and the message is kept for replay.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, cast

from blinker import Namespace
from redis.exceptions import NoScriptError
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError

from bot.services.inbound import dialogue_lock, intake, replay_guard, voice
from bot.services.uow.steward import Steward
from bot.storage import spool
from bot.storage.db import describe_error
from bot.storage.models import InboundMessage
from bot.wechat.messages import dedup_key
from bot.wechat.security import QUERY_KEY, REPLAYED, Rejected, query_digests
from handlers.base import Inbound
from handlers.state import DialogueState

log = logging.getLogger(__name__)

SEEN_KEY = "steward:seen:{}"
SEEN_TTL = 600  # WeChat's retries come within ~15 s; keep the reply a while longer

# Sent after a message was handled: (steward, openid=, kind=, event=). The sandbox listens to open the
# resident's 48-hour window as WeChat would; production has no receiver.
message_handled = Namespace().signal("message-handled")

_INSERT_INBOUND = insert(cast(Table, InboundMessage.__table__))  # built once: executed with a dict of values


def receive(steward: Steward, msg: Inbound, fields: dict[str, str], plain: str,
            query: replay_guard.Query | None = None) -> str:
    """The passive reply for a verified message (`msg`, parsed from `fields`; "" for none). Never raises
    for a failure of ours: the message is kept as `failed` or spooled, and WeChat gets `success`.
    `query`: the webhook's signed query string, claimed with the message (Rejected(403): replayed)."""
    key = dedup_key(fields)
    openid, token = fields["FromUserName"], dialogue_lock.new_token()
    seen, state = _claim(steward, key, openid, token, query)
    if seen is not None:
        return seen

    # Happy path: the raw row and everything the message causes commit together (one transaction).
    try:
        with steward.session() as session:
            if voice.needs_listening(msg):  # no Recognition since 2023: a worker hears it
                done = voice.accept(session, steward, msg, state)
            else:
                done = intake.handle(session, steward, msg, state)
            ticket_id = done.run.ticket_ids[0] if done.run.ticket_ids else None
            session.connection().execute(_INSERT_INBOUND, _raw_values(key, fields, plain, "handled",
                                                                      ticket_id=ticket_id))
    except IntegrityError as exc:
        dialogue_lock.release(steward.redis, openid, token)
        if _is_duplicate(steward, key):
            return ""  # a retry that raced past the Redis claim
        return _store_failed(steward, key, fields, plain, exc)
    except Exception as exc:
        dialogue_lock.release(steward.redis, openid, token)
        return _store_failed(steward, key, fields, plain, exc)
    reply = done.reply or ""

    def after(pipe: Any) -> None:  # the dedup reply and the lock's release ride the same round trip
        pipe.set(SEEN_KEY.format(key), reply, ex=SEEN_TTL)
        dialogue_lock.release_on(pipe, openid, token)

    intake.finish(steward, done, extra=after)
    message_handled.send(steward, openid=msg.openid, kind=msg.kind, event=msg.event)
    return reply


def _raw_values(key: str, fields: dict[str, str], plain: str, status: str, ticket_id: int | None = None,
                error: str | None = None) -> dict:
    return dict(
        dedup_key=key,
        openid=fields["FromUserName"],
        msg_type=fields.get("MsgType", ""),
        event=(fields.get("Event") or "").lower() or None,
        raw=plain,
        status=status,
        error=error,
        ticket_id=ticket_id,
    )


def _is_duplicate(steward: Steward, key: str) -> bool:
    try:
        with steward.session() as session:
            return session.scalar(select(InboundMessage.id).where(InboundMessage.dedup_key == key)) is not None
    except Exception:
        return False


def _store_failed(steward: Steward, key: str, fields: dict[str, str], plain: str, exc: BaseException) -> str:
    """Processing failed and was rolled back: keep the raw message as `failed` (fresh transaction) for
    `steward replay`; if the database cannot take it either, spool it to disk."""
    # An event's de-dup key holds the sender's openid: log only a digest of it. The traceback (whose
    # message may carry an openid or the resident's words from the database's DETAIL) only at DEBUG.
    error = describe_error(exc)
    log.error("processing inbound message %s failed: %s", hashlib.sha1(key.encode()).hexdigest()[:12], error)
    log.debug("traceback of that failure", exc_info=exc)
    try:
        with steward.session() as session:
            session.add(InboundMessage(**_raw_values(key, fields, plain, "failed", error=error)))
    except IntegrityError:
        pass  # a concurrent retry stored (and handled) it
    except Exception:
        log.exception("database unavailable; spooling the message for replay")
        spool.save(steward.config, key, plain)
    _remember(steward, key, "")
    return ""


# The message's claim in ONE round trip (issue 24: was two — the used query string, then this):
# [the signed query string's claim (a replay with another body: -1, nothing else set)], the de-dup
# claim, the resident's dialogue lock (taken only when the claim is ours), the dialogue state.
# A script, not a pipeline: a replayed query must leave no de-dup claim behind for its forged MsgId.
# The digest is compared plainly: it is the body's sha256, nothing secret to time.
_CLAIM = """
if #KEYS == 4 then
  local stored = redis.call('get', KEYS[4])
  if stored and stored ~= ARGV[4] then return {-1} end
  if not stored then redis.call('set', KEYS[4], ARGV[4], 'EX', ARGV[5]) end
end
if not redis.call('set', KEYS[1], '', 'NX', 'EX', ARGV[1]) then
  return {0, redis.call('get', KEYS[1])}
end
local locked = redis.call('set', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3])
return {1, locked and 1 or 0, redis.call('get', KEYS[3])}
"""
_CLAIM_SHA = hashlib.sha1(_CLAIM.encode()).hexdigest()


def _run_claim(r: Any, keys: list[str], args: list[Any]) -> list[Any]:
    try:
        return r.evalsha(_CLAIM_SHA, len(keys), *keys, *args)
    except NoScriptError:  # a fresh (or flushed) Redis: EVAL loads it for the next message
        return r.eval(_CLAIM, len(keys), *keys, *args)


def _claim(steward: Steward, key: str, openid: str, token: str,
           query: replay_guard.Query | None) -> tuple[str | None, DialogueState | None]:
    """(None, dialogue state) if this message is new; else (the reply already given — \"\" while
    still in progress —, None). Raises Rejected(403) for a used query string with another body
    (`query`: checked in the database when Redis is away). Only when another message of the
    resident holds the lock (an album) is there a wait."""
    keys = [SEEN_KEY.format(key), dialogue_lock.LOCK_KEY.format(openid), intake.DIALOGUE_KEY.format(openid)]
    args: list[Any] = [SEEN_TTL, token, dialogue_lock.HOLD_MS]
    if query is not None:
        used, digest = query_digests(query.args, query.body)
        keys.append(QUERY_KEY.format(used))
        args += [digest, 2 * query.tolerance + 1]  # accepted while |now - timestamp| <= tolerance
    try:
        found = _run_claim(steward.redis, keys, args)
        if found[0] == 1 and not found[1]:  # the state read may be stale: read it again once the lock is ours
            dialogue_lock.wait(steward.redis, openid, token)
            found[2] = steward.redis.get(intake.DIALOGUE_KEY.format(openid))
    except Exception:
        log.warning("Redis unavailable for de-duplication; the database constraint still holds")
        if query is not None:
            replay_guard.claim_in_database(steward, query.args, query.body, query.tolerance)
        return None, DialogueState()
    if found[0] == -1:
        raise Rejected(403, REPLAYED)
    if found[0] == 0:
        return found[1] or "", None
    return None, intake.parse_state(found[2])


def _remember(steward: Steward, key: str, reply: str) -> None:
    try:
        steward.redis.set(SEEN_KEY.format(key), reply, ex=SEEN_TTL)
    except Exception:
        log.debug("could not remember the reply to %s", hashlib.sha1(key.encode()).hexdigest()[:12])
