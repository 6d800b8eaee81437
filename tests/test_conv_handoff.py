"""Issue 12, item 4: asking for a person. Staff are told, read the conversation on the workbench,
answer it as customer-service messages, and the bot stays quiet until released or timed out."""

from __future__ import annotations

import pytest

from tests.fixtures_dispatch import *  # noqa: F403
from tests.workbench_helpers import STAFF, login, post_form

PAGE = "/staff/handoffs/"


def _handoff_id(client) -> int:
    html = client.get(PAGE).get_data(as_text=True)
    marker = 'id="handoff-'
    assert marker in html, html
    return int(html.split(marker, 1)[1].split('"', 1)[0])


@pytest.mark.parametrize("said", ["人工", "转人工", "我要找社区的刘主任说话", "能不能叫个工作人员来",
                                  "[语音] 俺不想跟机器说 有没有真人"])
def test_a_person_takes_the_conversation_and_gives_it_back(chat, client, said):
    chat.lives("居民", "c3").play(f"""
        居民: {said}
          < 工作人员 … 请稍等
        员工 << 转人工
        理事会 <<!
        居民: 楼上天天半夜剁饺子馅，吵得睡不着
          < (无)
        理事会 <<!
    """)
    assert chat.tickets("居民") == []
    login(client, STAFF)
    page = client.get(PAGE).get_data(as_text=True)
    assert "剁饺子馅" in page and "育英街3号院" in page
    hid = _handoff_id(client)
    assert post_form(client, PAGE, f"{PAGE}{hid}/reply", {"text": "您好，我是社区小刘，明天上午去楼上说说。"}).status_code == 302
    chat.settle()
    chat.play("居民 << 社区小刘")
    assert post_form(client, PAGE, f"{PAGE}{hid}/release", {}).status_code == 302
    chat.play("""
        居民: 3号院2号楼楼道灯不亮
          < 工单号
    """)
    assert "现在没有找人工的居民" in client.get(PAGE).get_data(as_text=True)


def test_the_hand_off_times_out(chat, steward_live):
    minutes = steward_live.config.conversation.handoff_minutes
    chat.lives("居民", "c3").play(f"""
        居民: 转人工
        居民: 还在吗
          < (无)
        ~ {minutes + 1:g}
        居民: 3号院2号楼楼道灯不亮
          < 工单号
    """)


def test_an_emergency_is_answered_even_while_handed_off(chat):
    chat.lives("居民", "c3").play("""
        居民: 转人工
        居民: 厨房着火了！
          < 119
        员工 << 【紧急】
    """)


def test_a_workbench_reply_needs_a_login_and_words(chat, client):
    assert client.get(PAGE).status_code in (302, 401)
    chat.lives("居民", "c3").play("居民: 人工")
    login(client, STAFF)
    hid = _handoff_id(client)
    post_form(client, PAGE, f"{PAGE}{hid}/reply", {"text": "  "})
    chat.settle()
    chat.play("居民 <<!")
    assert client.post(f"{PAGE}99999/release", data={}).status_code in (400, 404)
