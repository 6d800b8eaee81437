"""Issue 26, item 10: a sign-up says back what it understood — the activity and the people — even
when no such activity is open (then it says so, and where news of activities comes)."""

from __future__ import annotations

import pytest

from tests.fixtures_dispatch import *  # noqa: F403


@pytest.mark.parametrize(("said", "shown"), [
    ("给俺报个名 那个剪纸班", "剪纸班"),
    ("[语音] 俺想参加 下礼拜那个包饺子比赛 中不中", "包饺子比赛"),
    ("我和我老伴都想去听养生讲座", "养生讲座"),
])
def test_a_sign_up_for_an_activity_that_is_not_open_names_it(chat, said, shown):
    chat.lives("居民", "c3").play(f"""
        居民: {said}
          < {shown} … 报不了名
          <! 工单号
    """)
    assert chat.tickets("居民") == []


@pytest.mark.parametrize(("said", "shown"), [("俺叫赵德胜，报名参加剪纸班", "赵德胜"),
                                             ("帮俺报两个人 剪纸班", "2 人"),
                                             ("[语音] 俺跟俺老伴都去 俺叫吴长海 她叫郑玉梅", "吴长海、郑玉梅"),
                                             ("给冯桂香也报一个剪纸班", "冯桂香")])
def test_the_people_are_said_back(chat, said, shown):
    chat.lives("居民", "c3").play(f"""
        居民: {said}
          < {shown}
    """)


@pytest.mark.parametrize(("said", "shown"), [("俺叫孟庆丰", "孟庆丰"), ("[语音] 我是韩淑芬 手机号13698765432", "韩淑芬")])
def test_a_name_given_on_its_own_is_kept_and_said_back(chat, said, shown):
    chat.lives("居民", "c3").play(f"""
        居民: {said}
          < {shown}
          <! 没看懂
    """)
