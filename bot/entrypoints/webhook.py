"""`GET/POST /wechat`: the callback URL configured in the official account.

Verify (403/400/413, nothing stored) → `inbound.receive` (de-duplicate, store, decide, act) → the
reply XML, sealed in safe mode with the key that opened the message.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time

from flask import Blueprint, Response, abort, g, request

from bot.runtime import current
from bot.services.inbound import receive as inbound
from bot.services.inbound import replay_guard, sharing
from bot.wechat.messages import BadMessage, text_reply_xml, to_inbound
from bot.wechat.security import (
    MAX_BODY,
    REPLAYED,
    Rejected,
    check_recipient,
    check_signature,
    check_timestamp,
    encrypt_reply,
    open_callback,
)

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)

# Column limits of `inbound_messages`. Longer values are no WeChat message (openids are 28 characters),
# and PostgreSQL would refuse the row — which must not be taken for an outage and spooled for replay.
_FIELD_LIMITS = {"FromUserName": 64, "MsgType": 32, "Event": 32}
_MSG_ID_LIMIT = 64  # WeChat's are 64-bit integers; the de-dup key holds sender + MsgId


def _plain(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


@bp.url_value_preprocessor
def _community(endpoint: str | None, values: dict | None) -> None:
    """`/wechat/<community>`: that community's account (its token, AES key, original_id), its rows."""
    key = (values or {}).pop("community", None)
    if key is None:
        return
    base = current()
    found = base.community_by_key(key)
    if found is None:
        abort(404)
    g.steward = base.for_community(found.id)


@bp.get("/wechat")
@bp.get("/wechat/<community>")
def verify_url() -> Response:
    cfg = current().config.wechat
    args = request.args
    try:
        check_signature(args.get("signature"), cfg.token, args.get("timestamp", ""), args.get("nonce", ""))
        check_timestamp(args.get("timestamp"), cfg.timestamp_tolerance)
    except Rejected as exc:
        return _plain("forbidden", exc.status)
    return _plain(args.get("echostr", ""))


@bp.post("/wechat")
@bp.post("/wechat/<community>")
def receive() -> Response:
    steward = current()
    cfg = steward.config.wechat
    fields: dict[str, str] = {}
    try:
        body = _read_body()
        opened = open_callback(cfg, request.args.to_dict(), body)
        fields = opened.fields
        msg = to_inbound(fields)  # validates the required fields before anything is stored
        _check_lengths(fields)
        check_recipient(cfg, fields)
        g.aes_key = opened.aes_key  # the reply is sealed with the key that opened the message
        # The used query string is claimed with the message, in receive's one Redis round trip (or the
        # database's `used_queries` while Redis is away): a replay with another body is refused there,
        # before anything is stored. A malformed body (400) claims nothing; it is never handled either.
        query = replay_guard.Query(request.args.to_dict(), body, cfg.timestamp_tolerance)
        steward = g.steward = sharing.community_for(steward, msg)
        reply = inbound.receive(steward, msg, fields, opened.plain, query)
    except Rejected as exc:
        if exc.status == 403 and "ToUserName" in exc.reason:
            # Worth a warning: a misconfigured server URL or somebody forging callbacks. No openid logged.
            log.warning("webhook refused a message for another account (%s)",
                        hashlib.sha1((fields.get("ToUserName") or "").encode()).hexdigest()[:12])
        else:
            log.info("webhook refused: %s", exc.reason)
        if exc.reason == REPLAYED:
            replay_guard.record_refused(steward, request.remote_addr)
        return _plain(exc.reason, exc.status)
    except BadMessage as exc:
        return _plain(str(exc), 400)
    return _answer(fields, reply)


def _read_body() -> bytes:
    length = request.content_length
    if length is not None and length > MAX_BODY:
        raise Rejected(413, "body too large")
    body = request.stream.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        raise Rejected(413, "body too large")
    return body


def _check_lengths(fields: dict[str, str]) -> None:
    for name, limit in _FIELD_LIMITS.items():
        if len(fields.get(name) or "") > limit:
            raise BadMessage(f"{name} is too long")
    if len(fields.get("MsgId") or fields.get("MsgID") or "") > _MSG_ID_LIMIT:
        raise BadMessage("MsgId is too long")


def _answer(fields: dict[str, str], reply: str) -> Response:
    if not reply:
        return _plain("success")
    cfg = current().config.wechat
    xml = text_reply_xml(fields["FromUserName"], fields.get("ToUserName") or cfg.original_id, reply)
    if cfg.safe_mode:
        nonce = request.args.get("nonce") or secrets.token_hex(8)
        xml = encrypt_reply(cfg, xml, nonce, str(int(time.time())), g.get("aes_key"))
    return Response(xml, mimetype="application/xml")
