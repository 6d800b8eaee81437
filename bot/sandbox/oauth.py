"""The sandbox's web authorisation: `connect/oauth2/authorize` (the page WeChat shows, silent for
snsapi_base) and `sns/oauth2/access_token` (code → openid). Who holds the phone is the
`sbx_wx_user` cookie, chosen once on a small page (`?as=OPENID` sets it) — in WeChat it is the
logged-in user."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import jsonify, redirect, render_template_string, request

from bot.config import Config
from bot.sandbox import api, state
from bot.sandbox.state import P, Redis

CODE_TTL = 300  # WeChat's codes live 5 minutes and work once
USER_COOKIE = "sbx_wx_user"

CHOOSER = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>微信沙箱：谁在用手机</title></head>
<body style="font-family:sans-serif;padding:16px"><h1>微信沙箱</h1><p>选择打开这个链接的微信用户：</p><ul>
{% for m in members %}<li><a href="{{ here }}&as={{ m.openid }}">{{ m.name }}</a> <small>{{ m.openid }}</small></li>{% endfor %}
</ul><form method="get">{% for k, v in args.items() %}<input type="hidden" name="{{ k }}" value="{{ v }}">{% endfor %}
其他 openid：<input name="as"> <button>打开</button></form></body></html>"""


def authorize(config: Config, redis: Redis) -> Any:
    args = request.args
    if args.get("appid") != config.wechat.app_id:
        return "appid 参数错误（沙箱）", 400
    if args.get("response_type") != "code" or args.get("scope") not in ("snsapi_base", "snsapi_userinfo"):
        return "scope 参数错误（沙箱）", 400
    redirect_uri = args.get("redirect_uri", "")
    if urlsplit(redirect_uri).netloc != urlsplit(config.public_url).netloc:
        return "10003 redirect_uri 域名与后台配置不一致（网页授权域名）", 400
    who = args.get("as") or request.cookies.get(USER_COOKIE)
    if not who:
        here = request.base_url + "?" + urlencode({k: v for k, v in args.items() if k != "as"})
        return render_template_string(CHOOSER, members=config.members, here=here,
                                      args={k: v for k, v in args.items() if k != "as"})
    code = secrets.token_urlsafe(24)
    redis.set(f"{P}oauth:{code}", who, ex=CODE_TTL)
    sep = "&" if "?" in redirect_uri else "?"
    resp = redirect(f"{redirect_uri}{sep}{urlencode({'code': code, 'state': args.get('state', '')})}")
    resp.set_cookie(USER_COOKIE, who, httponly=True, samesite="Lax")
    return resp


def access_token(config: Config, redis: Redis) -> Any:
    args = request.args
    if args.get("grant_type") != "authorization_code":
        return api.error(40002)
    if args.get("appid") != config.wechat.app_id:
        return api.error(40013)
    if args.get("secret") != config.wechat.app_secret:
        return api.error(40125)
    key = f"{P}oauth:{args.get('code', '')}"
    pipe = redis.pipeline()
    pipe.get(key)
    pipe.delete(key)
    openid, _ = pipe.execute()
    if not openid:
        return api.error(40029, "invalid code")
    return jsonify(access_token="SBX_WEB_" + secrets.token_urlsafe(24), expires_in=7200,
                   refresh_token="SBX_REFRESH_" + secrets.token_urlsafe(24), openid=state._s(openid),
                   scope="snsapi_base", is_snapshotuser=0)
