"""Issue 26 (dialogue): what people mean, not the wordings seen — progress questions and urging (催办)
in plain words answer for the resident's tickets and press them; they never open a ticket."""

from __future__ import annotations

import pytest

from tests.fixtures_dispatch import *  # noqa: F403

FIRST = """
    居民: 3号院2号楼二楼楼道灯不亮了
      < 工单号 R1001
    理事会 << R1001
"""


@pytest.mark.parametrize("ask", ["帮俺瞅瞅俺前两天报嘞那个事弄哪儿了", "我之前说的那个灯的事现在啥情况",
                                 "[语音] 恁给俺查查 俺反映那事 有信儿没有"])
def test_progress_in_plain_words_answers_and_opens_nothing(chat, ask):
    chat.lives("居民", "c3").play(FIRST + f"""
        ~ 90
        居民: {ask}
          < R1001 … 已派给
          <! 工单号 R1002
          <! 已受理
    """)
    assert len(chat.tickets("居民")) == 1


def test_progress_by_ref_names_that_ticket(chat):
    chat.lives("居民", "c3").play(FIRST + """
        ~ 90
        居民: 3号院5号楼门口垃圾堆了一个礼拜没人清
          < 工单号 R1002
        ~ 90
        居民: 请问R1002现在弄到啥程度了
          < R1002
          <! R1001
          <! 工单号 R1003
    """)


@pytest.mark.parametrize("urge", ["这都好几天了咋还没见人影啊，到底有人管没人管", "[语音] 恁这咋恁慢嘞 催催恁 赶紧派人来中不中",
                                  "能不能快点啊，一直没人来弄，急死了"])
def test_an_urge_prods_the_member_and_says_who_has_it(chat, urge):
    chat.lives("居民", "c3").play(FIRST + f"""
        ~ 120
        居民: {urge}
          < R1001 … 负责 … 催
          <! 工单号 R1002
        理事会 << 居民催办
        组长 <<!
    """)
    assert len(chat.tickets("居民")) == 1


def test_a_second_urge_goes_to_the_chair_and_staff(chat):
    chat.lives("居民", "c3").play(FIRST + """
        ~ 120
        居民: 咋还没人来修啊，俺都等急了，快点吧
          < 催
        理事会 << 居民催办
        ~ 120
        居民: 都催过一回了还是没人来，你们到底管不管
          < 第二次催办 … 会长
        组长 << 督办
        员工 << 督办
    """)
    assert len(chat.tickets("居民")) == 1


FINISHED = """
    居民: 3号院2号楼楼道灯不亮了，黑咕隆咚的
    维修: 接单 R1001
    维修: 办结 R1001 换了新灯泡，亮了
    居民 << 打分
"""


@pytest.mark.parametrize(("stars", "rating"), [("⭐⭐⭐⭐⭐", 5), ("★★★★ 师傅挺好", 4), ("修好了⭐⭐⭐⭐⭐", 5)])
def test_a_rating_in_stars_is_kept(chat, stars, rating):
    chat.lives("居民", "c3").play(FINISHED + f"""
        居民: {stars}
          <! 看不懂
    """)
    (t,) = chat.tickets("居民")
    assert (t.status, t.rating, t.solved) == ("closed", rating, True)


@pytest.mark.parametrize("says", ["中，这个活儿俺接了，下午过去瞅瞅", "[语音] 行 俺去弄 这事交给俺吧"])
def test_a_member_accepts_in_his_own_words(chat, says):
    chat.lives("居民", "c3").play(f"""
        居民: 3号院2号楼楼道灯不亮了
        维修 << R1001
        维修: {says}
          < 已接单 R1001
        居民 << 已接单
    """)
    assert chat.tickets("居民")[0].status == "accepted"


@pytest.mark.parametrize("says", ["灯泡俺给换上了，这会儿亮堂堂的", "[语音] 弄利索了 灯已经修好了"])
def test_a_member_finishes_in_his_own_words(chat, says):
    chat.lives("居民", "c3").play(f"""
        居民: 3号院2号楼楼道灯不亮了
        维修: 接单 R1001
        维修: {says}
          < R1001
        居民 << 打分
    """)
    assert chat.tickets("居民")[0].status == "awaiting_callback"


def test_a_member_hands_back_in_his_own_words(chat):
    chat.lives("居民", "c3").play("""
        居民: 3号院2号楼楼道灯不亮了
        维修 << R1001
        维修: 这个不归俺们院管，是供电所的事，恁退回去吧
          < R1001
    """)
    assert chat.tickets("居民")[0].status == "triage"


@pytest.mark.parametrize("says", ["上去看了，灯座烧了，得去买个新的，明儿换上", "[语音] 俺瞅过了 线有点老化 过两天叫电工来弄",
                                  "已经跟物业说了，他们下午派人来"])
def test_a_members_progress_in_his_own_words_is_a_note_on_his_task_not_a_ticket(chat, says):
    chat.lives("居民", "c3").play(f"""
        居民: 3号院2号楼楼道灯不亮了
        维修: 接单 R1001
        维修: {says}
          < R1001
          <! 工单号 R1002
        居民 << R1001
    """)
    assert len(chat.tickets("居民")) == 1 and chat.tickets("维修") == []


@pytest.mark.parametrize("says", ["3号院2号楼水管子漏了 恁赶紧叫人来看看", "[语音] 俺是三号院嘞 厨房下水道堵了 恁叫个人来瞧瞧"])
def test_asking_for_someone_to_come_and_fix_it_is_a_report_not_a_person(chat, says):
    chat.lives("居民", "c3").play(f"""
        居民: {says}
          < 工单号 R1001
          <! 工作人员来跟您说
    """)


@pytest.mark.parametrize("other", ["另外俺家门口那个垃圾桶满了好几天没人倒", "[语音] 还有个事 俺楼下那个下水道堵了 臭得很"])
def test_another_problem_soon_after_is_a_ticket_of_its_own(chat, other):
    chat.lives("居民", "c3").play(FIRST + f"""
        居民: {other}
          < 工单号 R1002
          <! 是补充工单
    """)
    assert len(chat.tickets("居民")) == 2
