"""WeChat web authorisation (网页授权, `snsapi_base`: silent) for the member's task page.

The task message's link names a ticket and a member, but a link can be forwarded: the page acts
only for the openid WeChat vouches for. `require_visitor` sends a visitor without one through
`connect/oauth2/authorize`; WeChat comes back to `/m/oauth` with a code, which
`sns/oauth2/access_token` turns into the openid, kept in the (signed) session cookie.
Needs a verified service account and the 网页授权域名 set to `web.public_url`'s host in the MP console.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from urllib.parse import quote, urlsplit

from flask import Blueprint, Response, redirect, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse  # what flask.redirect returns

from bot.config import Config
from bot.runtime import current
from bot.wechat.client import shared_client
from bot.wechat.errors import WeChatError

log = logging.getLogger(__name__)
bp = Blueprint("wx_oauth", __name__, url_prefix="/m")

OPENID_KEY, PENDING_KEY = "wx_openid", "wx_oauth"


def visitor_openid() -> str | None:
    """The openid WeChat vouched for in this browser session, if any."""
    value = session.get(OPENID_KEY)
    return value if isinstance(value, str) and value else None


def is_visitor(openid: str) -> bool:
    who = visitor_openid()
    return who is not None and hmac.compare_digest(who.encode(), openid.encode())


def authorize_redirect(config: Config, next_path: str) -> BaseResponse:
    """To WeChat's authorize page; it comes back to `/m/oauth` with a code and our state."""
    state = secrets.token_urlsafe(12)
    # the community whose account asks: its app id must also turn the code into the openid
    session[PENDING_KEY] = {"state": state, "next": next_path, "c": config.community_id}
    back = config.public_url + url_for("wx_oauth.callback")
    target = (f"{config.wechat.oauth_authorize_url}?appid={quote(config.wechat.app_id)}"
              f"&redirect_uri={quote(back, safe='')}&response_type=code&scope=snsapi_base"
              f"&state={state}#wechat_redirect")
    return redirect(target, code=302)


@bp.get("/oauth")
def callback() -> BaseResponse:
    pending = session.pop(PENDING_KEY, None) or {}
    code, state = request.args.get("code", ""), request.args.get("state", "")
    next_path = pending.get("next") if isinstance(pending, dict) else None
    if not next_path or not _local(next_path):
        return Response("链接已失效，请回到微信里重新打开。", status=400, mimetype="text/plain")
    if not code or not hmac.compare_digest(str(pending.get("state", "")).encode(), state.encode()):
        # The user refused, or a stale/forged callback: the page then shows nothing personal.
        return redirect(next_path + "?auth=failed")
    community = pending.get("c")
    steward = current().deployment.for_community(community if isinstance(community, int) else None)
    try:
        openid = shared_client(steward.config, steward.redis).oauth_openid(code)
    except WeChatError as exc:
        log.info("web authorisation refused (%s)", exc.code)
        return redirect(next_path + "?auth=failed")
    session[OPENID_KEY] = openid
    log.debug("web authorisation for %s", hashlib.sha1(openid.encode()).hexdigest()[:10])
    return redirect(next_path)


def _local(path: str) -> bool:
    parts = urlsplit(path)
    return not parts.scheme and not parts.netloc and path.startswith("/m/")
