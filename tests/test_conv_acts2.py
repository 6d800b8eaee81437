"""Issue 26 (dialogue), the rest: a pending question yields to what a message clearly means, sign-ups in
free words for several people, a withdrawal taken back, a vague callback answer asked once more, a member
who is also a resident, and 催办 counted as 督办 in the ledger and the monthly digest."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.clock import to_local, utcnow
from bot.services import rates
from bot.storage.models import Event
from bot.web import ledger
from tests.fixtures_dispatch import *  # noqa: F403

FIRST = """
    居民: 3号院2号楼二楼楼道灯不亮了
      < 工单号 R1001
    理事会 << R1001
"""


def _event(steward, title, capacity=20) -> int:
    with steward.session() as s:
        e = Event(title=title, starts_at=utcnow() + timedelta(days=2), place="党群服务中心", capacity=capacity)
        s.add(e)
        s.flush()
        return e.id


# --- 6. 催办 is 督办 ---------------------------------------------------------------------------------


def _month():
    now = to_local(utcnow())
    return now.year, now.month


@pytest.mark.parametrize("urge", ["咋还没人来修啊，俺都等急了，快点吧", "[语音] 恁这咋恁慢嘞 催催恁 赶紧派人来中不中"])
def test_an_urge_counts_as_supervised_in_the_ledger_and_the_digest(chat, steward_live, urge):
    chat.lives("居民", "c3").play(FIRST + f"""
        ~ 120
        居民: {urge}
          < 催
    """)
    year, month = _month()
    with steward_live.session() as s:
        (row,) = ledger.rows(s, steward_live.config, year, month, "c3")
        month_rates = rates.month_rates(s, steward_live.config, year, month)
    assert row.overdue
    assert month_rates["c3"].overdue == 1 and month_rates[rates.ALL].overdue == 1


def test_a_second_urge_is_one_supervised_ticket_not_two(chat, steward_live):
    chat.lives("居民", "c3").play(FIRST + """
        ~ 120
        居民: 能不能快点啊，一直没人来弄，急死了
          < 催
        ~ 120
        居民: 都催过一回了还是没人来，你们到底管不管
          < 第二次催办
        员工 << 督办
    """)
    year, month = _month()
    with steward_live.session() as s:
        month_rates = rates.month_rates(s, steward_live.config, year, month)
    assert month_rates["c3"].overdue == 1


# --- 5. a member who is also a resident -----------------------------------------------------------------


@pytest.mark.parametrize("ask", ["我的工单", "俺的工单", "[语音] 我的工单"])
def test_a_member_who_reports_too_sees_her_tasks_and_her_own_reports(chat, ask):
    chat.lives("居民", "c3").play(FIRST + f"""
        维修: 5号院3号楼门口的下水道堵了，污水流了一地
          < 工单号 R1002
        维修: {ask}
          < 1 件任务 … R1001 … 您自己报的 … R1002
    """)


def test_a_member_without_own_reports_sees_only_tasks(chat):
    chat.lives("居民", "c3").play(FIRST + """
        维修: 我的工单
          < R1001
          <! 您自己报的
    """)


# --- 1. a pending question yields to a message that clearly means something else --------------------


@pytest.mark.parametrize("ask", ["社区卫生服务站几点开门", "[语音] 那个卫生服务站 几点开门啊", "卫生站星期天开门不开门"])
def test_a_question_while_asked_which_courtyard_is_answered_and_the_courtyard_asked_again(chat, ask):
    chat.play(f"""
        居民: 楼道灯坏了，黑咕隆咚的
          < 哪个院
        居民: {ask}
          < 卫生服务站 … 楼道灯坏了 … 哪个院
          <! 没认出
        居民: 3号院
          < 工单号 R1001
    """)
    assert chat.tickets("居民")[0].courtyard_id == "c3"


@pytest.mark.parametrize("ask", ["有啥活动", "[语音] 最近社区有啥活动没有", "这几天有什么活动"])
def test_asking_for_activities_while_asked_which_courtyard_lists_them(chat, steward_live, ask):
    _event(steward_live, "太极拳晨练")
    chat.play(f"""
        居民: 下水道堵了，水漫出来了
          < 哪个院
        居民: {ask}
          < 太极拳晨练 … 下水道堵了 … 哪个院
          <! 没认出
        居民: 粮食局家属院
          < 工单号 R1001
    """)


def test_a_question_after_a_report_with_an_open_ticket_is_answered_not_added(chat):
    chat.lives("居民", "c3").play(FIRST + """
        居民: 居委会在哪儿办公，几点上班
          < 服务中心
          <! 是补充工单
          <! 工单号 R1002
    """)
    assert len(chat.tickets("居民")) == 1


def test_the_greeting_question_is_not_asked_again_after_a_question(chat):
    chat.play("""
        居民: [关注扫码]
          < 哪个院
        居民: 派出所户籍室几点上班
          < 派出所
          <! 哪个院
          <! 没认出
    """)


# --- 4. a vague callback answer is asked once more, plainly ------------------------------------------

FINISHED = """
    居民: 3号院2号楼楼道灯不亮了，黑咕隆咚的
    维修: 接单 R1001
    维修: 办结 R1001 换了新灯泡，亮了
    居民 << 打分
"""


@pytest.mark.parametrize(("vague", "answer", "status", "solved"), [
    ("还行吧", "1", "closed", True), ("差不多", "0", "dispatched", False), ("中 还中吧", "修好了", "closed", True),
    ("[语音] 嗯 凑合吧", "没修好", "dispatched", False),
])
def test_a_vague_callback_answer_is_asked_once_more(chat, vague, answer, status, solved):
    chat.lives("居民", "c3").play(FINISHED + f"""
        居民: {vague}
          < 修好了吗？回 1 修好了，0 没修好
          <! 谢谢您的评价
        居民: {answer}
    """)
    (t,) = chat.tickets("居民")
    assert (t.status, t.solved, t.rating) == (status, solved, None)


@pytest.mark.parametrize(("first", "second"), [("还行吧", "差不多吧"), ("[语音] 中 还中吧", "就那样呗")])
def test_a_second_vague_answer_is_solved_with_no_rating(chat, first, second):
    chat.lives("居民", "c3").play(FINISHED + f"""
        居民: {first}
          < 修好了吗
        居民: {second}
          < 按修好了登记
          <! 修好了吗
    """)
    (t,) = chat.tickets("居民")
    assert (t.status, t.solved, t.rating) == ("closed", True, None)


@pytest.mark.parametrize(("said", "rating"), [("4分，就是师傅来得有点晚", 4), ("⭐⭐⭐ 修好了，不过等了三天", 3),
                                              ("[语音] 三星吧 修是修好了 就是态度不咋好", 3)])
def test_a_rating_with_a_complaint_counts_and_keeps_the_complaint(chat, steward_live, said, rating):
    from sqlalchemy import select

    from bot.storage.models import TicketEvent

    chat.lives("居民", "c3").play(FINISHED + f"""
        居民: {said}
          < 意见已经记下
    """)
    (t,) = chat.tickets("居民")
    assert (t.status, t.solved, t.rating) == ("closed", True, rating)
    with steward_live.session() as s:
        notes = [e.note for e in s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id,
                                                                     TicketEvent.kind == "note"))]
    assert any(n and "居民评价时反映" in n for n in notes)


# --- 2. sign-ups in free words, for several people -----------------------------------------------------


def _places(steward, eid):
    from sqlalchemy import select

    from bot.storage.models import Registration

    with steward.session() as s:
        return sorted((r.guest, r.status) for r in s.scalars(select(Registration).where(Registration.event_id == eid)))


@pytest.mark.parametrize("said", ["给我报个太极拳", "[语音] 恁给俺报个太极拳呗", "太极拳那个 帮我报上"])
def test_signing_up_for_a_named_activity_in_free_words(chat, steward_live, said):
    _event(steward_live, "重阳节包饺子")
    eid = _event(steward_live, "太极拳晨练")
    chat.lives("居民", "c3").play(f"""
        居民: {said}
          < 报名成功 … 太极拳晨练
    """)
    assert _places(steward_live, eid) == [("", "registered")]


@pytest.mark.parametrize(("said", "guests"), [
    ("太极拳我和我老伴都去", ["老伴"]), ("太极拳报两个人", ["同行2"]), ("[语音] 俺跟俺闺女俩都去 太极拳", ["闺女"]),
    ("太极拳俺仨都去", ["同行2", "同行3"]),
])
def test_several_people_take_that_many_places(chat, steward_live, said, guests):
    eid = _event(steward_live, "太极拳晨练")
    chat.lives("居民", "c3").play(f"""
        居民: {said}
          < 报名成功 … 也报上了
    """)
    assert _places(steward_live, eid) == sorted([("", "registered"), *((g, "registered") for g in guests)])


@pytest.mark.parametrize("cancel", ["俺老伴去不了了", "[语音] 俺老伴那天有事 去不了了", "老伴不去了"])
def test_cancelling_one_of_them_cancels_one_not_all(chat, steward_live, cancel):
    eid = _event(steward_live, "太极拳晨练")
    chat.lives("居民", "c3").play(f"""
        居民: 太极拳我和我老伴都去
          < 报名成功
        居民: {cancel}
          < 已取消老伴
    """)
    assert _places(steward_live, eid) == [("", "registered"), ("老伴", "cancelled")]


# --- 3. a withdrawal taken back -------------------------------------------------------------------------

WITHDRAWN = FIRST + """
    维修: 接单 R1001
    居民: 不用来了，俺自己换了个灯泡
      < 已撤销
    维修 << R1001
"""


@pytest.mark.parametrize("back", ["算了还是来修吧", "又坏了", "[语音] 哎 那灯又不亮了 还是得恁来修", "刚才撤了的那个 还是派人来吧"])
def test_taking_a_withdrawal_back_reopens_that_ticket_and_tells_its_member(chat, back):
    chat.lives("居民", "c3").play(WITHDRAWN + f"""
        ~ 30
        居民: {back}
          < R1001 … 重新打开
          <! 工单号 R1002
        维修 << R1001
    """)
    (t,) = chat.tickets("居民")
    assert t.status in ("dispatched", "accepted") and t.close_reason is None and t.assignee_openid == "o-sample-c3-2"


@pytest.mark.parametrize("off", ["那个事算了吧，不麻烦恁们了", "[语音] 行了 那灯的事就这样吧 恁不用管了"])
def test_a_withdrawal_in_words_the_phrases_miss_is_read_and_its_holder_told(chat, off):
    chat.lives("居民", "c3").play(FIRST + f"""
        ~ 1500
        居民: {off}
          < 已撤销
          <! 工单号
        理事会 << R1001
    """)
    assert chat.tickets("居民")[0].close_reason == "withdrawn"


def test_another_problem_after_a_withdrawal_is_a_ticket_of_its_own(chat):
    chat.lives("居民", "c3").play(WITHDRAWN + """
        ~ 30
        居民: 3号院5号楼门口垃圾又堆满了，没人清
          < 工单号 R1002
    """)
    assert [t.status for t in chat.tickets("居民")] == ["closed", "dispatched"]


def test_a_withdrawal_is_not_taken_back_days_later(chat):
    chat.lives("居民", "c3").play(WITHDRAWN + """
        ~ 5760
        居民: 2号楼楼道灯又坏了
          < 工单号 R1002
    """)
    assert len(chat.tickets("居民")) == 2


@pytest.mark.parametrize("half", ["凑合吧，就是一到晚上还一闪一闪的", "[语音] 好是好点了 可那灯还是时亮时不亮",
                                  "嗯 差不多吧 就是二楼那个还是暗乎乎的"])
def test_a_half_solved_callback_answer_reaches_the_member_and_is_asked_plainly(chat, half):
    chat.lives("居民", "c3").play(FINISHED + f"""
        居民: {half}
          < 修好了吗？回 1 修好了，0 没修好
          <! 谢谢您的评价
        维修 << 居民补充
        居民: 0
    """)
    (t,) = chat.tickets("居民")
    assert (t.status, t.solved) == ("dispatched", False)
