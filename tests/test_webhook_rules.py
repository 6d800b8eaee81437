"""WeChat's 2026 callback rules: de-duplication per sender, repeated tags, key rotation, the recipient."""

from __future__ import annotations

import logging
import time
from dataclasses import replace

from sqlalchemy import func, select

from bot.storage.models import InboundMessage, Ticket
from bot.wechat import signing
from tests.wechat_client import WeChatTestClient

OLD_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
NEW_KEY = "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"


def _count(steward, model) -> int:
    with steward.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_two_residents_one_msgid_two_tickets_each_his_own_reply(wechat, steward):
    msg_id = 24_000_000_000_777  # MsgId has been seen colliding across users
    a = wechat.text("o-resident-a-0001", "粮食局家属院2号楼楼道灯坏了好几天了", msg_id=msg_id)
    b = wechat.text("o-resident-b-0002", "3号院下水道堵了 污水漫出来了", msg_id=msg_id)
    assert a.status == b.status == 200
    with steward.session() as s:
        tickets = {t.resident_openid: t for t in s.scalars(select(Ticket))}
        assert set(tickets) == {"o-resident-a-0001", "o-resident-b-0002"}
        assert _count(steward, InboundMessage) == 2
    assert a.reply["ToUserName"] == "o-resident-a-0001" and tickets["o-resident-a-0001"].ref in a.text
    assert b.reply["ToUserName"] == "o-resident-b-0002" and tickets["o-resident-b-0002"].ref in b.text
    assert tickets["o-resident-a-0001"].ref not in b.text
    # A retry of the second is still a retry: same answer, nothing new stored.
    again = wechat.text("o-resident-b-0002", "3号院下水道堵了 污水漫出来了", msg_id=msg_id)
    assert again.text == b.text and _count(steward, Ticket) == 2


def test_events_with_different_keys_at_one_second_are_two(wechat, steward):
    t = int(time.time())
    assert wechat.event("o-clicker-01", "CLICK", "MY_TICKETS", create_time=t).status == 200
    assert wechat.event("o-clicker-01", "CLICK", "GUIDE", create_time=t).status == 200
    assert wechat.event("o-clicker-01", "CLICK", "GUIDE", create_time=t).status == 200  # a retry
    assert _count(steward, InboundMessage) == 2


def test_repeated_tag_is_400_and_nothing_stored(wechat, steward):
    xml = ("<xml><ToUserName><![CDATA[gh_courtyard]]></ToUserName><FromUserName><![CDATA[o-a]]></FromUserName>"
           "<FromUserName><![CDATA[o-b]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]>"
           "</MsgType><Content><![CDATA[3号院灯坏了]]></Content><MsgId>5</MsgId></xml>")
    xml = xml.replace("gh_courtyard", wechat.account)
    ex = wechat.post_xml(xml)
    assert ex.status == 400 and b"repeated" in ex.body
    assert _count(steward, InboundMessage) == 0


def test_message_for_another_account_is_refused_and_logged(wechat, steward, caplog):
    xml = signing.build_text_xml("gh_someone_else", "o-resident-x", "3号院楼道灯坏了")
    with caplog.at_level(logging.WARNING, logger="bot.entrypoints.webhook"):
        ex = wechat.post_xml(xml)
    assert ex.status == 403
    assert _count(steward, InboundMessage) == 0
    assert any("another account" in r.getMessage() for r in caplog.records)
    assert not any("o-resident-x" in r.getMessage() for r in caplog.records)


def test_previous_aes_key_accepted_while_rotating(app, client, config, steward):
    old = replace(config.wechat, encoding_aes_key=OLD_KEY)
    new = replace(config.wechat, encoding_aes_key=NEW_KEY, encoding_aes_key_previous=OLD_KEY)
    steward.config = replace(config, wechat=new)
    # WeChat still seals with the old key: accepted, and the reply is sealed with that key too.
    ex = WeChatTestClient(client, replace(config, wechat=old)).text("o-rotating-1", "粮食局家属院2号楼楼道灯坏了")
    assert ex.status == 200 and "工单" in ex.text
    # ...and with the new one.
    assert WeChatTestClient(client, replace(config, wechat=new)).text("o-rotating-2", "你好").status == 200
    # Without the previous key the old seal is refused.
    steward.config = replace(config, wechat=replace(new, encoding_aes_key_previous=""))
    assert WeChatTestClient(client, replace(config, wechat=old)).text("o-rotating-3", "你好").status == 400
    assert _count(steward, InboundMessage) == 2
