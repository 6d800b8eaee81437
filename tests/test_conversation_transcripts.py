"""The transcript fixture itself: an everyday repair, read as the people in it see it."""

from __future__ import annotations

import pytest

from tests.conversation import _in_order
from tests.fixtures_dispatch import *  # noqa: F403


def test_a_plain_repair_reads_like_a_chat(chat):
    chat.play("""
        居民: 3号院2号楼楼道灯不亮了，黑咕隆咚的
          < 工单号 … 3号院
        维修 << 照明|灯
        居民 << 交给
        维修: 接单 {ref}
    """.replace("{ref}", "R1001"))
    assert "R1001" in chat.reply


def test_a_wrong_expectation_fails_and_shows_the_conversation(chat):
    with pytest.raises(AssertionError) as err:
        chat.play("""
            居民: 3号院2号楼楼道灯不亮了
              < 这句话不会出现
        """)
    assert "居民: 3号院2号楼楼道灯不亮了" in str(err.value) and "↩" in str(err.value)


def test_fragments_in_order():
    assert _in_order("紧急 120 然后 工单", "120 … 工单")
    assert not _in_order("工单 然后 120", "120 … 工单")
    assert _in_order("打 119", "120|119")
