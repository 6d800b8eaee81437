"""`GET/POST /wechat`: the callback URL configured in the official account.

Order matters: verify (403/400/413, nothing stored) → de-duplicate → store the raw message and
process it in one transaction → reply. If processing fails, that transaction is rolled back and the
raw message is stored as `failed` in a fresh one (else spooled to disk); every such failure still
answers `success`, because WeChat shows residents "该公众号暂时无法提供服务" for anything else and the
message is kept for replay.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from typing import cast

from flask import Blueprint, Response, g, request
from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError

from bot.runtime import current
from bot.sandbox import note_inbound
from bot.services import dialogue_lock, intake, voice
from bot.storage import spool
from bot.storage.db import describe_error
from bot.storage.models import InboundMessage
from bot.wechat.messages import BadMessage, dedup_key, text_reply_xml, to_inbound
from bot.wechat.security import (
    MAX_BODY,
    Rejected,
    check_recipient,
    check_signature,
    check_timestamp,
    claim_query,
    encrypt_reply,
    open_callback,
)
from handlers.state import DialogueState

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)

SEEN_KEY = "steward:seen:{}"
SEEN_TTL = 600  # WeChat's retries come within ~15 s; keep the reply a while longer


def _plain(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


@bp.get("/wechat")
def verify_url() -> Response:
    cfg = current().config.wechat
    args = request.args
    try:
        check_signature(args.get("signature"), cfg.token, args.get("timestamp", ""), args.get("nonce", ""))
        check_timestamp(args.get("timestamp"), cfg.timestamp_tolerance)
    except Rejected as exc:
        return _plain("forbidden", exc.status)
    return _plain(args.get("echostr", ""))


def _read_body() -> bytes:
    length = request.content_length
    if length is not None and length > MAX_BODY:
        raise Rejected(413, "body too large")
    body = request.stream.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise Rejected(413, "body too large")
    return body


@bp.post("/wechat")
def receive() -> Response:
    steward = current()
    cfg = steward.config.wechat
    try:
        body = _read_body()
        opened = open_callback(cfg, request.args.to_dict(), body)
        plain, fields = opened.plain, opened.fields
        claim_query(steward.redis, request.args.to_dict(), body, cfg.timestamp_tolerance)
        msg = to_inbound(fields)  # validates the required fields before anything is stored
        _check_lengths(fields)
        check_recipient(cfg, fields)
    except Rejected as exc:
        if exc.status == 403 and "ToUserName" in exc.reason:
            # Worth a warning: a misconfigured server URL or somebody forging callbacks. No openid logged.
            log.warning("webhook refused a message for another account (%s)",
                        hashlib.sha1((fields.get("ToUserName") or "").encode()).hexdigest()[:12])
        else:
            log.info("webhook refused: %s", exc.reason)
        return _plain(exc.reason, exc.status)
    except BadMessage as exc:
        return _plain(str(exc), 400)
    g.aes_key = opened.aes_key  # the reply is sealed with the key that opened the message

    key = dedup_key(fields)
    openid, token = fields["FromUserName"], dialogue_lock.new_token()
    seen, state = _claim(steward, key, openid, token)
    if seen is not None:
        return _answer(steward, fields, seen)

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
            return _answer(steward, fields, "")  # a retry that raced past the Redis claim
        return _store_failed(steward, key, fields, plain, exc)
    except Exception as exc:
        dialogue_lock.release(steward.redis, openid, token)
        return _store_failed(steward, key, fields, plain, exc)
    reply = done.reply or ""

    def after(pipe) -> None:  # noqa: ANN001 — the dedup reply and the lock's release ride the same round trip
        pipe.set(SEEN_KEY.format(key), reply, ex=SEEN_TTL)
        dialogue_lock.release_on(pipe, openid, token)

    intake.finish(steward, done, extra=after)
    note_inbound(steward, msg.openid, msg.kind, msg.event)
    return _answer(steward, fields, reply)


_INSERT_INBOUND = insert(cast(Table, InboundMessage.__table__))  # built once: executed with a dict of values


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


def _is_duplicate(steward, key: str) -> bool:
    try:
        with steward.session() as session:
            return session.scalar(select(InboundMessage.id).where(InboundMessage.dedup_key == key)) is not None
    except Exception:
        return False


def _store_failed(steward, key: str, fields: dict[str, str], plain: str, exc: BaseException) -> Response:
    """Processing failed and was rolled back: keep the raw message as `failed` (fresh transaction) for
    `steward replay`; if the database cannot take it either, spool it to disk. Always `success`."""
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
    return _plain("success")


# Column limits of `inbound_messages`. Longer values are no WeChat message (openids are 28 characters),
# and PostgreSQL would refuse the row — which must not be taken for an outage and spooled for replay.
_FIELD_LIMITS = {"FromUserName": 64, "MsgType": 32, "Event": 32}
_MSG_ID_LIMIT = 64  # WeChat's are 64-bit integers; the de-dup key holds sender + MsgId


def _check_lengths(fields: dict[str, str]) -> None:
    for name, limit in _FIELD_LIMITS.items():
        if len(fields.get(name) or "") > limit:
            raise BadMessage(f"{name} is too long")
    if len(fields.get("MsgId") or fields.get("MsgID") or "") > _MSG_ID_LIMIT:
        raise BadMessage("MsgId is too long")


def _claim(steward, key: str, openid: str, token: str) -> tuple[str | None, DialogueState | None]:
    """(None, dialogue state) if this message is new; else (the reply already given — \"\" while
    still in progress —, None). Claim, the resident's dialogue lock and the state read share one
    round trip; only when another message of his holds the lock (an album) is there a wait."""
    try:
        pipe = steward.redis.pipeline(transaction=False)
        pipe.set(SEEN_KEY.format(key), "", nx=True, ex=SEEN_TTL)
        pipe.get(SEEN_KEY.format(key))
        dialogue_lock.take_on(pipe, openid, token)
        pipe.get(intake.DIALOGUE_KEY.format(openid))
        claimed, seen, locked, state = pipe.execute()
        if not claimed:
            if locked:
                dialogue_lock.release(steward.redis, openid, token)
            return seen or "", None
        if not locked:  # the state read above may be stale: read it again once the lock is ours
            dialogue_lock.wait(steward.redis, openid, token)
            state = steward.redis.get(intake.DIALOGUE_KEY.format(openid))
    except Exception:
        log.warning("Redis unavailable for de-duplication; the database constraint still holds")
        return None, DialogueState()
    return None, intake.parse_state(state)


def _remember(steward, key: str, reply: str) -> None:
    try:
        steward.redis.set(SEEN_KEY.format(key), reply, ex=SEEN_TTL)
    except Exception:
        pass


def _answer(steward, fields: dict[str, str], reply: str) -> Response:
    if not reply:
        return _plain("success")
    cfg = steward.config.wechat
    xml = text_reply_xml(fields["FromUserName"], fields.get("ToUserName") or cfg.original_id, reply)
    if cfg.safe_mode:
        nonce = request.args.get("nonce") or secrets.token_hex(8)
        xml = encrypt_reply(cfg, xml, nonce, str(int(time.time())), g.get("aes_key"))
    return Response(xml, mimetype="application/xml")
