"""StewardClient against the sandbox served over real HTTP, with the real Redis."""

from __future__ import annotations

import multiprocessing

import pytest

from bot.sandbox import state, window
from bot.wechat.client import StewardClient, get_client
from bot.wechat.errors import (
    OutsideWindow,
    Throttled,
    TokenError,
    TransientError,
    UserUnreachable,
    WeChatError,
)
from tests.fixtures_wechat import fetch_token_in_process, sandbox_fixture, wx_fixture  # noqa: F401

TPL = "TPL_SAMPLE_TASK"
DATA = {"thing1": {"value": "新任务：3号院楼道灯不亮"}, "character_string2": {"value": "R1024"}}


def send(wx: StewardClient, openid: str = "o_member_1", cmid: str = "R1024-task-1") -> str:
    return wx.send_template(openid, TPL, DATA, "http://127.0.0.1/t/R1024", cmid)


def test_token_fetched_once_and_cached_in_redis(wx, redis_client):
    assert send(wx, cmid="a")
    assert send(wx, cmid="b")
    assert state.token_fetches(redis_client) == 1
    key = f"steward:wechat:token:{wx.appid}"
    assert redis_client.get(key) == wx.access_token
    assert 0 < redis_client.ttl(key) <= 7200 - 300
    # a second client (another process's) reuses the shared token
    other = get_client(wx_config(wx), redis_client)
    assert other.access_token == wx.access_token
    assert state.token_fetches(redis_client) == 1


def wx_config(wx: StewardClient):
    from bot.config import WeChatConfig

    return WeChatConfig(token="t", app_id=wx.appid, app_secret=wx.secret, api_base_url=wx.API_BASE_URL)


def test_token_goes_through_stable_token_under_base_url(wx, redis_client, sandbox):
    assert wx.API_BASE_URL == f"{sandbox}/sandbox/cgi-bin/"
    assert wx.access_token.startswith("SBX_")
    log = redis_client.lrange("steward:sandbox:fetch_log", 0, -1)
    assert len(log) == 1 and '"kind": "stable"' in log[0]
    # hard-coded official URLs inside wechatpy are rebased onto the configured base
    assert wx._rebase("https://api.weixin.qq.com/cgi-bin/media/get") == f"{sandbox}/sandbox/cgi-bin/media/get"
    assert wx._rebase("https://api.weixin.qq.com/wxa/x") == f"{sandbox}/sandbox/wxa/x"


def test_expired_token_is_refreshed_once_and_the_call_succeeds(wx, redis_client):
    send(wx, cmid="first")
    old = wx.access_token
    state.expire_tokens(redis_client)  # the sandbox now answers 42001 for it; our cache still holds it
    assert send(wx, cmid="second")
    assert state.token_fetches(redis_client) == 2
    assert wx.access_token != old
    assert len(state.messages(redis_client)) == 2


def test_injected_40001_refreshes_once(wx, redis_client):
    state.inject(redis_client, "message/template/send", [{"errcode": 40001}])
    assert send(wx)
    assert state.token_fetches(redis_client) == 2
    assert len(state.messages(redis_client)) == 1


def test_token_refused_twice_raises_instead_of_looping(wx, redis_client):
    state.inject(redis_client, "message/template/send", [{"errcode": 40001}] * 5)
    with pytest.raises(TokenError):
        send(wx)
    assert state.token_fetches(redis_client) == 2  # the first fetch + exactly one refresh
    assert state.pending_faults(redis_client) == {"message/template/send": 3}


def test_two_worker_processes_cause_one_fetch(config, redis_client, redis_url, sandbox):
    # Slow the fetch down so the second process surely arrives while the first holds the lock.
    state.inject(redis_client, "stable_token", [{"timeout": 1}])
    ctx = multiprocessing.get_context("spawn")
    go, out = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=fetch_token_in_process, args=(config.wechat, redis_url, go, out)) for _ in range(2)
    ]
    for p in procs:
        p.start()
    go.set()
    results = [out.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(10)
    assert [r[0] for r in results] == ["ok", "ok"], results
    assert results[0][1] == results[1][1]
    assert state.token_fetches(redis_client) == 1


@pytest.mark.parametrize(
    ("fault", "exc"),
    [
        ({"http": 503}, TransientError),
        ({"http": 502}, TransientError),
        ({"errcode": -1}, TransientError),
        ({"errcode": 43004}, UserUnreachable),
        ({"errcode": 43019}, UserUnreachable),
        ({"errcode": 45015}, OutsideWindow),
        ({"errcode": 45009}, Throttled),
        ({"errcode": 40037}, WeChatError),
    ],
)
def test_errors_map_to_exceptions(wx, redis_client, fault, exc):
    state.inject(redis_client, "message/template/send", [fault])
    with pytest.raises(exc) as info:
        send(wx)
    assert type(info.value) is exc
    assert info.value.code == fault.get("errcode")
    assert state.messages(redis_client) == []


def test_timeout_is_transient_and_resend_is_idempotent(wx, redis_client):
    state.inject(redis_client, "message/template/send", [{"timeout": 1.5}])
    with pytest.raises(TransientError):
        send(wx, cmid="R7-task")
    # as on WeChat, the slow call went through after all: the resend must not send twice
    msgid = send(wx, cmid="R7-task")
    msgs = state.messages(redis_client, "o_member_1")
    assert len(msgs) == 1 and str(msgs[0]["msgid"]) == msgid


def test_same_client_msg_id_records_one_message(wx, redis_client):
    first = send(wx, cmid="R1024-task-1")
    second = send(wx, cmid="R1024-task-1")
    assert first == second and first.isdigit()
    assert len(state.messages(redis_client, "o_member_1")) == 1
    assert send(wx, cmid="R1024-task-2") != first


def test_unreachable_user_is_not_sticky(wx, redis_client):
    state.inject(redis_client, "message/template/send", [{"errcode": 43004}], openid="o_gone")
    with pytest.raises(UserUnreachable):
        send(wx, openid="o_gone", cmid="x1")
    assert send(wx, openid="o_other", cmid="x2")
    assert send(wx, openid="o_gone", cmid="x3")


def test_send_text_respects_the_48h_window(wx, redis_client):
    with pytest.raises(OutsideWindow) as info:
        wx.send_text("o_resident", "您的工单已派给3号院理事会")
    assert info.value.code == 45015
    window.note_user_message(redis_client, "o_resident")
    wx.send_text("o_resident", "您的工单已派给3号院理事会")
    [msg] = state.messages(redis_client, "o_resident")
    assert msg["kind"] == "custom" and msg["text"] == "您的工单已派给3号院理事会"


def test_wechatpy_native_calls_also_go_to_the_sandbox(wx, redis_client):
    state.configure(redis_client, window_check=False)
    wx.message.send_text("o_resident", "你好")
    assert state.messages(redis_client, "o_resident")[0]["text"] == "你好"
    assert wx.user.get("o_resident")["openid"] == "o_resident"


def test_media_and_menu(wx, redis_client):
    content, ctype = wx.get_media("img_abc")
    assert ctype == "image/png" and content.startswith(b"\x89PNG")
    content, ctype = wx.get_media("voice_abc")
    assert ctype == "audio/amr" and content.startswith(b"#!AMR")
    menu = {"button": [{"type": "click", "name": "我要报修", "key": "REPAIR"}]}
    wx.create_menu(menu)
    assert state.menu(redis_client) == menu


def test_wrong_secret_is_a_plain_error(config, redis_client, sandbox):
    from dataclasses import replace

    client = get_client(replace(config.wechat, app_secret="wrong"), redis_client, timeout=1.0)
    with pytest.raises(WeChatError) as info:
        _ = client.access_token
    assert info.value.code == 40125
    assert state.token_fetches(redis_client) == 0


def test_unreachable_api_is_transient(config, redis_client):
    from dataclasses import replace

    from tests.conftest import free_port

    dead = replace(config.wechat, api_base_url=f"http://127.0.0.1:{free_port()}/cgi-bin")
    with pytest.raises(TransientError):
        _ = get_client(dead, redis_client, timeout=1.0).access_token


def test_wechatpy_auto_retry_stays_off(wx):
    wx.auto_retry = True  # wechatpy's unbounded re-fetch must never come back
    assert wx.auto_retry is False
