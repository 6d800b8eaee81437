"""Build and sign messages exactly as WeChat's servers send them to our webhook.

Used by `steward chat`, the sandbox (TEMPLATESENDJOBFINISH events) and the test suite's signing
client; the webhook uses `sign()` to verify. Nothing here talks to the network except
`SignedPoster`.
"""

from __future__ import annotations

import itertools
import secrets
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

import requests
from wechatpy.crypto import WeChatCrypto

from bot.config import WeChatConfig
from bot.wechat.security import signature


def sign(token: str, timestamp: str, nonce: str) -> str:
    """WeChat's `signature`: sha1 over the lexicographically sorted token, timestamp and nonce."""
    return signature(token, str(timestamp), str(nonce))


def new_nonce() -> str:
    return str(secrets.randbelow(10**10))


_msg_counter = itertools.count()


def new_msg_id() -> int:
    """A 64-bit MsgId like WeChat's: milliseconds, a per-process counter, a random tail (so two
    chat processes in the same millisecond still differ)."""
    return int(time.time() * 1000) * 1_000_000 + (next(_msg_counter) % 1000) * 1000 + secrets.randbelow(1000)


def _cdata(value: str) -> str:
    # "]]>" cannot appear inside CDATA: split it across two sections, as WeChat does.
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def build_xml(fields: Mapping[str, Any]) -> str:
    """`<xml>` with one child per field: numbers bare, strings in CDATA (WeChat's layout)."""
    parts = ["<xml>"]
    for key, value in fields.items():
        if value is None:
            continue
        body = (
            str(value)
            if isinstance(value, int | float) and not isinstance(value, bool)
            else _cdata(str(value))
        )
        parts.append(f"<{key}>{body}</{key}>")
    parts.append("</xml>")
    return "".join(parts)


def _head(to_user: str, from_user: str, msg_type: str, create_time: int | None) -> dict[str, Any]:
    return {
        "ToUserName": to_user,
        "FromUserName": from_user,
        "CreateTime": int(create_time if create_time is not None else time.time()),
        "MsgType": msg_type,
    }


def build_text_xml(
    to_user: str, from_user: str, content: str, msg_id: int | None = None, create_time: int | None = None
) -> str:
    fields = _head(to_user, from_user, "text", create_time)
    fields.update(Content=content, MsgId=msg_id or new_msg_id())
    return build_xml(fields)


def build_image_xml(
    to_user: str,
    from_user: str,
    media_id: str,
    pic_url: str = "",
    msg_id: int | None = None,
    create_time: int | None = None,
) -> str:
    fields = _head(to_user, from_user, "image", create_time)
    fields.update(PicUrl=pic_url or f"http://mmbiz.qpic.cn/sandbox/{media_id}/0", MediaId=media_id)
    fields["MsgId"] = msg_id or new_msg_id()
    return build_xml(fields)


def build_voice_xml(
    to_user: str,
    from_user: str,
    media_id: str,
    recognition: str | None = None,
    fmt: str = "amr",
    msg_id: int | None = None,
    create_time: int | None = None,
) -> str:
    fields = _head(to_user, from_user, "voice", create_time)
    fields.update(MediaId=media_id, Format=fmt)
    if recognition is not None:
        fields["Recognition"] = recognition
    fields["MsgId"] = msg_id or new_msg_id()
    return build_xml(fields)


def build_location_xml(
    to_user: str,
    from_user: str,
    lat: float,
    lon: float,
    label: str = "",
    scale: int = 15,
    msg_id: int | None = None,
    create_time: int | None = None,
) -> str:
    fields = _head(to_user, from_user, "location", create_time)
    fields.update(Location_X=float(lat), Location_Y=float(lon), Scale=scale, Label=label)
    fields["MsgId"] = msg_id or new_msg_id()
    return build_xml(fields)


def build_link_xml(
    to_user: str,
    from_user: str,
    title: str,
    url: str,
    description: str = "",
    msg_id: int | None = None,
    create_time: int | None = None,
) -> str:
    fields = _head(to_user, from_user, "link", create_time)
    fields.update(Title=title, Description=description, Url=url, MsgId=msg_id or new_msg_id())
    return build_xml(fields)


def build_event_xml(
    to_user: str,
    from_user: str,
    event: str,
    event_key: str | None = None,
    create_time: int | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """An event push: subscribe / unsubscribe / CLICK / VIEW / SCAN / TEMPLATESENDJOBFINISH / …"""
    fields = _head(to_user, from_user, "event", create_time)
    fields["Event"] = event
    if event_key is not None:
        fields["EventKey"] = event_key
    fields.update(extra or {})
    return build_xml(fields)


def _crypto(config: WeChatConfig) -> WeChatCrypto:
    return WeChatCrypto(config.token, config.encoding_aes_key, config.app_id)


def sign_request(
    config: WeChatConfig,
    xml: str,
    openid: str | None = None,
    timestamp: str | None = None,
    nonce: str | None = None,
) -> tuple[dict[str, str], bytes]:
    """Query parameters and body of the POST WeChat would make for `xml`.

    Plain mode: `signature`, `timestamp`, `nonce` (+ `openid`). Safe mode adds `encrypt_type=aes`
    and `msg_signature`, and the body carries only ToUserName and the AES `Encrypt` field.
    """
    timestamp = str(timestamp or int(time.time()))
    nonce = str(nonce or new_nonce())
    params = {"signature": sign(config.token, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    if openid:
        params["openid"] = openid
    if not config.safe_mode:
        return params, xml.encode("utf-8")
    envelope = ET.fromstring(_crypto(config).encrypt_message(xml, nonce, timestamp))
    encrypt = envelope.findtext("Encrypt") or ""
    params.update(encrypt_type="aes", msg_signature=envelope.findtext("MsgSignature") or "")
    to_user = ET.fromstring(xml).findtext("ToUserName") or config.original_id
    return params, build_xml({"ToUserName": to_user, "Encrypt": encrypt}).encode("utf-8")


def parse_reply(config: WeChatConfig, body: bytes | str) -> dict[str, str]:
    """A passive reply's fields as a flat dict ({} for an empty body or "success"); safe-mode
    replies are checked against their MsgSignature and decrypted."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    text = text.strip()
    if not text or text == "success":
        return {}
    root = ET.fromstring(text)
    if root.find("Encrypt") is not None:
        plain = _crypto(config).decrypt_message(
            text,
            root.findtext("MsgSignature") or "",
            root.findtext("TimeStamp") or "",
            root.findtext("Nonce") or "",
        )
        root = ET.fromstring(plain)
    out: dict[str, str] = {}
    for child in root:
        if len(child):  # nested (news Articles, Image/MediaId): flatten with a dotted path
            for item in child.iter():
                if item is not child and item.text and item.text.strip():
                    out[f"{child.tag}.{item.tag}"] = out.get(f"{child.tag}.{item.tag}", "") + item.text
        else:
            out[child.tag] = child.text or ""
    return out


class SignedPoster:
    """POSTs signed (and in safe mode encrypted) messages to a webhook over real HTTP."""

    def __init__(self, config: WeChatConfig, url: str, timeout: float = 10.0) -> None:
        self.config, self.url, self.timeout = config, url, timeout
        self.http = requests.Session()

    def post(self, xml: str, openid: str | None = None) -> requests.Response:
        params, body = sign_request(self.config, xml, openid=openid)
        return self.http.post(
            self.url, params=params, data=body, headers={"Content-Type": "text/xml"}, timeout=self.timeout
        )

    def exchange(self, xml: str, openid: str | None = None) -> tuple[int, dict[str, str]]:
        """Post and return (HTTP status, parsed passive reply)."""
        resp = self.post(xml, openid=openid)
        if resp.status_code != 200:
            return resp.status_code, {}
        return resp.status_code, parse_reply(self.config, resp.content)
