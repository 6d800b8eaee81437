"""Issue 26 (places): a road, a crossing or the city's water is not a courtyard's business — the
resident is told so, given the desk that handles it and offered a person, never asked which
courtyard (not even when the courtyard question is answered with such a place)."""

from __future__ import annotations

import pytest

from tests.fixtures_dispatch import *  # noqa: F403


@pytest.mark.parametrize(("said", "number"), [
    ("经三路跟纬五路口那个红绿灯坏了", "122"),
    ("[语音] 中原路那个十字路口 红绿灯不亮了 车乱跑", "122"),
    ("建设路上公交站牌倒了", "12345"),
    ("文化路公交站嘞站牌歪了 快砸住人了", "12345"),
    ("俺们这一片都停水了 外边大路上修管子", "0371-6000 0400"),
    ("[语音] 恁知道不 俺这一片全停电了 大路上都黑着", "95598"),
])
def test_a_place_outside_gets_its_desk_not_a_ticket(chat, said, number):
    chat.play(f"""
        居民: {said}
          < 院外 … {number} … 转人工
          <! 哪个院
          <! 工单号
    """)
    assert chat.tickets("居民") == []


def test_a_bound_resident_too(chat):
    chat.lives("居民", "c3").play("""
        居民: 人民路跟育英街那个路口信号灯坏了 一直红灯
          < 122
          <! 工单号
    """)
    assert chat.tickets("居民") == []


@pytest.mark.parametrize("answer", ["在经三路那个路口", "外边大马路上 不在院里", "建设路公交站那儿"])
def test_the_courtyard_question_answered_with_a_road_is_not_asked_again(chat, answer):
    chat.play(f"""
        居民: 垃圾堆了好几天没人收 臭得很
          < 哪个院
        居民: {answer}
          < 院外 … 转人工
          <! 哪个院
        居民: 转人工
    """)
    assert chat.tickets("居民") == []


@pytest.mark.parametrize("said", ["楼道灯不亮了", "3号院门口路灯坏了", "院里那条路坑坑洼洼 老人走着绊脚"])
def test_the_courtyards_own_places_are_still_tickets(chat, said):
    chat.lives("居民", "c3").play(f"""
        居民: {said}
          < 工单号
          <! 院外
    """)


# --- one message, several problems ---------------------------------------------------------------

@pytest.mark.parametrize(("said", "subs"), [
    ("楼道灯不亮了，还有门口垃圾好几天没人收", {"照明", "环境卫生"}),
    ("[语音] 俺那单元门坏了关不上 还有就是楼下有人天天烧烤 烟呛死人", {"门禁", "噪音"}),
    ("俺家楼上漏水 另外 楼道里堆满杂物没人管", {"给排水", "占用公共空间"}),
])
def test_two_problems_in_one_message_are_two_tickets_in_one_reply(chat, said, subs):
    chat.lives("居民", "c3").play(f"""
        居民: {said}
          < 工单号 … 工单号 … 2件事
    """)
    made = chat.tickets("居民")
    assert len(made) == 2 and {t.subcategory for t in made} == subs
    assert all(t.ref in chat.reply for t in made)
    assert all(t.courtyard_id == "c3" for t in made)


def test_each_problem_goes_to_its_own_courtyard(chat):
    chat.play("""
        居民: 3号院楼道灯坏了 另外5号院门口下水道堵了
          < 工单号 … 工单号
    """)
    made = sorted(chat.tickets("居民"), key=lambda t: t.id)
    assert [t.courtyard_id for t in made] == ["c3", "c5"]


def test_two_problems_wait_for_one_courtyard_question(chat):
    chat.play("""
        居民: 楼道灯不亮了 还有门口垃圾好几天没人收
          < 哪个院
        居民: 三号院
          < 工单号 … 工单号
    """)
    assert len(chat.tickets("居民")) == 2


@pytest.mark.parametrize("said", [
    "楼道灯不亮了，黑咕隆咚的，老人下楼害怕",
    "水管漏了，还有地下室也漏水",
    "[语音] 俺家那个楼道灯坏了 还有三天了 一直没人修",
    "下水道堵了。臭得很。一楼都没法住了",
])
def test_one_problem_in_several_sentences_is_one_ticket(chat, said):
    chat.lives("居民", "c3").play(f"""
        居民: {said}
          < 工单号
          <! 2件事
    """)
    assert len(chat.tickets("居民")) == 1


# --- corrections to the ticket just opened ---------------------------------------------------------

@pytest.mark.parametrize(("said", "before", "after"), [
    ("刚才说错了 是4号楼不是3号楼", "3号楼", "4号楼"),
    ("[语音] 哎呀俺说岔了 不是三号楼 是四号楼", "3号楼", "4号楼"),
    ("不对不对 应该是4号楼", "3号楼", "4号楼"),
])
def test_the_building_corrected_and_the_member_told(chat, said, before, after):
    chat.lives("居民", "c3").play(f"""
        居民: 3号楼2单元楼道灯不亮了
          < 工单号
        居民: {said}
          < 已更正 … {after}
    """)
    (t,) = chat.tickets("居民")
    assert after in t.text and before not in t.text


@pytest.mark.parametrize("said", ["不是2单元是3单元", "俺说错了 是三单元 不是二单元"])
def test_the_unit_corrected(chat, said):
    chat.lives("居民", "c3").play(f"""
        居民: 3号楼2单元楼道灯不亮了
          < 工单号
        居民: {said}
          < 已更正 … 3单元
    """)
    (t,) = chat.tickets("居民")
    assert "3单元" in t.text and "2单元" not in t.text


def test_a_member_who_has_the_task_hears_the_correction(chat):
    chat.lives("居民", "c3").play("""
        居民: 3号楼楼道灯不亮了
          < 工单号
        ~ 1
        居民: 刚才说错了 是4号楼不是3号楼
          < 已更正 … 已告诉
        理事会 << 居民更正 … 4号楼
    """)


@pytest.mark.parametrize("said", ["说错了 是五号院", "刚才说错了 是5号院的", "[语音] 俺弄错了 应该是五号院"])
def test_the_courtyard_corrected_moves_it_to_the_new_council(chat, said):
    chat.lives("居民", "c3").play(f"""
        居民: 楼道灯不亮了
          < 工单号
        ~ 1
        居民: {said}
          < 改到 … 5号院|五号院
    """)
    (t,) = chat.tickets("居民")
    assert t.courtyard_id == "c5"
    chat.play("""
        理事会 << 已转院
    """)


def test_the_category_corrected(chat):
    chat.lives("居民", "c3").play("""
        居民: 楼下有人天天烧烤 烟大得很
          < 工单号
        居民: 说错了 这不是投诉 是报修 他那烟道堵了
          < 已更正 … 投诉 → 报修
    """)
    (t,) = chat.tickets("居民")
    assert t.category == "repair"


def test_a_new_problem_naming_another_courtyard_is_not_a_correction(chat):
    chat.lives("居民", "c3").play("""
        居民: 楼道灯不亮了
          < 工单号
        居民: 俺闺女那边五号院门口下水道也堵了 不是一天两天了
          < 工单号
    """)
    assert len(chat.tickets("居民")) == 2
