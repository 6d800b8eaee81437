"""Issue 12, item 2: one problem, one ticket — follow-ups join the open ticket and reach its member;
a repeat is told it is in hand; an answer to the member's question joins; something else is new;
when unsure, the bot asks."""

from __future__ import annotations

import pytest

from tests.fixtures_dispatch import *  # noqa: F403
from tests.workbench_helpers import STAFF, login

FIRST = """
    居民: 3号院2号楼二楼楼道灯不亮了
      < 工单号 R1001
    理事会 << R1001
"""


@pytest.mark.parametrize("more", ["还有三楼的也不亮", "对了，四楼那个也坏了", "[语音] 另外 三楼四楼都黑着呢"])
def test_a_follow_up_joins_the_ticket_and_reaches_the_member(chat, more):
    chat.lives("居民", "c3").play(FIRST + f"""
        居民: {more}
          < 已补充到工单 R1001 … 已转告
          <! 已受理
        理事会 << 居民补充
    """)
    assert len(chat.tickets("居民")) == 1


@pytest.mark.parametrize("again", ["2号楼楼道灯咋还不亮啊，黑得很", "楼道的灯还是黑的 2号楼"])
def test_the_same_complaint_again_is_in_hand(chat, again):
    chat.lives("居民", "c3").play(FIRST + f"""
        ~ 30
        居民: {again}
          < 已经在办了 … R1001
          <! 已受理
        理事会 << 居民又催了
    """)
    assert len(chat.tickets("居民")) == 1


def test_an_answer_to_the_members_question_joins_the_ticket(chat):
    chat.lives("居民", "c3").play(FIRST + """
        维修: 进展 R1001 请问是几号楼几单元？
        居民 << 请问是几号楼几单元
        ~ 40
        居民: 2号楼3单元，四楼到五楼那一段
          < 已补充到工单 R1001
          <! 1 报修
        维修 << 四楼到五楼
    """)
    assert len(chat.tickets("居民")) == 1


@pytest.mark.parametrize("other", ["3号院6号楼门口的垃圾三天没人清了", "[语音] 五号楼下水道堵了 污水都冒出来了"])
def test_something_else_is_a_new_ticket(chat, other):
    chat.lives("居民", "c3").play(FIRST + f"""
        居民: {other}
          < 工单号 R1002
    """)
    assert len(chat.tickets("居民")) == 2


def test_when_unsure_the_bot_asks(chat):
    # issue 26: "快点来弄吧" was the example here; it is an urge now (tests/test_conv_acts.py)
    chat.lives("居民", "c3").play(FIRST + """
        居民: 师傅带上梯子
          < 是补充工单 R1001 … 回 1 补充，回 2 新的事
        居民: 1
          < 已补充到工单 R1001
    """)
    assert len(chat.tickets("居民")) == 1


def test_two_residents_reporting_the_same_thing_is_a_suggested_merge_for_staff(chat, client):
    chat.lives("居民", "c3").lives("邻居", "c3").play("""
        居民: 3号院2号楼楼道灯不亮了
        邻居: 3号院2号楼的楼道灯坏了，晚上不亮
          < 工单号 R1002
    """)
    login(client, STAFF)
    page = client.get("/staff/t/R1002").get_data(as_text=True)
    assert "可能与 R1001 是同一件事" in page
    assert "同一件事" not in client.get("/staff/t/R1001").get_data(as_text=True)
