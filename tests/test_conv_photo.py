"""Issue 12, item 2: a photo after a ticket follows the rule words follow — soon after the one open
ticket it joins it (and reaches its member); later, or with several open tickets, the resident is
asked "是补充…，还是另一件事？" and the answer is acted on."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.storage.models import Media
from tests.fixtures_dispatch import *  # noqa: F403

LAMP = """
    居民: 3号院2号楼楼道灯不亮了
      < 工单号 R1001 … 照片
    维修 << R1001
"""


def _photos(chat) -> dict[int | None, int]:
    with chat.steward.session() as s:
        rows = s.scalars(select(Media).where(Media.openid == chat.openid("居民"), Media.kind == "image")).all()
        counts: dict[int | None, int] = {}
        for m in rows:
            counts[m.ticket_id] = counts.get(m.ticket_id, 0) + 1
        return counts


def test_soon_after_the_one_open_ticket_a_photo_joins_it(chat):
    chat.lives("居民", "c3").play(LAMP + """
        居民: [照片]
          < 照片已补充到工单 R1001
          <! 另一件事
        维修 << 补充照片 … 任务页
    """)
    assert _photos(chat) == {chat.tickets("居民")[0].id: 1}


@pytest.mark.parametrize("yes", ["1", "补充", "是补充的", "[语音] 补充", "对"])
def test_later_a_photo_is_asked_about_and_added_on_1(chat, yes):
    chat.lives("居民", "c3").play(LAMP + f"""
        ~ 40
        居民: [照片]
          < 照片收到了 … 是补充工单 R1001 … 回 1 补充，回 2 新的事
        维修 <<!
        居民: {yes}
          < 照片已补充到工单 R1001
        维修 << 补充照片
    """)
    (t,) = chat.tickets("居民")
    assert _photos(chat) == {t.id: 1}


@pytest.mark.parametrize("no", ["2", "新的事", "[语音] 另一件事", "不是"])
def test_a_photo_of_a_new_problem_asks_what_it_is_then_goes_with_it(chat, no):
    chat.lives("居民", "c3").play(LAMP + f"""
        ~ 40
        居民: [照片]
          < 是补充工单 R1001
        居民: {no}
          < 新的事 … 什么问题
          <! 已补充
        居民: 5号楼门口下水道堵了，污水往外冒
          < 工单号 R1002
          <! 有照片的话
    """)
    first, second = chat.tickets("居民")
    assert _photos(chat) == {second.id: 1}
    assert "下水道" in second.text


def test_with_two_open_tickets_a_photo_is_asked_about_even_soon_after(chat):
    chat.lives("居民", "c3").play(LAMP + """
        居民: 3号院6号楼门口垃圾堆了三天没人清
          < 工单号 R1002
        居民: [照片]
          < 是补充工单 R1002 … 回 1 补充
        居民: 1
          < 已补充到工单 R1002
    """)
    first, second = chat.tickets("居民")
    assert _photos(chat) == {second.id: 1}


def test_words_instead_of_a_number_open_the_new_ticket_with_the_photo(chat):
    chat.lives("居民", "c3").play(LAMP + """
        ~ 40
        居民: [照片]
          < 是补充工单 R1001
        居民: 俺家门口的树倒了 挡着路了
          < 工单号 R1002
    """)
    first, second = chat.tickets("居民")
    assert _photos(chat) == {second.id: 1}


def test_a_photo_with_no_open_ticket_waits_for_the_words(chat):
    chat.lives("居民", "c3").play("""
        居民: [照片]
          < 照片收到了 … 什么问题
          <! 补充
        居民: 3号院2号楼楼道灯不亮了
          < 工单号 R1001
    """)
    (t,) = chat.tickets("居民")
    assert _photos(chat) == {t.id: 1}
