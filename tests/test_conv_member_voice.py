"""Issue 12, item 7: a council member's voice is read like his typed words — his commands, with or
without the ref ("灯泡换好了" about his one task), as WeChat's old Recognition and as the sandbox ASR
hears a voice today."""

from __future__ import annotations

import pytest

from tests.conversation import sandbox_asr
from tests.fixtures_dispatch import *  # noqa: F403

TASK = """
    居民: 3号院2号楼楼道灯不亮了
    维修 << R1001
"""


@pytest.mark.parametrize("says", ["[语音] R1001 接了", "[语音] 接单r1001", "[语音] r幺零零幺我接了", "[语音] 这个我接了",
                                  "我接了"])
def test_a_members_spoken_accept_takes_the_task(chat, says):
    chat.lives("居民", "c3").play(TASK + f"""
        维修: {says}
          < 已接单 R1001
          <! 没看懂
        居民 << 已接单
    """)
    assert chat.tickets("居民")[0].status == "accepted"


@pytest.mark.parametrize("says", ["[语音] 灯泡换好了", "[语音] 那个灯俺给换好了", "灯泡换好了", "[语音] 办结r1001灯泡换了"])
def test_a_members_spoken_finish_closes_his_one_task(chat, says):
    chat.lives("居民", "c3").play(TASK + f"""
        维修: 接单 R1001
        维修: {says}
          < R1001 … 已办结
          <! 没看懂|报修
        居民 << R1001
    """)
    (t,) = chat.tickets("居民")
    assert t.status == "awaiting_callback" and t.assignee_openid == chat.openid("维修")


def test_with_two_tasks_a_bare_done_asks_which(chat):
    chat.lives("居民", "c3").lives("邻居", "c3").lives("老伴", "c3").play("""
        居民: 3号院2号楼楼道灯不亮了
        邻居: 3号院7号楼单元门口的灯坏了
        老伴: 3号院9号楼下水道堵了
        居民: 3号院大门口垃圾三天没人清了
        邻居: 3号院3号楼楼顶漏水了
    """)
    held: dict[str, list] = {}
    for t in chat.tickets("居民") + chat.tickets("邻居") + chat.tickets("老伴"):
        held.setdefault(t.assignee_openid, []).append(t)
    openid, tasks = max(held.items(), key=lambda kv: len(kv[1]))  # five tasks, four members
    assert len(tasks) >= 2
    name = next(n for n, o in chat.people.items() if o == openid)
    chat.say(name, "[语音] 修好了")
    assert "是哪一件" in chat.reply and all(t.ref in chat.reply for t in tasks), chat.reply
    assert "没看懂" not in chat.reply
    assert all(t.status == "dispatched" for t in chat.tickets("居民") + chat.tickets("邻居"))


class TestHeardByTheSandboxAsr:
    @pytest.fixture
    def overrides(self, web_port: int) -> dict:
        return sandbox_asr(web_port)

    @pytest.mark.parametrize("says", ["R1001 接了", "r1001接单", "接单 R一零零一"])
    def test_accept_spoken(self, chat, says):
        chat.lives("居民", "c3").play(TASK + f"""
            维修: [录音] {says}
              < 正在听取
            维修 << 您说的是 … 已接单 R1001
            居民 << 已接单
        """)
        assert chat.tickets("居民")[0].status == "accepted"

    @pytest.mark.parametrize("says", ["灯泡换好了", "灯换好了已经亮了"])
    def test_finish_spoken_without_the_ref(self, chat, says):
        chat.lives("居民", "c3").play(TASK + f"""
            维修: 接单 R1001
            维修: [录音] {says}
            维修 << 您说的是 … R1001 … 已办结
            居民 << R1001
        """)
        assert chat.tickets("居民")[0].status == "awaiting_callback"
        assert chat.tickets("维修") == []  # his words opened no ticket of his own
