"""`GET/POST /wechat`: the callback URL configured in the official account.

Order matters: verify (403/400/413, nothing stored) → de-duplicate → store the raw message →
process → reply. After the raw message is stored every failure still answers `success`, because
WeChat shows residents "该公众号暂时无法提供服务" for anything else and the message is kept for replay.
"""

from __future__ import annotations

import logging
import secrets
import time

from flask import Blueprint, Response, request
from sqlalchemy.exc import IntegrityError

from bot import intake, spool
from bot.models import InboundMessage
from bot.state import current
from bot.wechat.messages import BadMessage, dedup_key, text_reply_xml, to_inbound
from bot.wechat.security import (
    MAX_BODY,
    Rejected,
    check_signature,
    check_timestamp,
    encrypt_reply,
    verify_and_open,
)

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
        plain, fields = verify_and_open(cfg, request.args.to_dict(), body)
        to_inbound(fields)  # validates the required fields before anything is stored
        _check_lengths(fields)
    except Rejected as exc:
        log.info("webhook refused: %s", exc.reason)
        return _plain(exc.reason, exc.status)
    except BadMessage as exc:
        return _plain(str(exc), 400)

    key = dedup_key(fields)
    seen = _claim(steward, key)
    if seen is not None:
        return _answer(steward, fields, seen)

    try:
        with steward.session() as session:
            row = InboundMessage(
                dedup_key=key,
                openid=fields["FromUserName"],
                msg_type=fields.get("MsgType", ""),
                event=(fields.get("Event") or "").lower() or None,
                raw=plain,
            )
            session.add(row)
            session.flush()
            inbound_id = row.id
    except IntegrityError:
        return _answer(steward, fields, "")  # a retry that raced past the Redis claim
    except Exception:
        log.exception("database unavailable; spooling the message for replay")
        spool.save(steward.config, key, plain)
        return _plain("success")

    try:
        reply = intake.process(steward, inbound_id)
    except Exception as exc:
        log.exception("processing inbound message %s failed", inbound_id)
        intake.mark_failed(steward, inbound_id, f"{type(exc).__name__}: {exc}")
        reply = None
    _remember(steward, key, reply or "")
    return _answer(steward, fields, reply or "")


# Column limits of `inbound_messages`. Longer values are no WeChat message (openids are 28 characters),
# and PostgreSQL would refuse the row — which must not be taken for an outage and spooled for replay.
_FIELD_LIMITS = {"FromUserName": 64, "MsgType": 32, "Event": 32}
_DEDUP_KEY_LIMIT = 160


def _check_lengths(fields: dict[str, str]) -> None:
    for name, limit in _FIELD_LIMITS.items():
        if len(fields.get(name) or "") > limit:
            raise BadMessage(f"{name} is too long")
    if len(dedup_key(fields)) > _DEDUP_KEY_LIMIT:
        raise BadMessage("MsgId is too long")


def _claim(steward, key: str) -> str | None:
    """None if this message is new; else the reply already given (\"\" while still in progress)."""
    try:
        r = steward.redis
        if r.set(SEEN_KEY.format(key), "", nx=True, ex=SEEN_TTL):
            return None
        return r.get(SEEN_KEY.format(key)) or ""
    except Exception:
        log.warning("Redis unavailable for de-duplication; the database constraint still holds")
        return None


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
        xml = encrypt_reply(cfg, xml, nonce, str(int(time.time())))
    return Response(xml, mimetype="application/xml")
