"""`steward chat` against the real app (webhook + sandbox) served over HTTP, with a fake stdin."""

from __future__ import annotations

import hashlib
import io
import threading
import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from wechatpy.crypto import WeChatCrypto

from bot.cli.chat import ChatError, build_message, describe_reply, run_chat
from bot.sandbox import state, window
from bot.wechat import signing

RESIDENT = "o_chat_resident_1"


def chat(config, url, lines: list[str], poll: float = 0.3) -> str:
    out = io.StringIO()
    run_chat(config, RESIDENT, url, io.StringIO("\n".join(lines) + "\n"), out, poll_seconds=poll)
    return out.getvalue()


def test_chat_gets_a_chinese_reply_and_opens_the_window(config, live_app, redis_client):
    text = chat(config, live_app, ["你好", "/help", "/quit", "不会被发送"])
    assert "公众号：" in text and "命令：" in text and text.rstrip().endswith("再见。")
    reply = text.split("公众号：", 1)[1].splitlines()[0]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in reply), reply
    assert window.last_user_message(redis_client, RESIDENT) is not None  # the 48 h window is open


class TestSafeMode:
    @pytest.fixture
    def overrides(self):
        return {"wechat.encoding_aes_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"}

    def test_chat_in_safe_mode(self, config, live_app):
        assert config.wechat.safe_mode
        text = chat(config, live_app, ["你好"])
        reply = text.split("公众号：", 1)[1].splitlines()[0]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in reply), text


def test_chat_prints_pushes_for_its_openid(config, live_app, redis_client):
    state.record(redis_client, "custom", RESIDENT, msgtype="text", text="开聊之前的旧消息")

    def worker_pushes() -> None:  # what a worker would push while the resident waits
        state.record(redis_client, "custom", "o_someone_else", msgtype="text", text="别人的消息")
        state.record(redis_client, "custom", RESIDENT, msgtype="text", text="理事会已接单")
        data = {"thing1": {"value": "您的报修已办结"}, "character_string2": {"value": "R1024"}}
        state.record(
            redis_client, "template", RESIDENT, template_id="TPL_SAMPLE_NOTICE", data=data, url="http://x/t"
        )

    timer = threading.Timer(0.3, worker_pushes)
    timer.start()
    text = chat(config, live_app, ["3号院楼道灯不亮了"], poll=1.5)
    timer.join()
    assert "【客服消息】理事会已接单" in text
    assert (
        "【模板消息】TPL_SAMPLE_NOTICE" in text
        and "thing1：您的报修已办结" in text
        and "链接：http://x/t" in text
    )
    assert "旧消息" not in text and "别人的消息" not in text


def test_chat_survives_a_dead_server(config):
    from tests.conftest import free_port

    text = chat(config, f"http://127.0.0.1:{free_port()}", ["你好"], poll=0)
    assert "连不上沙箱" in text and "连不上" in text.splitlines()[-2]


def test_build_message_commands(config):
    account = config.wechat.original_id

    def parse(line):
        return ET.fromstring(build_message(config, RESIDENT, line))

    text = parse("3号院楼道灯不亮")
    assert text.findtext("MsgType") == "text" and text.findtext("Content") == "3号院楼道灯不亮"
    assert text.findtext("ToUserName") == account and text.findtext("FromUserName") == RESIDENT
    assert int(text.findtext("MsgId")) > 0 and int(text.findtext("CreateTime")) > 0
    assert parse("/image").findtext("MediaId").startswith("img_")
    voice = parse("/voice 俺家水管漏了")
    assert voice.findtext("Recognition") == "" and voice.findtext("Format") == "amr"  # as WeChat sends it today
    assert "voice" in voice.findtext("MediaId")
    loc = parse("/location 34.75 113.62 育英街3号院")
    assert loc.findtext("Location_X") == "34.75" and loc.findtext("Label") == "育英街3号院"
    assert parse("/subscribe").findtext("Event") == "subscribe"
    assert parse("/subscribe inv_abc").findtext("EventKey") == "qrscene_inv_abc"
    scan = parse("/scan inv_abc")
    assert scan.findtext("Event") == "SCAN" and scan.findtext("EventKey") == "inv_abc"
    click = parse("/click REPORT")
    assert click.findtext("Event") == "CLICK" and click.findtext("EventKey") == "REPORT"
    assert build_message(config, RESIDENT, "/help") is None
    for bad in ("/voice", "/location x", "/click", "/frobnicate"):
        with pytest.raises(ChatError):
            build_message(config, RESIDENT, bad)


def test_ids_are_unique(config):
    ids = {ET.fromstring(build_message(config, RESIDENT, "x")).findtext("MsgId") for _ in range(200)}
    assert len(ids) == 200


def test_signing_matches_wechat(safe_config):
    # sha1 over the sorted strings, as WeChat's documentation describes
    expected = hashlib.sha1("".join(sorted(["token", "1409659813", "1372623149"])).encode()).hexdigest()
    assert signing.sign("token", "1409659813", "1372623149") == expected
    wx = safe_config.wechat
    xml = signing.build_text_xml(wx.original_id, RESIDENT, "你好")
    params, body = signing.sign_request(wx, xml, openid=RESIDENT)
    assert params["signature"] == signing.sign(wx.token, params["timestamp"], params["nonce"])
    crypto = WeChatCrypto(wx.token, wx.encoding_aes_key, wx.app_id)
    plain = crypto.decrypt_message(body, params["msg_signature"], params["timestamp"], params["nonce"])
    assert ET.fromstring(plain).findtext("Content") == "你好"
    assert ET.fromstring(body).findtext("ToUserName") == wx.original_id
    # a safe-mode passive reply is verified and decrypted
    reply = signing.build_xml({"ToUserName": RESIDENT, "MsgType": "text", "Content": "收到"})
    encrypted = crypto.encrypt_message(reply, "123", "1700000000")
    assert describe_reply(signing.parse_reply(wx, encrypted)) == "收到"
    plain_cfg = replace(wx, encoding_aes_key="")
    assert signing.parse_reply(plain_cfg, b"success") == {}
    assert signing.sign_request(plain_cfg, xml)[1] == xml.encode()
