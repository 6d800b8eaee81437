"""The baseline for `bench/webhook.py`: a bare Flask + wechatpy webhook that only verifies the
signature, decrypts in safe mode, parses the message and answers `success` — no Redis, no database,
no understanding. Our webhook's throughput is reported as a ratio of this one's.

Configured from the same environment the real app reads (STEWARD_WECHAT_TOKEN, …_APP_ID,
…_ENCODING_AES_KEY); run as `gunicorn bench.baseline_app:app`. `bench/floor_app.py` builds on it.
"""

from __future__ import annotations

import os

from flask import Flask, Response, request
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

TOKEN = os.environ.get("STEWARD_WECHAT_TOKEN", "sample-token-change-me")
APP_ID = os.environ.get("STEWARD_WECHAT_APP_ID", "wx0000000000sample")
AES_KEY = os.environ.get("STEWARD_WECHAT_ENCODING_AES_KEY", "")

app = Flask(__name__)
crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID) if AES_KEY else None


def open_message() -> tuple[bytes, object]:
    """Verify, decrypt (safe mode) and parse the POSTed message: (plaintext XML, wechatpy message)."""
    args = request.args
    check_signature(TOKEN, args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", ""))
    body = request.get_data()
    if crypto is not None:
        body = crypto.decrypt_message(body, args.get("msg_signature", ""), args.get("timestamp", ""),
                                      args.get("nonce", ""))
    return body, parse_message(body)


@app.get("/healthz")
def healthz() -> str:
    return "ok"


@app.post("/wechat")
def wechat() -> Response:
    try:
        open_message()
    except InvalidSignatureException:
        return Response("forbidden", status=403)
    return Response("success", mimetype="text/plain")
