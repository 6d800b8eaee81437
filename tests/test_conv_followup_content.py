"""Issue 26, item 2 and 11, by content and not by the clock: words about an open ticket, days after it
was opened (it got worse, a correction of the place), join that ticket — the one of ALL the resident's
open tickets they are about — and reach whoever holds it (the chair while nobody does); an urge presses
it; another problem is still a ticket of its own."""

from __future__ import annotations

import pytest

from tests.fixtures_dispatch import *  # noqa: F403

LEAK = """
    居民: 3号院4号楼顶楼厨房顶上渗水，一下雨就往下滴
      < 工单号 R1001
    理事会 << R1001
"""


@pytest.mark.parametrize("worse", ["今儿个比昨天渗得还凶，顶上的白灰一块一块往下掉",
                                   "[语音] 俺给恁说 那水现在不是滴了 是往下淌 灶台上全是水",
                                   "情况更糟了，柜子里也进水了，木板都泡胀了😢"])
def test_worse_the_next_day_joins_the_ticket_and_reaches_its_member(chat, worse):
    chat.lives("居民", "c3").play(LEAK + f"""
        ~ 1500
        居民: {worse}
          < 已补充到工单 R1001
          <! 工单号 R1002
        理事会 << 居民补充
    """)
    assert len(chat.tickets("居民")) == 1


def test_worse_goes_to_the_ticket_it_is_about_not_the_newest(chat):
    chat.lives("居民", "c3").play(LEAK + """
        ~ 600
        居民: 3号院门口的垃圾箱满了好几天没人清
          < 工单号 R1002
        ~ 1500
        居民: 厨房顶上渗得更厉害了，墙皮都起泡了
          < 已补充到工单 R1001
          <! R1002
    """)
    assert len(chat.tickets("居民")) == 2


@pytest.mark.parametrize("urge", ["[语音] 都五天了 恁这边一点动静都木有 俺家厨房都不敢用了",
                                  "一个礼拜了还没人上门，这么拖着算怎么回事"])
def test_an_urge_days_later_presses_the_ticket_and_adds_nothing(chat, urge):
    chat.lives("居民", "c3").play(LEAK + f"""
        ~ 7000
        居民: {urge}
          < 催
          <! 已补充
          <! 工单号 R1002
        理事会 << 居民催了
    """)
    assert len(chat.tickets("居民")) == 1


@pytest.mark.parametrize("other", ["3号院6号楼单元门的锁坏了，关不上", "[语音] 院里那个健身器材 有个踏板掉了 小孩玩危险"])
def test_another_problem_days_later_is_still_a_ticket_of_its_own(chat, other):
    chat.lives("居民", "c3").play(LEAK + f"""
        ~ 1500
        居民: {other}
          < 工单号 R1002
    """)
    assert len(chat.tickets("居民")) == 2


@pytest.mark.parametrize(("fix", "shown"), [("昨天楼号说错了，不是4号楼，是7号楼", "4号楼 → 7号楼"),
                                           ("[语音] 俺那天说岔了 是七号楼 不是四号楼", "4号楼 → 7号楼")])
def test_a_correction_of_the_building_a_day_later_updates_it_and_tells_the_member(chat, fix, shown):
    chat.lives("居民", "c3").play(LEAK + f"""
        ~ 1500
        居民: {fix}
          < 已更正 … {shown}
        理事会 << 更正
    """)
    assert len(chat.tickets("居民")) == 1


def test_a_correction_of_the_courtyard_moves_it_and_the_new_council_gets_it(chat):
    chat.lives("居民", "c3").play(LEAK + """
        ~ 300
        居民: 不对，俺弄错了，是5号院嘞事，不是3号院
          < 5号院
        理事会 << 不归本院
    """)
    assert chat.tickets("居民")[0].courtyard_id == "c5"


def test_while_nobody_holds_it_the_chair_hears_of_an_addition(chat):
    chat.lives("居民", "c3").play(LEAK + """
        维修: 退单 R1001 这个得找房管所
        ~ 1500
        居民: 又往下滴得更厉害了，锅里都接了半锅水
          < 已补充到工单 R1001
        组长 << 居民补充
    """)
