"""The fake WeChat API endpoints: each takes the request's JSON body / query and answers like WeChat."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeGuard

from flask import Response, jsonify, request

from bot.config import Config
from bot.domain import templates
from bot.sandbox import events, media, qrcode, state, window
from bot.sandbox.state import Redis

ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40007: "invalid media_id",
    40008: "invalid message type",
    40013: "invalid appid",
    40015: "invalid button type",
    40016: "invalid button size",
    40017: "invalid sub button size",
    40018: "invalid button name size",
    40019: "invalid button key size",
    40029: "invalid code",
    40037: "invalid template_id",
    40125: "invalid appsecret",
    40054: "invalid sub button url domain",
    41001: "access_token missing",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    43004: "require subscribe",
    44004: "empty content",
    45002: "content size out of limit",
    45003: "title size out of limit",
    45004: "description size out of limit",
    43019: "require remove blacklist",
    44002: "empty post data",
    45009: "reach max api daily quota limit",
    45015: "response out of time limit or subscription is canceled",
    45047: "out of response count limit",
    47001: "data format error",
    47003: "argument invalid!",
    48001: "api unauthorized",
    40097: "invalid args",
}


def error(code: int, message: str | None = None, http: int = 200) -> tuple[Response, int]:
    # WeChat appends a request id to every error message.
    msg = f"{message or ERRMSG.get(code, 'error')} rid: {secrets.token_hex(4)}-{secrets.token_hex(6)}"
    return jsonify(errcode=code, errmsg=msg), http


def ok(**extra: Any) -> Response:
    return jsonify(errcode=0, errmsg="ok", **extra)


class Call:
    """One API call: the app's config, the shared Redis, the parsed body."""

    def __init__(self, config: Config, redis: Redis, body: dict[str, Any],
                 settings_raw: dict[Any, Any] | None = None) -> None:
        self.config, self.redis, self.body = config, redis, body
        self.settings = state.settings(redis, config, settings_raw)


def _credentials(call: Call, appid: str | None, secret: str | None) -> tuple[Response, int] | None:
    wx = call.config.wechat
    if appid != wx.app_id:
        return error(40013)
    if secret != wx.app_secret:
        return error(40125)
    return None


def token(call: Call) -> Any:
    args = request.args
    if args.get("grant_type") != "client_credential":
        return error(40002)
    refused = _credentials(call, args.get("appid"), args.get("secret"))
    if refused:
        return refused
    tok, expires_in = state.issue_token(
        call.redis, args["appid"], "classic", True, call.settings.token_expires_in
    )
    return jsonify(access_token=tok, expires_in=expires_in)


def stable_token(call: Call) -> Any:
    body = call.body
    if body.get("grant_type") != "client_credential":
        return error(40002)
    refused = _credentials(call, body.get("appid"), body.get("secret"))
    if refused:
        return refused
    force = body.get("force_refresh") in (True, "true", 1)
    tok, expires_in = state.issue_token(
        call.redis, body["appid"], "stable", force, call.settings.token_expires_in
    )
    return jsonify(access_token=tok, expires_in=expires_in)


def _valid_openid(openid: Any) -> TypeGuard[str]:
    return isinstance(openid, str) and 0 < len(openid) <= 64 and openid.isprintable() and " " not in openid


def template_send(call: Call) -> Any:
    body = call.body
    openid, template_id = body.get("touser"), body.get("template_id")
    if not _valid_openid(openid):
        return error(40003)
    known = {v for v in vars(call.config.templates).values() if v}
    if not isinstance(template_id, str) or not template_id or (known and template_id not in known):
        return error(40037)
    data = body.get("data") or {}
    if not isinstance(data, dict):
        return error(47001)
    bad = templates.violation(data)  # the 2023-05-04 rules: typed fields, ≤ limits, no first/remark
    if bad:
        state.note_rejected(call.redis, {"openid": openid, "template_id": template_id, "field": bad})
        return error(47003, f"argument invalid! {bad} invalid")
    cmid = body.get("client_msg_id")
    if cmid:
        msgid, earlier = state.claim_msgid(call.redis, call.config.wechat.app_id, str(cmid))
        if earlier:  # WeChat answers a resend with the first send's msgid and sends nothing
            return ok(msgid=earlier)
    else:
        msgid = state.next_msgid(call.redis)
    state.record(
        call.redis,
        "template",
        openid,
        template_id=template_id,
        data=data,
        url=body.get("url"),
        client_msg_id=cmid,
        msgid=msgid,
        appid=call.config.wechat.app_id,
    )
    if call.settings.deliver_events:
        xml = events.template_finish_event_xml(msgid, openid, to_user=call.config.wechat.original_id)
        events.deliver_later(call.config, xml, call.settings.webhook_url, openid, call.settings.event_delay)
    return ok(msgid=msgid)


def custom_send(call: Call) -> Any:
    body = call.body
    openid, msgtype = body.get("touser"), body.get("msgtype")
    if not _valid_openid(openid):
        return error(40003)
    if msgtype not in (
        "text",
        "image",
        "voice",
        "video",
        "music",
        "news",
        "mpnews",
        "msgmenu",
        "miniprogrampage",
    ):
        return error(40008)
    part = body.get(msgtype)
    if not isinstance(part, dict) or (msgtype == "text" and not part.get("content")):
        return error(47001)
    if call.settings.window_check and call.settings.quota_check:
        refused = window.take_custom_quota(call.redis, openid, call.settings.window_hours)
        if refused:
            return error(refused)
    elif call.settings.window_check:
        last = window.last_user_message(call.redis, openid)
        if last is None or state.now() - last > call.settings.window_hours * 3600:
            return error(45015)
    text = part.get("content") if msgtype == "text" else None
    state.record(call.redis, "custom", openid, msgtype=msgtype, text=text, data=None if text else part,
                 appid=call.config.wechat.app_id)
    return ok()


def media_get(call: Call) -> Any:
    media_id = request.args.get("media_id", "")
    if not media_id:
        return error(40007)
    uploaded = state.uploaded_media(call.redis, media_id)
    if uploaded is None and media_id.startswith("sbx_voice_"):
        return error(40007)  # an uploaded voice older than 3 days: gone, as on WeChat
    content, ctype, name = media.media_for(media_id, uploaded)
    resp = Response(content, mimetype=ctype)
    resp.headers["Content-disposition"] = f'attachment; filename="{name}"'
    return resp


MENU_TYPES = {"click", "view", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album",
              "pic_weixin", "location_select", "media_id", "article_id", "article_view_limited", "miniprogram"}


def _menu_item(b: Any, limit: int) -> int:
    """0, or the errcode WeChat answers for this button (names by bytes: 16 top, 60 sub)."""
    if not isinstance(b, dict) or not b.get("name") or len(str(b["name"]).encode("utf-8")) > limit:
        return 40018
    if b.get("sub_button"):
        return 0
    kind = b.get("type")
    if kind not in MENU_TYPES:
        return 40015
    if kind == "view":
        url = str(b.get("url") or "")
        return 0 if url.startswith(("http://", "https://")) and len(url.encode()) <= 1024 else 40054
    key = str(b.get("key") or "")
    return 0 if 0 < len(key.encode()) <= 128 else 40019


def menu_create(call: Call) -> Any:
    buttons = call.body.get("button")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        return error(40016)
    for b in buttons:
        code = _menu_item(b, 16)
        if code:
            return error(code)
        subs = b.get("sub_button", [])
        if not isinstance(subs, list) or len(subs) > 5:
            return error(40017)
        for sub in subs:
            if isinstance(sub, dict) and sub.get("sub_button"):
                return error(40017)
            code = _menu_item(sub, 60)
            if code:
                return error(code)
    state.set_menu(call.redis, call.body)
    return ok()


def user_info(call: Call) -> Any:
    openid = request.args.get("openid")
    if not _valid_openid(openid):
        return error(40003)
    member = call.config.member(openid)
    return jsonify(
        subscribe=1,
        openid=openid,
        nickname=member.name if member else f"居民{openid[-4:]}",
        language="zh_CN",
        subscribe_time=int(state.now()) - 86400 * 30,
        remark="",
        groupid=0,
        tagid_list=[],
        subscribe_scene="ADD_SCENE_QR_CODE",
    )


def _draft_problem(article: Any) -> int | None:
    """What WeChat's 新建草稿 refuses: empty or oversized fields, a news article without a cover."""
    if not isinstance(article, dict):
        return 47001
    title, content = article.get("title"), article.get("content")
    if not isinstance(title, str) or not title.strip() or not isinstance(content, str) or not content.strip():
        return 44004
    if len(title) > 64:
        return 45003
    if len(content) >= 20000 or len(content.encode("utf-8")) >= 1 << 20:
        return 45002
    if len(article.get("digest") or "") > 120:
        return 45004
    if article.get("article_type", "news") == "news" and not article.get("thumb_media_id"):
        return 40007
    return None


def draft_add(call: Call) -> Any:
    articles = call.body.get("articles")
    if not isinstance(articles, list) or not 1 <= len(articles) <= 8:
        return error(47001)
    for article in articles:
        code = _draft_problem(article)
        if code:
            return error(code)
    return jsonify(media_id=state.add_draft(call.redis, articles))


# endpoint → (HTTP method WeChat requires, handler, needs an access token)
ENDPOINTS: dict[str, tuple[str, Callable[[Call], Any], bool]] = {
    "token": ("GET", token, False),
    "stable_token": ("POST", stable_token, False),
    "message/template/send": ("POST", template_send, True),
    "message/custom/send": ("POST", custom_send, True),
    "media/get": ("GET", media_get, True),
    "menu/create": ("POST", menu_create, True),
    "user/info": ("GET", user_info, True),
    "draft/add": ("POST", draft_add, True),
    "qrcode/create": ("POST", qrcode.create, True),
    "showqrcode": ("GET", qrcode.show, False),  # on mp.weixin.qq.com, without an access token
}
