"""Verifying what claims to come from WeChat: signatures (constant time), timestamps, safe XML.

WeChat signs with sha1 over the sorted (token, timestamp, nonce[, encrypt]); in safe mode the body
is AES-CBC encrypted with the EncodingAESKey (wechatpy's PrpCrypto does the cipher work).

In plain mode the signature covers the query string only, not the body: a captured query string
would carry any body for the whole timestamp window. The webhook remembers each used (timestamp,
nonce, signature[, msg_signature]) in Redis (`bot.services.inbound.receive._claim`, under QUERY_KEY) with the digest of the body it came with, for as long
as the timestamp is accepted; the same query with another body is refused. While Redis is away the
same pair goes to the database (`used_queries`, unique by the query's digest).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import time
from dataclasses import dataclass

import xmltodict  # type: ignore[import-untyped]  # ships no type hints; types-xmltodict is not a dependency
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException

from bot.config import WeChatConfig

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
QUERY_KEY = "steward:wxquery:{}"
REPLAYED = "query string already used"  # the reason of the 403 for a replayed query string
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


class Rejected(Exception):
    """The request is refused; `status` is the HTTP status to answer (403, 400, 413)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def signature(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def check_signature(expected: str | None, *parts: str) -> None:
    if not expected or not hmac.compare_digest(signature(*parts).encode(), expected.encode()):
        raise Rejected(403, "bad signature")


def check_timestamp(timestamp: str | None, tolerance: int, now: float | None = None) -> None:
    try:
        ts = int(timestamp or "")
    except ValueError:
        raise Rejected(403, "bad timestamp") from None
    if abs((now or time.time()) - ts) > tolerance:
        raise Rejected(403, "stale timestamp")


def query_digests(args: dict[str, str], body: bytes) -> tuple[str, str]:
    """(the signed query string's digest, the body's digest)."""
    parts = (args.get("timestamp", ""), args.get("nonce", ""), args.get("signature", ""),
             args.get("msg_signature", ""))
    return hashlib.sha256("|".join(parts).encode()).hexdigest(), hashlib.sha256(body).hexdigest()


def parse_xml(body: bytes | str) -> dict[str, str]:
    """The <xml> element as a flat dict of strings. DTDs and entities are refused (billion laughs, XXE)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    if _DTD.search(data):
        raise Rejected(400, "DTD not allowed")
    try:
        doc = xmltodict.parse(data, disable_entities=True)
    except Exception:  # expat errors, entity refusals, bad encodings: all malformed input
        raise Rejected(400, "malformed XML") from None
    root = doc.get("xml") if isinstance(doc, dict) else None
    if not isinstance(root, dict):
        raise Rejected(400, "no <xml> root")
    flat: dict[str, str] = {}
    for key, value in root.items():
        if isinstance(value, list):
            # A tag given twice (two FromUserName…) is no WeChat message and could smuggle a second value.
            raise Rejected(400, f"repeated tag {key}"[:80])
        if isinstance(value, dict):
            # Nested elements (e.g. ScanCodeInfo) are kept as their text where they have one.
            value = value.get("#text", "")
        flat[key] = "" if value is None else str(value)
    return flat


@dataclass(frozen=True)
class Opened:
    """A verified callback: its plaintext XML, its fields, and the AES key that opened it (None in
    plain mode) — the reply is encrypted with the same key."""

    plain: str
    fields: dict[str, str]
    aes_key: str | None = None


def verify_and_open(cfg: WeChatConfig, args: dict[str, str], body: bytes) -> tuple[str, dict[str, str]]:
    """Check a POSTed callback and return (plaintext XML, its fields). Raises Rejected."""
    opened = open_callback(cfg, args, body)
    return opened.plain, opened.fields


def open_callback(cfg: WeChatConfig, args: dict[str, str], body: bytes) -> Opened:
    """Check a POSTed callback and open it. Raises Rejected."""
    if len(body) > MAX_BODY:
        raise Rejected(413, "body too large")
    timestamp, nonce = args.get("timestamp", ""), args.get("nonce", "")
    check_signature(args.get("signature"), cfg.token, timestamp, nonce)
    check_timestamp(timestamp, cfg.timestamp_tolerance)
    encrypted = args.get("encrypt_type", "raw").lower() == "aes"
    if cfg.safe_mode != encrypted:
        # Safe mode accepts only encrypted bodies; plain mode cannot decrypt them.
        raise Rejected(403, "encryption mode mismatch")
    outer = parse_xml(body)
    if not encrypted:
        try:
            return Opened(body.decode("utf-8"), outer)
        except UnicodeDecodeError:
            raise Rejected(400, "body is not UTF-8") from None
    encrypt = outer.get("Encrypt", "")
    check_signature(args.get("msg_signature"), cfg.token, timestamp, nonce, encrypt)
    text, key = _decrypt(cfg, encrypt)
    return Opened(text, parse_xml(text.encode("utf-8")), key)


def _decrypt(cfg: WeChatConfig, encrypt: str) -> tuple[str, str]:
    """Try the current EncodingAESKey, then the previous one: while a new key is rolled out in the
    MP console, WeChat may still send messages sealed with the old one."""
    keys = [k for k in (cfg.encoding_aes_key, cfg.encoding_aes_key_previous) if k]
    refusal = Rejected(400, "cannot decrypt")
    for key in keys:
        try:
            plain = PrpCrypto(_aes_key(key)).decrypt(encrypt, cfg.app_id)
        except InvalidAppIdException:
            refusal = Rejected(403, "wrong app id")
            continue
        except Exception:
            continue
        return (plain.decode("utf-8") if isinstance(plain, bytes) else plain), key
    raise refusal


def encrypt_reply(cfg: WeChatConfig, xml: str, nonce: str, timestamp: str, aes_key: str | None = None) -> str:
    return WeChatCrypto(cfg.token, aes_key or cfg.encoding_aes_key, cfg.app_id).encrypt_message(xml, nonce, timestamp)


def check_recipient(cfg: WeChatConfig, fields: dict[str, str]) -> None:
    """A message for another account (a misrouted or forged callback) is refused: we would answer
    and act as that account's backend."""
    to_user = (fields.get("ToUserName") or "").strip()
    if to_user != cfg.original_id:
        raise Rejected(403, "ToUserName is not this account")


def _aes_key(key: str) -> bytes:
    return base64.b64decode(key + "=")
