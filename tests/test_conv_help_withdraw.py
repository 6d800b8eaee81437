"""Issue 12, items 3, 4 (help) and 10: withdrawal in natural words, the usage text, the catch-all."""

from __future__ import annotations

import pytest

from tests.fixtures_dispatch import *  # noqa: F403


@pytest.mark.parametrize("said", ["帮助", "怎么用", "使用说明", "这咋用啊", "[语音] 怎么用"])
def test_help_is_three_lines_and_opens_nothing(chat, said):
    chat.lives("居民", "c3").play(f"""
        居民: {said}
          < 哪个院 … 我的工单 … 转人工 … 119
        理事会 <<!
        员工 <<!
    """)
    assert chat.reply.count("\n") == 2 and chat.tickets("居民") == []


@pytest.mark.parametrize("said", ["不用了，已经好了", "马桶俺自己通开了，不用来了", "[语音] 那个不用修了 俺自己找人弄好了",
                                  "中了中了 别来了"])
def test_withdrawal_in_natural_words_tells_the_member(chat, said):
    chat.lives("居民", "c3").play(f"""
        居民: 3号院4号楼卫生间马桶堵了
          < 工单号
        理事会 << 马桶
        居民: {said}
          < 已撤销 … 不用来了
          <! 没看懂
        理事会 << 已撤回
    """)
    (t,) = chat.tickets("居民")
    assert (t.status, t.close_reason) == ("closed", "withdrawn")


def test_withdrawal_with_two_open_tickets_picks_by_words_or_asks(chat):
    chat.lives("居民", "c3").play("""
        居民: 3号院4号楼卫生间马桶堵了
        居民: 3号院4号楼楼道灯不亮
        居民: 马桶俺自己通开了，不用来了
          < R1001 … 已撤销
        居民: 3号院6号楼门口垃圾没人清
        居民: 算了，不用麻烦了
          < 是要撤销 … R1003 … 回 1
        居民: 2
          < 继续办
        居民: 不用来了
          < 是要撤销
        居民: 1
          < R1003 … 已撤销
    """)
    status = {t.ref: t.status for t in chat.tickets("居民")}
    assert status == {"R1001": "closed", "R1002": "dispatched", "R1003": "closed"}


@pytest.mark.parametrize("said", ["嗯呐", "今天天气咋样", "你是机器人吧", "哈哈哈哈哈"])
def test_the_catch_all_says_it_did_not_understand(chat, said):
    chat.lives("居民", "c3").play(f"""
        居民: {said}
          <! 收到了
          <! 已受理
    """)
    if "没看懂" in chat.reply:  # the classifier may read some as a question; then nothing is implied done
        assert chat.reply.count("\n") <= 2 and "什么也没登记" in chat.reply
    assert chat.tickets("居民") == []


def test_the_courtyard_question_fits_a_phone_and_0_shows_all(chat):
    chat.play("""
        居民: 楼道里的灯坏了，晚上黑乎乎的看不见
          < 哪个院 … 回 0 看全部
          <! 19号院
        居民: 0
          < 1  育英街1号院 … 19  育英街19号院
        居民: 3
          < 工单号 … 3号院
    """)
    assert len(chat.tickets("居民")) == 1
