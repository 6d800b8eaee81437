"""`qrcode/create` and `showqrcode` as WeChat documents them (生成带参数的二维码):

- temporary: action_name QR_SCENE (scene_id, 32-bit, non-zero) or QR_STR_SCENE (scene_str, 1–64
  characters), expire_seconds at most 2592000 (30 days), 60 when left out;
- permanent: QR_LIMIT_SCENE (scene_id 1–100000) or QR_LIMIT_STR_SCENE (scene_str 1–64), no expiry;
- the answer: {"ticket", "expire_seconds" (temporary only), "url"}; the image comes from
  `showqrcode?ticket=` without an access token; an unknown or expired ticket gets no image.

The image is a real QR code (segno) of `url`, which the sandbox page resolves to the scene.
"""

from __future__ import annotations

import base64
import io
import json
import secrets
from typing import Any

import segno
from flask import Response, jsonify, request

from bot.sandbox import state
from bot.sandbox.state import Redis

KEY = state.P + "qrcode:"
MAX_EXPIRE = 2_592_000
DEFAULT_EXPIRE = 60


def _scene(action: str, info: Any) -> str | int | None:
    scene = info.get("scene") if isinstance(info, dict) else None
    if not isinstance(scene, dict):
        return None
    if action in ("QR_STR_SCENE", "QR_LIMIT_STR_SCENE"):
        value = scene.get("scene_str")
        return value if isinstance(value, str) and 1 <= len(value) <= 64 else None
    value = scene.get("scene_id")
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    ok = 1 <= value <= 100_000 if action == "QR_LIMIT_SCENE" else value != 0 and -2**31 <= value < 2**32
    return value if ok else None


def _invalid() -> Any:
    # As bot.sandbox.api.error words it (which imports this module): message and a request id.
    return jsonify(errcode=40097, errmsg=f"invalid args rid: {secrets.token_hex(4)}-{secrets.token_hex(6)}")


def create(call: Any) -> Any:
    body = call.body
    action = body.get("action_name")
    if action not in ("QR_SCENE", "QR_STR_SCENE", "QR_LIMIT_SCENE", "QR_LIMIT_STR_SCENE"):
        return _invalid()
    scene = _scene(action, body.get("action_info"))
    if scene is None:
        return _invalid()
    temporary = action in ("QR_SCENE", "QR_STR_SCENE")
    expire = body.get("expire_seconds", DEFAULT_EXPIRE) if temporary else None
    if temporary and (not isinstance(expire, int) or isinstance(expire, bool) or expire <= 0):
        return _invalid()
    if expire is not None:
        expire = min(expire, MAX_EXPIRE)
    ticket = base64.b64encode(secrets.token_bytes(30)).decode()
    url = f"http://weixin.qq.com/q/{secrets.token_urlsafe(16)}"
    record = {"scene": scene, "url": url, "expires_at": None if expire is None else state.now() + expire}
    call.redis.set(KEY + ticket, json.dumps(record), ex=expire)
    call.redis.set(KEY + "url:" + url, json.dumps(record), ex=expire)
    answer: dict[str, Any] = {"ticket": ticket, "url": url}
    if expire is not None:
        answer["expire_seconds"] = expire
    return jsonify(answer)


def lookup(redis: Redis, ticket: str) -> dict[str, Any] | None:
    raw = redis.get(KEY + ticket)
    if raw is None:
        return None
    record = json.loads(raw)
    if record["expires_at"] is not None and record["expires_at"] <= state.now():  # the project clock moved on
        return None
    return record


def show(call: Any) -> Any:
    record = lookup(call.redis, request.args.get("ticket", ""))
    if record is None:
        return Response("", status=404)
    png = io.BytesIO()
    segno.make(record["url"], error="m").save(png, kind="png", scale=8, border=2)
    return Response(png.getvalue(), mimetype="image/png")
