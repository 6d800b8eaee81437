"""The webhook as WeChat calls it: every test is a real signed HTTP request through the app."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from bot.storage.models import InboundMessage, Ticket, TicketEvent
from bot.wechat import signing
from tests.wechat_client import WeChatTestClient

RESIDENT = "o-resident-test-0001"


def count(steward, model) -> int:
    with steward.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_get_verification_echoes(client, config):
    ts, nonce = str(int(time.time())), "12345"
    sig = signing.sign(config.wechat.token, ts, nonce)
    resp = client.get("/wechat", query_string={"signature": sig, "timestamp": ts, "nonce": nonce, "echostr": "e42"})
    assert resp.status_code == 200 and resp.data == b"e42"


def test_get_verification_bad_signature(client):
    ts = str(int(time.time()))
    resp = client.get("/wechat", query_string={"signature": "0" * 40, "timestamp": ts, "nonce": "1", "echostr": "x"})
    assert resp.status_code == 403 and b"x" not in resp.data


def test_text_message_opens_ticket_and_replies_with_ref(wechat, steward):
    # Bound by naming the courtyard in the text, so no dialogue turn is needed.
    ex = wechat.text(RESIDENT, "粮食局家属院2号楼楼道灯坏了好几天了，晚上黑乎乎的")
    assert ex.status == 200
    with steward.session() as s:
        ticket = s.scalars(select(Ticket)).one()
        assert ticket.ref.isalnum() and ticket.ref.isascii()
        assert ticket.status == "received"
        events = s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)).all()
        assert [e.kind for e in events] == ["received"]
        inbound = s.scalars(select(InboundMessage)).one()
        assert inbound.status == "handled" and inbound.ticket_id == ticket.id
    assert ticket.ref in ex.text
    assert ex.reply["ToUserName"] == RESIDENT
    assert len(ex.body) <= 4096 and len(ex.text.encode("utf-8")) <= 2048


def test_retries_store_one_message_and_one_ticket(wechat, steward):
    msg_id = 7_000_000_000_001
    replies = [wechat.text(RESIDENT, "3号院下水道堵了 污水漫出来了", msg_id=msg_id) for _ in range(4)]
    assert all(r.status == 200 for r in replies)
    assert count(steward, InboundMessage) == 1
    assert count(steward, Ticket) == 1
    # Every retry gets the same answer as the first delivery.
    assert {r.text for r in replies} == {replies[0].text}


def test_event_retries_deduplicated_by_sender_time_event(wechat, steward):
    t = int(time.time())
    for _ in range(3):
        assert wechat.event(RESIDENT, "subscribe", create_time=t).status == 200
    assert count(steward, InboundMessage) == 1


@pytest.mark.parametrize(
    "send",
    [
        lambda w: w.text(RESIDENT, "你好"),
        lambda w: w.voice(RESIDENT, "三号院楼道灯不亮了"),
        lambda w: w.image(RESIDENT),
        lambda w: w.location(RESIDENT, 34.7477, 113.6253, "育英街"),
        lambda w: w.link(RESIDENT, "一篇文章", "http://example.invalid/a"),
        lambda w: w.event(RESIDENT, "subscribe"),
        lambda w: w.event(RESIDENT, "unsubscribe"),
        lambda w: w.event(RESIDENT, "CLICK", "MY_TICKETS"),
        lambda w: w.event(RESIDENT, "VIEW", "http://example.invalid/menu"),
        lambda w: w.event(RESIDENT, "SCAN", "qr-1", Ticket="tk"),
        lambda w: w.event(RESIDENT, "TEMPLATESENDJOBFINISH", MsgID="123456", Status="success"),
        lambda w: w.post_xml(
            signing.build_xml({"ToUserName": w.account, "FromUserName": RESIDENT, "CreateTime": int(time.time()),
                               "MsgType": "miniprogrampage", "MsgId": 99}), RESIDENT),
    ],
    ids=["text", "voice", "image", "location", "link", "subscribe", "unsubscribe", "click", "view", "scan",
         "templatesendjobfinish", "unknown"],
)
@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_every_message_type_answers(send, mode, app, client, config, safe_config, steward):
    cfg = safe_config if mode == "safe" else config
    if mode == "safe":
        steward.config = cfg
    w = WeChatTestClient(client, cfg)
    ex = send(w)
    assert ex.status == 200
    assert ex.body == b"success" or ex.reply.get("MsgType") == "text"
    if mode == "safe" and ex.body != b"success":
        assert b"<Encrypt>" in ex.body
    assert count(steward, InboundMessage) == 1
    with steward.session() as s:
        assert s.scalars(select(InboundMessage)).one().status == "handled"


def test_unknown_type_gets_polite_reply(wechat):
    xml = signing.build_xml({"ToUserName": wechat.account, "FromUserName": RESIDENT, "CreateTime": int(time.time()),
                             "MsgType": "miniprogrampage", "MsgId": 5})
    ex = wechat.post_xml(xml, RESIDENT)
    assert ex.status == 200 and ex.text  # a Chinese sentence, not an error


def test_bad_signature_403_nothing_stored(wechat, steward):
    ex = wechat.post_xml(signing.build_text_xml(wechat.account, RESIDENT, "hi"), signature="f" * 40)
    assert ex.status == 403
    assert count(steward, InboundMessage) == 0


def test_missing_signature_403(client, steward):
    resp = client.post("/wechat", data=b"<xml></xml>", content_type="text/xml")
    assert resp.status_code == 403
    assert count(steward, InboundMessage) == 0


def test_stale_timestamp_403(client, config, steward):
    xml = signing.build_text_xml(config.wechat.original_id, RESIDENT, "hi")
    old = str(int(time.time()) - 301)
    params, body = signing.sign_request(config.wechat, xml, timestamp=old)
    resp = client.post("/wechat", query_string=params, data=body, content_type="text/xml")
    assert resp.status_code == 403
    assert count(steward, InboundMessage) == 0


def test_safe_mode_bad_msg_signature_403(client, safe_config, steward):
    steward.config = safe_config
    xml = signing.build_text_xml(safe_config.wechat.original_id, RESIDENT, "hi")
    params, body = signing.sign_request(safe_config.wechat, xml)
    params["msg_signature"] = "0" * 40
    resp = client.post("/wechat", query_string=params, data=body, content_type="text/xml")
    assert resp.status_code == 403
    assert count(steward, InboundMessage) == 0


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><MsgType>text</MsgType>"
        b"<Content>&lol2;</Content></xml>",
        b'<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>',
        b"<xml><ToUserName>a</ToUserName><FromUser",
        b"not xml at all",
        b"<xml><ToUserName>a</ToUserName></xml>",
        b"\xff\xfe<\x00x\x00",
    ],
    ids=["billion-laughs", "xxe", "truncated", "garbage", "missing-fields", "not-utf8"],
)
def test_malformed_or_dtd_body_400_nothing_stored(client, config, steward, body):
    params, _ = signing.sign_request(config.wechat, "<xml/>")
    resp = client.post("/wechat", query_string=params, data=body, content_type="text/xml")
    assert resp.status_code == 400
    assert count(steward, InboundMessage) == 0


def test_65kb_body_413(client, config, steward):
    xml = signing.build_text_xml(config.wechat.original_id, RESIDENT, "灯" * 22_000)
    assert len(xml.encode()) > 65 * 1000
    params, body = signing.sign_request(config.wechat, xml)
    resp = client.post("/wechat", query_string=params, data=body, content_type="text/xml")
    assert resp.status_code == 413
    assert count(steward, InboundMessage) == 0


def test_failure_inside_handler_answers_success_and_keeps_raw(wechat, steward, monkeypatch):
    from bot.services.inbound import intake

    def broken(msg, ctx):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(intake, "decide", broken)
    ex = wechat.text(RESIDENT, "3号院楼道灯坏了")
    assert ex.status == 200 and ex.body == b"success"
    with steward.session() as s:
        row = s.scalars(select(InboundMessage)).one()
        assert row.status == "failed" and "injected failure" in row.error
        assert "楼道灯坏了" in row.raw
    assert count(steward, Ticket) == 0

    # Replay after the fault is gone: the ticket appears, exactly once.
    monkeypatch.undo()
    from bot.services.inbound.replay import replay

    assert replay(steward) == (1, 0, 0)
    assert count(steward, Ticket) == 1
    assert replay(steward) == (0, 0, 0)


def test_long_reply_is_cut_to_2048_bytes():
    from bot.wechat.messages import text_reply_xml, truncate_utf8

    cut = truncate_utf8("办" * 1000)
    assert len(cut.encode("utf-8")) <= 2048 and cut.endswith("…")
    assert "办" * 10 in text_reply_xml("a", "b", "办" * 1000)


def test_replies_within_timestamp_tolerance_config(app, client, config, steward):
    steward.config = replace(config, wechat=replace(config.wechat, timestamp_tolerance=10))
    xml = signing.build_text_xml(config.wechat.original_id, RESIDENT, "hi")
    params, body = signing.sign_request(config.wechat, xml, timestamp=str(int(time.time()) - 60))
    assert client.post("/wechat", query_string=params, data=body, content_type="text/xml").status_code == 403


COUNCIL = "o-sample-c3-1"


@pytest.mark.parametrize("mode", ["plain", "safe"])
def test_a_used_query_string_cannot_carry_another_body(mode, app, config, safe_config, steward):
    """A resident's signed query string, captured, is replayed with a council member's 接单."""
    cfg = safe_config if mode == "safe" else config
    steward.config = replace(steward.config, wechat=cfg.wechat)
    http = app.test_client()
    resident_xml = signing.build_text_xml(cfg.wechat.original_id, RESIDENT, "3号院楼道灯坏了")
    params, body = signing.sign_request(cfg.wechat, resident_xml, openid=RESIDENT)
    first = http.post("/wechat", query_string=params, data=body, content_type="text/xml")
    assert first.status_code == 200
    # WeChat's retry of the same delivery (same query, same body) is still answered.
    again = http.post("/wechat", query_string=params, data=body, content_type="text/xml")
    assert again.status_code == 200
    forged_xml = signing.build_text_xml(cfg.wechat.original_id, COUNCIL, "接单")
    if mode == "plain":
        forged = forged_xml.encode()
    else:
        # In safe mode the attacker replays another captured envelope under this query string.
        _, forged = signing.sign_request(cfg.wechat, forged_xml, timestamp=params["timestamp"],
                                         nonce=params["nonce"])
    resp = http.post("/wechat", query_string=params, data=forged, content_type="text/xml")
    assert resp.status_code == 403
    with steward.session() as s:
        assert s.scalar(select(func.count()).select_from(InboundMessage).where(
            InboundMessage.openid == COUNCIL)) == 0


def test_used_query_strings_are_forgotten_after_the_window(app, config, steward, redis_client):
    params, body = signing.sign_request(config.wechat, signing.build_text_xml(
        config.wechat.original_id, RESIDENT, "灯坏了"), openid=RESIDENT)
    assert app.test_client().post("/wechat", query_string=params, data=body).status_code == 200
    keys = redis_client.keys("steward:wxquery:*")
    assert len(keys) == 1
    assert 0 < redis_client.ttl(keys[0]) <= 2 * config.wechat.timestamp_tolerance + 1
