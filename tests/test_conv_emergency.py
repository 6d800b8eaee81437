"""Issue 12, item 1: emergencies first — the right number, one line of advice, then the ticket;
urgent, staff alerted, 【紧急】 to the council; an open ticket escalated; an unaccepted one chased."""

from __future__ import annotations

import pytest

from tests.fixtures_dispatch import *  # noqa: F403


@pytest.mark.parametrize("said", [
    "俺家老头子摔倒了起不来",
    "[语音] 喂 快来人 俺娘在楼梯口晕过去了 叫不醒",
    "邻居家老太太倒在地上没反应了！！",
])
def test_a_person_in_danger_gets_120_first_and_is_never_a_repair(chat, said):
    chat.lives("居民", "c3").play(f"""
        居民: {said}
          < 120 … 先别挪动 … 紧急求助 … 工单号
          <! 报修
          <! 照片
        员工 << 【紧急】
        理事会 << 【紧急】
    """)
    (t,) = chat.tickets("居民")
    assert t.urgent and t.courtyard_id == "c3"


@pytest.mark.parametrize(("said", "number", "advice"), [
    ("电梯卡住了，里面关着俩人！3号院2号楼", "96333", "警铃"),
    ("俺孙子困在电梯里了，快点啊", "96333", "警铃"),
    ("厨房着火了，烟好大", "119", "走楼梯"),
    ("楼道里一股煤气味，呛得很", "96777", "别打火"),
    ("单元门口电线耷拉到地上了，还冒火花", "95598", "别碰电线"),
    ("下水道井盖没了，黑灯瞎火的，小孩掉进去咋办", "110", "井口"),
    ("楼道里有人拉飞线给电动车充电", "119", "拔了"),
])
def test_each_danger_opens_with_its_own_number(chat, said, number, advice):
    chat.lives("居民", "c3").play(f"""
        居民: {said}
          < {number} … {advice} … 紧急 … 工单号
        员工 << 【紧急】
    """)
    first = chat.reply.split("\n")[0]
    assert number in first, chat.reply
    (t,) = chat.tickets("居民")
    assert t.urgent


def test_the_person_number_comes_before_the_lift_number_when_someone_fell(chat):
    chat.lives("居民", "c3").play("""
        居民: 老人摔倒了，还关在电梯里出不来
          < 120 … 96333
    """)


@pytest.mark.parametrize("said", ["怕楼道里着火，杂物能不能清一下", "社区啥时候搞消防演练", "有没有燃气味我也闻不出来"])
def test_worries_and_drills_are_not_emergencies(chat, said):
    chat.lives("居民", "c3").play(f"""
        居民: {said}
          <! 请马上打电话
        员工 <<! 【紧急】
    """)


def test_an_emergency_about_an_open_ticket_escalates_it(chat):
    chat.lives("居民", "c3").play("""
        居民: 3号院2号楼电梯坏了，门老是关不上
          < 工单号
        理事会 << 电梯
        居民: 电梯里关着人呢！快点！
          < 96333 … 已改为紧急
        理事会 << 【紧急】 … 关着人
        员工 << 【紧急】
    """)
    (t,) = chat.tickets("居民")  # no second ticket beside it
    assert t.urgent


def test_an_unaccepted_urgent_ticket_goes_to_the_backup_and_staff(chat, steward_live):
    minutes = steward_live.config.emergency.chase_minutes
    chat.lives("居民", "c3").play(f"""
        居民: 5号楼二单元天然气味特别大
          < 96777
        ~ {minutes - 5:g}
        居民 <<! 正在催
        ~ 6
        理事会 << 无人接单
        员工 << 无人接单
        居民 << 正在催
        ~ 10
        理事会 <<!
        居民 <<!
    """)
    (t,) = chat.tickets("居民")
    assert t.status == "dispatched"
