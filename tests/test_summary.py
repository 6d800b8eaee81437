"""The 20-character problem for template fields: what is wrong and where, from rambling words."""

import pytest

from bot.domain.summary import summary

YARD = ("育英街3号院", "粮食局家属院", "粮食局")


@pytest.mark.parametrize("text, expect", [
    ("您好，俺是二中家属院嘞，俺家3号楼2单元那个楼道灯不亮了好几天了，黑咕隆咚的，麻烦恁们给看看", "3号楼2单元楼道灯不亮了"),
    ("喂 师傅 俺住5号院 门口那个井盖丢了 赶紧来看看吧", "门口井盖丢了"),
    ("你好啊，我是粮食局家属院的老王，想反映个事，我们楼下的下水道堵了，臭得很，谢谢", "下水道堵了"),
    ("社区领导你好，育英街3号院7号楼的水管漏水，楼下都淹了", "7号楼的水管漏水"),
    ("哎呀 就是那个 俺家楼上天天半夜跺脚吵得睡不着 中不中管管", "跺脚吵得睡不着"),
    ("楼道灯坏了", "楼道灯坏了"),
])
def test_the_problem_not_the_greeting(text, expect):
    s = summary(text, YARD)
    assert expect in s and len(s) <= 20
    assert not s.startswith(("您好", "喂", "你好", "俺", "我是", "哎呀"))
    assert "家属院" not in s and "3号院" not in s


def test_long_words_stay_within_the_field():
    s = summary("恁好恁好，" + "俺是老住户了，" * 5 + "俺们那个单元门口的路灯杆子歪了快倒了，孩子天天从底下过，" * 3)
    assert len(s) <= 20 and "路灯杆子歪了" in s


def test_nothing_but_a_greeting_keeps_the_words():
    assert summary("你好") == "你好"
