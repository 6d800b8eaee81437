"""The sandbox blueprint: a fake WeChat API under /sandbox/cgi-bin/, its control endpoints and a page.

Development and tests only — never enable `[sandbox]` on a public server.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, jsonify, render_template, request

from bot.domain import templates
from bot.runtime import current
from bot.sandbox import api, oauth, state, window
from bot.services.inbound.receive import message_handled
from bot.services.media import audio

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox", template_folder="templates")


@bp.record_once
def _exempt_from_csrf(setup: Any) -> None:
    # WeChat's calls and the test helpers carry no CSRF token; exempt us if Flask-WTF is active.
    csrf = setup.app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(bp)
    # The webhook's messages open the customer-service window here as they would on WeChat.
    message_handled.connect(window.note_inbound)


def _redis() -> state.Redis:
    return current().redis


@bp.route("/cgi-bin/<path:endpoint>", methods=["GET", "POST"])
def wechat_api(endpoint: str) -> Any:
    spec = api.ENDPOINTS.get(endpoint.strip("/"))
    if spec is None:
        return api.error(48001)
    method, handler, needs_token = spec
    if request.method != method:
        return api.error(43002 if method == "POST" else 43001)
    body: dict[str, Any] = {}
    if request.method == "POST":
        raw = request.get_data()
        if not raw:
            return api.error(44002)
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return api.error(47001)
        if not isinstance(body, dict):
            return api.error(47001)
    redis = _redis()
    openid = body.get("touser") or request.args.get("openid")
    token = request.args.get("access_token")
    first = state.preamble(redis, endpoint.strip("/"), openid if isinstance(openid, str) else None, token)
    fault, token_code = first.fault, first.token_code
    if fault:
        if "timeout" in fault:
            time.sleep(float(fault["timeout"]))  # the client should have given up by now
            token_code = state.check_token(redis, token)  # the token may have expired meanwhile
        if "http" in fault:
            return jsonify(errcode=-1, errmsg="sandbox: injected HTTP failure"), int(fault["http"])
        if "errcode" in fault:
            return api.error(int(fault["errcode"]), fault.get("errmsg"))
    appid = request.args.get("appid") or body.get("appid")
    if needs_token:
        if token_code:
            return api.error(token_code)
        appid = state.token_app(token or "")
    return handler(api.Call(_account(appid), redis, body, first.settings_raw))


def _account(appid: str | None) -> Any:
    """The config of the official account `appid` names (a token is bound to its app, as on WeChat):
    a community's own account, else the deployment's."""
    base = current().deployment
    if appid and appid != base.config.wechat.app_id:
        for community in base.communities:
            cfg = base.for_community(community.id).config
            if community.own_account and cfg.wechat.app_id == appid:
                return cfg
    return base.config


@bp.get("/connect/oauth2/authorize")
def oauth_authorize() -> Any:
    return oauth.authorize(current().config, _redis())


@bp.get("/sns/oauth2/access_token")
def oauth_access_token() -> Any:
    return oauth.access_token(current().config, _redis())


# -- control endpoints (tests, demos, `steward chat`) ----------------------------------------------


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="需要 JSON 对象")
    return body


@bp.get("/messages")
def list_messages() -> Any:
    openid = request.args.get("openid") or None
    after = request.args.get("after", 0, type=int)
    redis = _redis()
    return jsonify(messages=state.messages(redis, openid, after=after), last_seq=state.last_seq(redis))


@bp.route("/faults", methods=["GET", "POST", "DELETE"])
def faults() -> Any:
    redis = _redis()
    if request.method == "POST":
        body = _json_body()
        try:
            state.inject(
                redis, str(body.get("endpoint", "")), list(body.get("responses") or []), body.get("openid")
            )
        except (ValueError, TypeError) as exc:
            return jsonify(error=str(exc)), 400
    elif request.method == "DELETE":
        state.clear_faults(redis)
    return jsonify(pending=state.pending_faults(redis))


@bp.post("/reset")
def reset() -> Any:
    state.reset(_redis())
    return jsonify(ok=True)


@bp.post("/settings")
def change_settings() -> Any:
    try:
        state.configure(_redis(), **_json_body())
    except (ValueError, TypeError) as exc:
        return jsonify(error=str(exc)), 400
    return jsonify(vars(state.settings(_redis(), current().config)))


@bp.post("/inbound")
def inbound() -> Any:
    """`steward chat` (the user's phone) tells WeChat that the user wrote: opens the 48 h window."""
    openid = _json_body().get("openid")
    if not isinstance(openid, str) or not openid:
        return jsonify(error="需要 openid"), 400
    window.note_user_message(_redis(), openid)
    return jsonify(ok=True)


@bp.post("/voice")
def upload_voice() -> Any:
    """`steward chat /voice 文本`: the phone records a voice (a real AMR file) and WeChat stores it as
    temporary media; the words are what the fake ASR will hear in it."""
    body = _json_body()
    words = body.get("words")
    if not isinstance(words, str) or not words.strip():
        return jsonify(error="需要 words（这段语音说的话）"), 400
    # A tone whose pitch depends on the words, so that different words are different audio.
    seconds = min(max(len(words) * 0.25, 1.0), 60.0)
    voice = audio.amr_tone(seconds, 300 + sum(map(ord, words)) % 500)
    return jsonify(media_id=state.store_voice(_redis(), voice, words.strip()), bytes=len(voice))


@bp.post("/asr")
def fake_asr() -> Any:
    """Tencent Cloud ASR's SentenceRecognition as the SDK calls it (`voice.tencent_endpoint =
    "127.0.0.1:5000/sandbox/asr"`, scheme http): answers the words attached to an uploaded voice."""
    request_id = secrets.token_hex(16)
    if request.headers.get("X-TC-Action") != "SentenceRecognition":
        return _asr_error("InvalidAction", "only SentenceRecognition is faked", request_id)
    if not request.headers.get("Authorization", "").startswith("TC3-HMAC-SHA256"):
        return _asr_error("AuthFailure.SignatureFailure", "missing TC3 signature", request_id)
    body = request.get_json(silent=True) or {}
    try:
        voice = base64.b64decode(body.get("Data") or "", validate=True)
    except (ValueError, TypeError):
        return _asr_error("InvalidParameterValue", "Data is not base64", request_id)
    if not voice:
        return _asr_error("InvalidParameter", "Data is empty", request_id)
    words = state.words_for(_redis(), voice)
    return jsonify(Response={"Result": words, "AudioDuration": int(len(voice) / 1600 * 1000), "WordSize": 0,
                             "WordList": None, "RequestId": request_id})


def _asr_error(code: str, message: str, request_id: str) -> Any:
    return jsonify(Response={"Error": {"Code": code, "Message": message}, "RequestId": request_id})


@bp.post("/tokens/expire")
def expire_tokens() -> Any:
    state.expire_tokens(_redis())
    return jsonify(ok=True)


@bp.get("/status")
def status() -> Any:
    redis = _redis()
    return jsonify(
        token_fetches=state.token_fetches(redis),
        tokens=state.token_status(redis),
        faults=state.pending_faults(redis),
        settings=vars(state.settings(redis, current().config)),
        menu=state.menu(redis),
    )


# -- the page --------------------------------------------------------------------------------------


def _beijing(ts: float) -> str:
    return (datetime.fromtimestamp(ts, UTC) + timedelta(hours=8)).strftime("%m-%d %H:%M:%S")


TEMPLATE_TITLES = {"task": "工单派发通知", "reminder": "工单办理提醒", "escalation": "工单督办通知",
                   "notice": "工单进度通知", "callback": "工单办结回访", "event_reminder": "活动提醒"}
TYPE_LABELS = {"thing": "事项", "character_string": "编号", "time": "时间", "date": "日期", "phrase": "状态",
               "name": "姓名", "phone_number": "电话", "number": "数量", "amount": "金额"}


def _card(config: Any, m: dict[str, Any]) -> dict[str, Any]:
    """A template message as the receiver's phone shows it: a title, typed rows, then 详情 (the link)."""
    by_id = {v: k for k, v in vars(config.templates).items() if v}
    rows = []
    for key, item in (m.get("data") or {}).items():
        label = TYPE_LABELS.get(templates.field_type(key) or "", key)
        rows.append((label, item.get("value") if isinstance(item, dict) else item))
    return {"title": TEMPLATE_TITLES.get(by_id.get(m.get("template_id"), ""), "模板消息"), "rows": rows,
            "link": m.get("url")}


@bp.get("/")
def page() -> Any:
    redis, config = _redis(), current().config
    chosen = request.args.get("openid") or None
    openids = [chosen] if chosen else state.receivers(redis)
    people = []
    for openid in openids:
        member = config.member(openid)
        if member:
            label = f"{member.name}（{config.courtyard_name(member.courtyard)} {member.role}）"
        else:
            label = "社区工作人员" if openid in config.staff_openids else "居民"
        recent = list(reversed(state.messages(redis, openid)[-10:]))
        for m in recent:
            m["when"] = _beijing(m["time"])
            if m.get("kind") == "template":
                m["card"] = _card(config, m)
        people.append({"openid": openid, "label": label, "messages": recent})
    refresh = request.args.get("refresh", 0, type=int)
    return render_template(
        "sandbox/index.html",
        community=config.community,
        people=people,
        chosen=chosen,
        fetches=state.token_fetches(redis),
        tokens=state.token_status(redis),
        faults=state.pending_faults(redis),
        rejected=list(reversed(state.rejected(redis)[-10:])),
        settings=state.settings(redis, config),
        refresh=max(refresh, 2) if refresh else 0,
    )
