"""Issue 12's list of things seen, the ones no other transcript covers: each as the people in it
would meet it again (a person fainting in the yard, a withdrawal after the member accepted, a spoken
new problem, a member's full-width punctuation) and the reply limits (2048 bytes, one phone screen)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.clock import utcnow
from bot.storage.models import Event
from tests.conversation import MAX_REPLY_BYTES, PHONE_SCREEN_LINES, sandbox_asr
from tests.fixtures_dispatch import *  # noqa: F403


@pytest.mark.parametrize("said", ["院里有个老人晕倒了", "[语音] 快来人啊 院里有个老太太晕过去了", "单元门口有个大爷倒地不起"])
def test_someone_fainting_in_the_yard_is_an_emergency_not_a_repair(chat, said):
    chat.lives("居民", "c3").play(f"""
        居民: {said}
          < 120 … 紧急
          <! 报修
          <! 有照片的话
        员工 << 【紧急】
        理事会 << 【紧急】
    """)
    (t,) = chat.tickets("居民")
    assert t.urgent


@pytest.mark.parametrize("said", ["不用了，已经好了", "[语音] 不用来了 俺自己弄好了"])
def test_withdrawing_after_the_member_accepted_tells_him(chat, said):
    chat.lives("居民", "c3").play(f"""
        居民: 3号院4号楼卫生间马桶堵了
        维修: 接单 R1001
        居民 << 已接单
        居民: {said}
          < 已撤销
        维修 << 已撤回 … R1001 已撤销，不用再去了
    """)
    (t,) = chat.tickets("居民")
    assert (t.status, t.close_reason) == ("closed", "withdrawn")


class TestHeardByTheSandboxAsr:
    @pytest.fixture
    def overrides(self, web_port: int) -> dict:
        return sandbox_asr(web_port)

    @pytest.mark.parametrize("said", ["五号楼门口下水道堵了 污水都冒出来了", "三号院六号楼门口的垃圾三天没人清了"])
    def test_a_spoken_new_problem_is_a_new_ticket_not_an_attachment(self, chat, said):
        chat.lives("居民", "c3").play(f"""
            居民: 3号院2号楼楼道灯不亮了
              < 工单号 R1001
            居民: [录音] {said}
            居民 << 您说的是 … 工单号 R1002
        """)
        first, second = chat.tickets("居民")
        assert "灯" in first.text and "灯" not in second.text


def test_a_members_full_width_punctuation_reaches_the_resident_as_he_wrote_it(chat):
    chat.lives("居民", "c3").play("""
        居民: 3号院2号楼楼道灯不亮了
        维修: 接单 R1001
        维修: 进展 R1001 已联系电工，明天上午来换！
        居民 << 已联系电工，明天上午来换！
    """)


def test_a_long_event_list_fits_one_reply_and_one_screen(chat, steward_live):
    with steward_live.session() as s:
        for i in range(14):
            s.add(Event(title=f"第{i + 1}期老年人智能手机使用培训班（子女陪同更好）", capacity=30,
                        starts_at=utcnow() + timedelta(days=2 + i), place="育英街社区党群服务中心三楼大会议室"))
    chat.lives("居民", "c3").play("""
        居民: 有啥活动
          < 最近的活动 … 报名
    """)
    assert len(chat.reply.encode()) <= MAX_REPLY_BYTES and chat.reply.count("\n") < PHONE_SCREEN_LINES


def test_a_long_task_list_fits_one_screen(chat):
    chat.lives("居民", "c3").lives("邻居", "c3").lives("老伴", "c3")
    for who in ("居民", "邻居", "老伴"):
        for building in (2, 4, 6, 8):
            chat.say(who, f"3号院{building}号楼{who}家门口的下水道堵了，污水冒了一地")
    listed = 0
    for member in chat.steward.config.council("c3"):
        chat.say(member.name, "我的任务")
        assert chat.reply.count("\n") < PHONE_SCREEN_LINES and len(chat.reply.encode()) <= MAX_REPLY_BYTES
        listed += chat.reply.count("R10")
    assert listed == 12  # every task is on its member's list (none lost to the screen's limit)
