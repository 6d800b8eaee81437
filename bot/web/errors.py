"""Error pages in Chinese (400/403/404/405/410/413/429/500, CSRF failures), "暂时连不上" with 503
when Redis or the database cannot be reached, and the security headers of every response.

The error page is a standalone template that touches neither the session user nor the database:
it must render while the database is the thing that failed. The JSON API gets the same answers as
JSON; the webhook answers WeChat itself and never reaches these pages for its own errors.
"""

from __future__ import annotations

import logging

import redis
from flask import Flask, Response, current_app, jsonify, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from bot.web.open311 import render as open311_render

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("请求有误", "提交的内容不完整或格式不对，请返回上一页检查后再试。"),
    401: ("需要登录", "请先登录。"),
    403: ("没有权限", "这个页面不属于您的账号可以查看或操作的范围。"),
    404: ("找不到页面", "地址有误，或者这条记录已经不存在。"),
    405: ("请求方式不对", "请从页面上的按钮进行操作。"),
    410: ("链接已失效", "这个链接已经过期或已被使用，请向工作人员要一个新的。"),
    413: ("内容太大", "提交的内容太大了。"),
    429: ("操作太频繁", "尝试次数太多，请 15 分钟后再试。"),
    500: ("出错了", "系统出了点问题，我们会尽快处理。请稍后再试。"),
    503: ("暂时连不上", "系统暂时连不上数据服务，请过几分钟再刷新。您提交的内容没有丢，不用重复提交。"),
}
CSRF_MESSAGE = "页面已过期或来源不明，请刷新页面后重新提交。"
# Redis and database failures that mean "unreachable", not "our bug".
UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, sa_exc.OperationalError,
               sa_exc.InterfaceError, sa_exc.TimeoutError)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# Pages and files without personal data; everything else (workbench, exports, API, council pages) is no-store.
CACHEABLE_ENDPOINTS = {"static", "public.index", "healthz", "api_docs.openapi", "api_docs.docs"}


def page(status: int, detail: str | None = None) -> Response:
    title, text = MESSAGES.get(status, MESSAGES[500])
    text = detail or text
    if request.blueprint == "webhook":
        resp = Response(title, mimetype="text/plain")  # WeChat reads no HTML
    elif request.path.startswith("/api/"):
        resp = jsonify({"error": text})
    elif request.path.startswith("/open311/"):  # GeoReport v2's list of code / description, in its format
        resp = open311_render.errors("xml" if request.path.endswith(".xml") else "json", status, text)
    else:
        # The bare Jinja template, without context processors: flask-login's would load the user
        # from the database, which may be exactly what is down.
        html = current_app.jinja_env.get_template("web/error.html").render(status=status, title=title, text=text)
        resp = Response(html, mimetype="text/html")
    resp.status_code = status
    if status == 503:
        resp.headers["Retry-After"] = "30"
    return resp


def init_app(app: Flask) -> None:
    def http_error(exc: HTTPException) -> WerkzeugResponse:
        if exc.code is None or exc.code not in MESSAGES or request.blueprint == "sandbox":
            return exc.get_response()  # the fake WeChat API answers as werkzeug does
        # An abort(..., description) from our own code carries a Chinese message; werkzeug's defaults do not.
        detail = exc.description if exc.description and _is_ours(exc) else None
        return page(exc.code, detail)

    def csrf_error(exc: CSRFError) -> Response:
        return page(400, CSRF_MESSAGE)

    def unavailable(exc: Exception) -> Response:
        # No SQL parameters, no message text: the class names the failure well enough.
        log.warning("service unavailable on %s: %s", request.endpoint, type(exc).__name__)
        return page(503)

    def internal(exc: Exception) -> Response:
        return page(500)

    app.register_error_handler(CSRFError, csrf_error)
    for cls in UNAVAILABLE:
        app.register_error_handler(cls, unavailable)
    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(500, internal)
    app.after_request(security_headers)


def _is_ours(exc: HTTPException) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in exc.description or "")


def security_headers(resp: Response) -> Response:
    h = resp.headers
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "no-referrer")  # council links carry their token in the path
    h.setdefault("X-Frame-Options", "DENY")
    if request.blueprint != "sandbox":  # the dev-only fake WeChat console keeps its inline page
        h.setdefault("Content-Security-Policy", CSP)
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        h["Cache-Control"] = "no-store"
    return resp
