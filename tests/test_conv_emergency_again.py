"""Issue 26, items 5 and 11: someone shut in a lift is 96333 first and a lift repair (its people told),
however the sentence runs; a second cry about the same scene soon after (the place, "it's getting
worse", someone now hurt) goes to the urgent ticket already open, with its number, and whoever holds
it hears of it — never a second ticket."""

from __future__ import annotations

import pytest

from tests.fixtures_dispatch import *  # noqa: F403


@pytest.mark.parametrize("said", ["电梯卡住了，里面关着俺家老头", "[语音] 电梯不走了 卡在半截 俺妈在里头",
                                  "电梯停了，门打不开，我爸锁在里面了"])
def test_someone_shut_in_a_lift_is_96333_and_a_lift_repair(chat, said):
    chat.lives("居民", "c3").play(f"""
        居民: {said}
          < 96333 … 工单号
        员工 << 【紧急】
    """)
    (t,) = chat.tickets("居民")
    assert t.urgent and t.category == "repair"


@pytest.mark.parametrize("again", ["他说喘不上气了，快点啊", "[语音] 越来越热了 里头的人快不行了 恁快点",
                                   "电梯顶上开始冒烟了！快来人"])
def test_a_second_cry_soon_after_goes_to_the_urgent_ticket(chat, again):
    chat.lives("居民", "c3").play(f"""
        居民: 3号院2号楼电梯卡在五楼，里面关着人
          < 96333 … 工单号 R1001
        ~ 3
        居民: {again}
          <! 工单号 R1002
        理事会 << R1001
    """)
    assert len(chat.tickets("居民")) == 1


def test_the_place_after_the_alarm_moves_the_urgent_ticket_there(chat):
    chat.play("""
        居民: 电梯困人了！俺孙子在里面出不来
          < 96333 … 哪个院
        居民: 在7号院3号楼
          <! 工单号 R1002
    """)
    (t,) = chat.tickets("居民")
    assert t.courtyard_id == "c7" and t.urgent
