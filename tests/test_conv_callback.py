"""Issue 12, item 6: the callback names the resident's own problem; answer and rating in one
message or two, digits or words; comments kept; a low rating gets an apology and a staff
follow-up; "not solved" reopens with the resident's words in the member's task."""

from __future__ import annotations

import pytest

from tests.fixtures_dispatch import *  # noqa: F403

FINISHED = """
    居民: 3号院2号楼楼道灯不亮了，黑咕隆咚的
    维修: 接单 R1001
    维修: 办结 R1001 换了新灯泡，亮了
      < 已办结
    居民 << 您反映的「3号院2号楼楼道灯不亮了 … 理事会说：换了新灯泡，亮了 … 打分
    居民 <<! 您反映的「换了新灯泡
"""


def _ticket(chat):
    (t,) = chat.tickets("居民")
    return t


@pytest.mark.parametrize(("answer", "rating"), [("5", 5), ("挺好的，暖气热了，谢谢小陈", 5), ("中中，得劲", 5),
                                                 ("[语音] 修好了 五星", 5), ("4分", 4)])
def test_answer_and_rating_in_one_message(chat, answer, rating):
    chat.lives("居民", "c3").play(FINISHED + f"""
        居民: {answer}
          < 谢谢您的评价
    """)
    t = _ticket(chat)
    assert (t.status, t.rating, t.solved) == ("closed", rating, True)


@pytest.mark.parametrize(("first", "second", "rating"), [("修好了", "5", 5), ("好了好了", "满意", 5), ("亮了", "三分", 3)])
def test_answer_then_rating_in_two_messages(chat, first, second, rating):
    chat.lives("居民", "c3").play(FINISHED + f"""
        居民: {first}
          < 已办结 … 打个分
        居民: {second}
          < 谢谢您的评价
          <! 报名
    """)
    assert _ticket(chat).rating == rating


@pytest.mark.parametrize("answer", ["1 来得太慢了，垃圾臭了三天才清", "2，师傅态度不好"])
def test_a_low_rating_with_a_comment_is_an_apology_and_a_staff_follow_up(chat, answer):
    chat.lives("居民", "c3").play(FINISHED + f"""
        居民: {answer}
          < 很抱歉 … 社区工作人员会再联系您
          <! 已受理
        员工 << 请回访居民
    """)
    t = _ticket(chat)
    assert t.status == "closed" and t.rating in (1, 2)
    assert len(chat.tickets("居民")) == 1  # the comment is no new complaint


@pytest.mark.parametrize("answer", ["还是不亮，晚上照样黑", "0 根本没修好"])
def test_not_solved_reopens_with_the_residents_words_in_the_task(chat, answer):
    chat.lives("居民", "c3").play(FINISHED + f"""
        居民: {answer}
          < 重新
        维修 << 【重办】 … 居民回访时说
    """)
    assert _ticket(chat).status == "dispatched"
