"""The fake WeChat API: tokens, errors, de-duplication, the window, faults, events and the page."""

from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from bot.domain import clock
from bot.sandbox import events, state, window
from bot.sandbox.standalone import create_sandbox_app
from bot.wechat import signing
from tests.fixtures_wechat import sandbox_fixture, wx_fixture  # noqa: F401

API = "/sandbox/cgi-bin"
TPL = "TPL_SAMPLE_TASK"


@pytest.fixture
def http(config, redis_client):
    clock.reset()
    yield create_sandbox_app(config).test_client()
    clock.reset()


def stable(http, config, force=False, secret=None):
    body = {"grant_type": "client_credential", "appid": config.wechat.app_id, "force_refresh": force}
    body["secret"] = secret or config.wechat.app_secret
    return http.post(f"{API}/stable_token", json=body).get_json()


@pytest.fixture
def token(http, config):
    return stable(http, config)["access_token"]


def template(http, token, touser="o_member_1", **extra):
    body = {"touser": touser, "template_id": TPL, "data": {"thing1": {"value": "新任务"}}} | extra
    return http.post(f"{API}/message/template/send?access_token={token}", json=body).get_json()


def test_classic_token_checks_credentials(http, config, redis_client):
    q = f"grant_type=client_credential&appid={config.wechat.app_id}"
    assert http.get(f"{API}/token?{q}&secret=nope").get_json()["errcode"] == 40125
    assert (
        http.get(f"{API}/token?grant_type=client_credential&appid=wxbad&secret=x").get_json()["errcode"]
        == 40013
    )
    assert http.get(f"{API}/token?grant_type=x&appid=a&secret=b").get_json()["errcode"] == 40002
    ok = http.get(f"{API}/token?{q}&secret={config.wechat.app_secret}").get_json()
    assert ok["expires_in"] == 7200 and ok["access_token"]
    assert state.token_fetches(redis_client) == 1
    assert http.post(f"{API}/token?{q}").get_json()["errcode"] == 43001  # GET only


def test_stable_token_reuses_until_forced(http, config, redis_client):
    first = stable(http, config)
    assert stable(http, config)["access_token"] == first["access_token"]
    forced = stable(http, config, force=True)["access_token"]
    assert forced != first["access_token"]
    assert state.token_fetches(redis_client) == 3
    # the replaced token keeps working for a grace period, then expires
    assert state.check_token(redis_client, first["access_token"]) == 0
    clock.shift(301)
    assert state.check_token(redis_client, first["access_token"]) == 42001
    assert state.check_token(redis_client, forced) == 0
    assert stable(http, config, secret="wrong")["errcode"] == 40125


def test_token_expiry_is_configurable(http, config, redis_client):
    state.configure(redis_client, token_expires_in=60)
    body = stable(http, config)
    assert body["expires_in"] == 60
    assert template(http, body["access_token"])["errcode"] == 0
    clock.shift(61)
    assert template(http, body["access_token"])["errcode"] == 42001
    assert template(http, "not-a-token")["errcode"] == 40001
    assert http.post(f"{API}/message/template/send", json={}).get_json()["errcode"] == 41001


def test_template_send_validates_and_deduplicates(http, token, redis_client):
    assert template(http, token, touser="")["errcode"] == 40003
    assert template(http, token, template_id="TPL_UNKNOWN")["errcode"] == 40037
    assert template(http, token, data="x")["errcode"] == 47001
    first = template(http, token, client_msg_id="R1-task", url="http://x/t/R1")
    again = template(http, token, client_msg_id="R1-task")
    assert first["errcode"] == 0 and again["msgid"] == first["msgid"]
    [msg] = state.messages(redis_client, "o_member_1")
    assert msg["kind"] == "template" and msg["template_id"] == TPL and msg["url"] == "http://x/t/R1"
    assert msg["data"] == {"thing1": {"value": "新任务"}} and msg["msgid"] == first["msgid"]
    assert msg["client_msg_id"] == "R1-task" and msg["time"] > 0
    assert state.messages(redis_client) == [msg]


def test_custom_send_window(http, config, redis_client):
    def custom(text="您好"):
        token = stable(http, config)["access_token"]  # tokens age with the clock too
        body = {"touser": "o_res", "msgtype": "text", "text": {"content": text}}
        return http.post(f"{API}/message/custom/send?access_token={token}", json=body).get_json()

    assert custom()["errcode"] == 45015
    window.note_user_message(redis_client, "o_res")
    assert custom()["errcode"] == 0
    clock.shift(49 * 3600)
    assert custom()["errcode"] == 45015
    state.configure(redis_client, window_check=False)
    assert custom("窗口检查已关闭")["errcode"] == 0
    assert [m["text"] for m in state.messages(redis_client, "o_res")] == ["您好", "窗口检查已关闭"]


def test_faults_over_http_in_order_and_per_openid(http, token, redis_client):
    resp = http.post(
        "/sandbox/faults",
        json={"endpoint": "message/template/send", "responses": [{"http": 503}, {"errcode": 45009}]},
    )
    assert resp.get_json()["pending"] == {"message/template/send": 2}
    http.post(
        "/sandbox/faults",
        json={"endpoint": "message/template/send", "openid": "o_x", "responses": [{"errcode": 43004}]},
    )
    r = http.post(
        f"{API}/message/template/send?access_token={token}", json={"touser": "o_y", "template_id": TPL}
    )
    assert r.status_code == 503
    assert template(http, token, touser="o_y")["errcode"] == 45009
    assert template(http, token, touser="o_y")["errcode"] == 0
    assert template(http, token, touser="o_x")["errcode"] == 43004
    assert template(http, token, touser="o_x")["errcode"] == 0  # not sticky
    assert (
        http.post("/sandbox/faults", json={"endpoint": "x", "responses": [{"bogus": 1}]}).status_code == 400
    )
    state.inject(redis_client, "media/get", [{"errcode": -1}])
    assert http.delete("/sandbox/faults").get_json()["pending"] == {}


def test_messages_endpoint_filters_and_polls(http, token):
    template(http, token, touser="o_a")
    template(http, token, touser="o_b")
    body = http.get("/sandbox/messages?openid=o_b").get_json()
    assert [m["openid"] for m in body["messages"]] == ["o_b"]
    seq = body["last_seq"]
    template(http, token, touser="o_b")
    newer = http.get(f"/sandbox/messages?openid=o_b&after={seq}").get_json()["messages"]
    assert len(newer) == 1 and newer[0]["seq"] == seq + 1
    assert len(http.get("/sandbox/messages").get_json()["messages"]) == 3


def test_media_menu_user_info(http, token, redis_client):
    r = http.get(f"{API}/media/get?access_token={token}&media_id=img_1")
    assert r.mimetype == "image/png" and r.data.startswith(b"\x89PNG")
    assert http.get(f"{API}/media/get?access_token={token}&media_id=").get_json()["errcode"] == 40007
    too_many = {"button": [{"name": str(i)} for i in range(4)]}
    assert http.post(f"{API}/menu/create?access_token={token}", json=too_many).get_json()["errcode"] == 40016
    assert http.post(f"{API}/menu/create?access_token={token}", data=b"").get_json()["errcode"] == 44002
    good = {"button": [{"name": "报事", "sub_button": [{"type": "click", "name": "报修", "key": "R"}]}]}
    assert http.post(f"{API}/menu/create?access_token={token}", json=good).get_json()["errcode"] == 0
    assert state.menu(redis_client) == good
    info = http.get(f"{API}/user/info?access_token={token}&openid=o_abcd1234").get_json()
    assert info["subscribe"] == 1 and info["nickname"] == "居民1234"
    assert http.get(f"{API}/no/such/api?access_token={token}").get_json()["errcode"] == 48001


def test_reset_and_status(http, token, redis_client):
    template(http, token)
    status = http.get("/sandbox/status").get_json()
    assert status["token_fetches"] == 1 and status["tokens"][0]["valid"]
    http.post("/sandbox/reset")
    assert state.messages(redis_client) == [] and state.token_fetches(redis_client) == 0
    assert http.post("/sandbox/settings", json={"nope": 1}).status_code == 400
    assert http.post("/sandbox/inbound", json={"openid": "o_z"}).status_code == 200
    assert window.last_user_message(redis_client, "o_z") is not None


def test_page_shows_pushes_per_openid(http, token, config):
    member = config.members[0]
    template(http, token, touser=member.openid, data={"thing1": {"value": "楼道灯不亮"}})
    page = http.get("/sandbox/").get_data(as_text=True)
    assert "微信沙箱" in page and "楼道灯不亮" in page and member.name in page and "模板消息" in page
    assert "cdn" not in page.lower() and "<script src" not in page
    only = http.get("/sandbox/?openid=o_nobody&refresh=5").get_data(as_text=True)
    assert "还没有收到推送" in only and 'http-equiv="refresh"' in only


def test_template_finish_event_xml():
    root = ET.fromstring(events.template_finish_event_xml(2000000001, "o_m", "failed:user block", "gh_x"))
    assert root.findtext("Event") == "TEMPLATESENDJOBFINISH" and root.findtext("MsgType") == "event"
    assert root.findtext("MsgID") == "2000000001" and root.findtext("Status") == "failed:user block"
    assert root.findtext("FromUserName") == "o_m" and root.findtext("ToUserName") == "gh_x"


@pytest.fixture
def receiver():
    """A stand-in webhook on loopback that records what it receives."""
    got: list[tuple[dict, bytes]] = []

    @Request.application
    def app(request):
        got.append((dict(request.args), request.get_data()))
        return Response("success")

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.port}/wechat", got
    server.shutdown()


def test_events_delivered_signed_after_template_send(wx, config, redis_client, receiver):
    url, got = receiver
    state.configure(redis_client, deliver_events=True, webhook_url=url, event_delay=0.05)
    msgid = wx.send_template("o_member_1", TPL, {}, None, "c1")
    deadline = time.monotonic() + 5
    while not got and time.monotonic() < deadline:
        time.sleep(0.05)
    [(params, body)] = got
    assert params["signature"] == signing.sign(config.wechat.token, params["timestamp"], params["nonce"])
    root = ET.fromstring(body)
    assert root.findtext("MsgID") == msgid and root.findtext("Status") == "success"
    assert root.findtext("ToUserName") == config.wechat.original_id


def test_deliver_event_in_safe_mode(safe_config, receiver):
    url, got = receiver
    xml = events.template_finish_event_xml(7, "o_m")
    assert events.deliver_event(safe_config, xml, url, openid="o_m") == 200
    [(params, body)] = got
    assert params["encrypt_type"] == "aes" and params["openid"] == "o_m"
    from wechatpy.crypto import WeChatCrypto

    wx = safe_config.wechat
    plain = WeChatCrypto(wx.token, wx.encoding_aes_key, wx.app_id).decrypt_message(
        body, params["msg_signature"], params["timestamp"], params["nonce"]
    )
    assert ET.fromstring(plain).findtext("MsgID") == "7"


def test_sandbox_settings_from_config(config):
    from dataclasses import replace as dc_replace

    from bot.config import ConfigError, SandboxSection, load
    from bot.sandbox.state import SandboxSettings

    section = SandboxSection(enabled=True, token_expires_in=60, window_hours=1)
    settings = SandboxSettings.from_config(dc_replace(config, sandbox=section))
    assert settings.token_expires_in == 60 and settings.window_hours == 1.0
    assert settings.webhook_url == f"{config.public_url}/wechat"
    with pytest.raises(ConfigError, match="sandbox.window_check"):
        load(config.source, {"sandbox.window_check": "yes"})
