"""Issue 26 (dialogue), the rest: a pending question yields to what a message clearly means, sign-ups in
free words for several people, a withdrawal taken back, a vague callback answer asked once more, a member
who is also a resident, and 催办 counted as 督办 in the ledger and the monthly digest."""

from __future__ import annotations

import pytest

from bot.domain.clock import to_local, utcnow
from bot.services import rates
from bot.web import ledger
from tests.fixtures_dispatch import *  # noqa: F403

FIRST = """
    居民: 3号院2号楼二楼楼道灯不亮了
      < 工单号 R1001
    理事会 << R1001
"""


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
