"""Issue 12, item 7: council members — their task list, refs with or without the letter and the
word before or after, their own reports go to someone else, reassignment, media reach them."""

from __future__ import annotations

import pytest

from tests.fixtures_dispatch import *  # noqa: F403
from tests.workbench_helpers import STAFF, login, post_form

TWO_TASKS = """
    居民: 3号院2号楼楼道灯不亮了
    居民: 3号院5号楼门口路灯也不亮
    邻居: 3号院7号楼楼道里一股煤气味
"""


@pytest.mark.parametrize("asks", ["我的任务", "我的工单", "俺的任务呢", "我还有啥任务"])
def test_my_tasks_lists_open_tasks_urgent_first(chat, asks):
    chat.lives("居民", "c3").lives("邻居", "c3").play(TWO_TASKS)
    mine: dict[str, list[str]] = {}
    for t in chat.tickets("居民") + chat.tickets("邻居"):
        mine.setdefault(t.assignee_openid, []).append(t.ref)
    who, refs = max(mine.items(), key=lambda kv: len(kv[1]))
    name = next(n for n, o in chat.people.items() if o == who)
    chat.say(name, asks)
    assert all(r in chat.reply for r in refs) and "没有待办" not in chat.reply, chat.reply
    urgent = [t.ref for t in chat.tickets("邻居") if t.assignee_openid == who]
    if urgent:
        assert chat.reply.index(urgent[0]) < min(chat.reply.index(r) for r in refs if r not in urgent)


@pytest.mark.parametrize("says", ["R1001 接了", "接单 1001", "1001 我接了", "r1001接单"])
def test_accept_with_or_without_the_letter_and_the_word_after(chat, says):
    chat.lives("居民", "c3").play(f"""
        居民: 3号院2号楼楼道灯不亮了
        维修 << R1001
        维修: {says}
          < 已接单 R1001
        居民 << 已接单
    """)
    assert chat.tickets("居民")[0].status == "accepted"


def test_a_members_own_report_goes_to_another_member(chat):
    chat.play("""
        维修: 2号楼楼道灯不亮了，黑乎乎的
          < 工单号 … 3号院
          <! 哪个院
        维修 <<! 【新任务】
    """)
    (t,) = chat.tickets("维修")
    assert t.assignee_openid and t.assignee_openid != chat.openid("维修")


def test_after_reassignment_the_old_member_is_told_and_cannot_act(chat, client):
    chat.lives("居民", "c3").play("""
        居民: 3号院2号楼楼道灯不亮了
        维修 << R1001
    """)
    (t,) = chat.tickets("居民")
    login(client, STAFF)
    page = f"/staff/t/{t.ref}"
    resp = post_form(client, page, f"{page}/reassign", {"openid": chat.openid("组长")})
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:300]
    chat.settle()
    chat.play("""
        维修 << 已改派 … 不用再处理
        组长 << R1001
        维修: 接单 R1001
          < 已改派 … 不用您处理
        组长: 接单 R1001
          < 已接单
    """)


def test_a_photo_from_the_resident_reaches_the_member(chat):
    chat.lives("居民", "c3").play("""
        居民: 3号院2号楼楼道灯不亮了
          < 照片
        居民: [照片]
          < 照片已补充到工单 R1001
        维修 << 补充照片 … 任务页
    """)
