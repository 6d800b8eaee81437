"""Danger words and their easy negations (pure, no I/O)."""

from __future__ import annotations

import pytest

from handlers.urgency import danger_words, is_urgent

URGENT = [
    "楼道里漏电了",
    "3号楼配电箱漏电，摸着麻手",
    "开关麻人，俺不敢碰",
    "路灯杆带电 小孩差点碰到",
    "单元门口电线掉下来了",
    "大风把电线刮断了耷拉到地上",
    "电线掉到地上了还在打火花",
    "楼下车棚着火了！！快来人",
    "电动车起火了",
    "电瓶车着了",
    "楼道里冒烟了",
    "二楼窗户冒黑烟",
    "楼道里有股燃气味",
    "一进单元就闻到煤气味",
    "天然气味儿很重",
    "厨房好像煤气泄漏了",
    "有人晕倒在楼道里",
    "老人摔倒了起不来",
    "院里有个老头晕倒了",
    "楼道飞线充电太危险",
    "二楼有人飞线给电动车充电",
    "有人从楼上扯线下来充电，飞线乱拉",
    "有人在楼道里给电动车充电",
    "3号楼有人从窗户拉电线下来充电",
    "电梯困人了",
    "有人被困在电梯里",
    "围墙要塌了",
    "喂 你好 俺们院那个 就是 楼道那个电线 它冒火星子",
    "是不是漏电了，一摸水管就麻",
    "有没有人管管 楼道里一股烟",
    "快来人啊 着火了",
]

NOT_URGENT = [
    "没有漏电，就是灯不亮",
    "检查过了不漏电",
    "已经不冒烟了，就是墙熏黑了需要刷一下",
    "没闻到燃气味",
    "楼道灯不亮",
    "下水道堵了",
    "电线老化，怕着火",
    "楼道堆满杂物，担心起火",
    "消防演练什么时候报名",
    "想报名参加火灾逃生知识讲座",
    "楼道里充电桩坏了",
    "不让带电动车进电梯",
    "我都气炸了，楼上天天吵",
    "停电人都热坏了",
    "谢谢",
    "",
]


@pytest.mark.parametrize("text", URGENT)
def test_urgent(text: str) -> None:
    assert is_urgent(text), text


@pytest.mark.parametrize("text", NOT_URGENT)
def test_not_urgent(text: str) -> None:
    assert not is_urgent(text), (text, danger_words(text))


def test_full_width_and_spaces() -> None:
    assert is_urgent("漏 电 了！")
    assert is_urgent("燃气　味")


# Phones set to traditional characters: the one normalisation folds them before the danger words.
TRADITIONAL_URGENT = ["漏電了", "聞到燃氣味", "樓道裡有人飛線充電", "樓下車棚著火了", "電梯裡困人了", "有人暈倒了",
                      "廚房煤氣洩漏了"]


@pytest.mark.parametrize("text", TRADITIONAL_URGENT)
def test_traditional_characters_are_urgent(text: str) -> None:
    assert is_urgent(text), text


@pytest.mark.parametrize("text", ["沒有漏電，就是燈不亮", "沒聞到燃氣味", "電線老化，怕著火"])
def test_traditional_negations_still_hold(text: str) -> None:
    assert not is_urgent(text), (text, danger_words(text))


@pytest.mark.parametrize("text", ["i smell gas in the stairwell", "there is a fire in the bike shed",
                                  "the e-bike battery caught fire downstairs"])
def test_english_danger(text: str) -> None:
    assert is_urgent(text), (text, danger_words(text))
