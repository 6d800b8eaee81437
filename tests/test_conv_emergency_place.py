"""Issue 12, item 1 with item 2: after an emergency's "which courtyard?", a new problem that names a
courtyard is a ticket of its own (the emergency's courtyard is still asked, the named one offered);
a bare place is still the answer."""

from __future__ import annotations

import pytest

from tests.conversation import sandbox_asr
from tests.fixtures_dispatch import *  # noqa: F403

EMERGENCY = """
    居民: 俺家老头子摔倒了起不来
      < 120 … 哪个院
    员工 << 【紧急】
"""


@pytest.mark.parametrize(("said", "where"), [
    ("15号院楼道灯坏了", "c15"),
    ("[语音] 十五号院三号楼楼道的灯不亮了好几天了", "c15"),
    ("水利局家属院门口的路灯不亮", "c15"),
    ("对了粮食局家属院2号楼下水道堵了", "c3"),
])
def test_a_new_problem_naming_a_courtyard_is_its_own_ticket(chat, said, where):
    chat.play(EMERGENCY + f"""
        居民: {said}
          < 工单号 … 紧急的事也在 … 吗
          <! 以后默认
    """)
    urgent, new = chat.tickets("居民")
    assert (urgent.urgent, urgent.courtyard_id) == (True, None)
    assert (new.urgent, new.courtyard_id, new.category) == (False, where, "repair")
    chat.play("""
        居民: 是的
          < R1001 已转给
    """)
    urgent, new = chat.tickets("居民")
    assert urgent.courtyard_id == where and urgent.assignee_openid and len(chat.tickets("居民")) == 2
    chat.expect_push(chat.steward.config.member(urgent.assignee_openid).name, "【紧急】 … 摔倒")


def test_the_offered_courtyard_can_be_refused_and_named(chat):
    chat.play(EMERGENCY + """
        居民: 15号院楼道灯坏了
          < 紧急的事也在
        居民: 不是，是3号院
        理事会 << 【紧急】
    """)
    urgent, new = chat.tickets("居民")
    assert (urgent.courtyard_id, new.courtyard_id) == ("c3", "c15")


@pytest.mark.parametrize("said", ["15号院", "粮食局家属院的", "[语音] 十五号院三号楼", "15号院2号楼3单元"])
def test_a_bare_place_is_still_the_answer(chat, said):
    chat.play(EMERGENCY + f"""
        居民: {said}
          < R1001 已转给
          <! 紧急的事也在
    """)
    (t,) = chat.tickets("居民")
    assert t.urgent and t.courtyard_id in ("c15", "c3") and t.assignee_openid


class TestHeardByTheSandboxAsr:
    @pytest.fixture
    def overrides(self, web_port: int) -> dict:
        return sandbox_asr(web_port)

    def test_a_spoken_new_problem_is_its_own_ticket(self, chat):
        chat.play(EMERGENCY + """
            居民: [录音] 十五号院三号楼楼道灯坏了
            居民 << 您说的是 … 工单号 … 紧急的事也在
        """)
        urgent, new = chat.tickets("居民")
        assert urgent.courtyard_id is None and new.courtyard_id == "c15"
