"""Events the sandbox pushes back to the webhook, signed as WeChat signs them."""

from __future__ import annotations

import logging
import threading
import time

import requests

from bot.config import Config
from bot.wechat.signing import build_event_xml, sign_request

log = logging.getLogger(__name__)


def template_finish_event_xml(
    msgid: int | str,
    openid: str,
    status: str = "success",
    to_user: str = "gh_sandbox",
    create_time: int | None = None,
) -> str:
    """TEMPLATESENDJOBFINISH for `msgid`; status is "success", "failed:user block" or
    "failed: system failed", as WeChat sends them."""
    return build_event_xml(
        to_user,
        openid,
        "TEMPLATESENDJOBFINISH",
        create_time=create_time,
        extra={"MsgID": int(msgid), "Status": status},
    )


def deliver_event(config: Config, xml: str, url: str | None = None, openid: str | None = None) -> int:
    """POST a signed (and in safe mode encrypted) event to the webhook; returns the HTTP status."""
    target = url or f"{config.public_url}/wechat"
    params, body = sign_request(config.wechat, xml, openid=openid)
    resp = requests.post(target, params=params, data=body, headers={"Content-Type": "text/xml"}, timeout=10)
    return resp.status_code


def deliver_later(config: Config, xml: str, url: str, openid: str, delay: float) -> None:
    """Deliver from a background thread, as WeChat does after the send call has returned (a
    synchronous post could deadlock a single-threaded dev server)."""

    def run() -> None:
        time.sleep(delay)
        try:
            status = deliver_event(config, xml, url, openid)
            log.info("sandbox: TEMPLATESENDJOBFINISH delivered to %s (HTTP %s)", url, status)
        except requests.RequestException as exc:
            log.warning("sandbox: could not deliver TEMPLATESENDJOBFINISH to %s: %s", url, exc)

    threading.Thread(target=run, name="sandbox-event", daemon=True).start()
