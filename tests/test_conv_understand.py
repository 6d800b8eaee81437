"""Issue 26 (the problem half): emergencies learned, each with its own number first; floods and
blocked drains are repairs, not fires; courtyards taken back or a relative's; 家属院 misheard."""

from __future__ import annotations

import pytest

from tests.fixtures_dispatch import *  # noqa: F403


@pytest.mark.parametrize("said", [
    "[语音] 喂 俺家对门那个电梯 里头有人出不来了 喊半天了",
    "电梯停半道了 俺孙子在里头 门扒不开",
])
def test_someone_in_a_lift_gets_96333_first_even_without_a_courtyard(chat, said):
    chat.play(f"""
        居民: {said}
          < 96333 … 哪个院
        员工 << 【紧急】
    """)
    assert "96333" in chat.reply.split("\\n")[0], chat.reply
    (t,) = chat.tickets("居民")
    assert t.urgent and t.subcategory == "电梯"


@pytest.mark.parametrize("said", [
    "下水道堵了，污水漫到路上了，臭得很",
    "地下室水管漏了 水都淹到脚脖子了",
    "俺家厕所堵了 往外冒水",
])
def test_water_is_a_repair_not_a_fire(chat, said):
    chat.lives("居民", "c3").play(f"""
        居民: {said}
          < 工单号
          <! 119
          <! 电闸
          <! 请马上打电话
    """)


@pytest.mark.parametrize(("said", "number"), [
    ("5号院门口那个井盖叫人偷走了 黑窟窿一个 晚上看不见", "110"),
    ("楼道里一股子煤气味 呛得人头晕", "96777"),
])
def test_a_danger_in_own_words_opens_with_its_number(chat, said, number):
    chat.lives("居民", "c3").play(f"""
        居民: {said}
          < {number}
        员工 << 【紧急】
    """)
    assert number in chat.reply.split("\\n")[0], chat.reply


@pytest.mark.parametrize(("said", "where"), [
    ("不是3号院，是5号院，楼道灯坏了", "c5"),
    ("3号院 不对不对 是五号院 单元门口路灯不亮", "c5"),
    ("俺住三号院 俺闺女住九号院 她那边楼道灯坏了", "c9"),
    ("[语音] 俺是二中加属院的 二号楼楼道灯不亮", "c5"),
    ("粮食局家数院门口的路灯坏了", "c3"),
])
def test_the_courtyard_meant(chat, said, where):
    chat.play(f"""
        居民: {said}
          < 工单号
    """)
    (t,) = chat.tickets("居民")
    assert t.courtyard_id == where
