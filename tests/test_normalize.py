"""The one normalisation (handlers.normalize) and the Latin-letter layer (handlers.latin): pure."""

from __future__ import annotations

import pytest

from handlers.latin import gloss_english, is_pinyin_text, segment, syllables
from handlers.normalize import canonical, cn_to_int, compact, simplify
from handlers.text import bare, norm


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("糧食局家屬院樓道燈壞了", "粮食局家属院楼道灯坏了"),
        ("漏電了", "漏电了"),
        ("聞到燃氣味", "闻到燃气味"),
        ("樓道裡有人飛線充電", "楼道里有人飞线充电"),
        ("社區衛生服務站週末開門嗎", "社区卫生服务站周末开门吗"),
        ("楼道灯坏了", "楼道灯坏了"),  # simplified text is left as it is
    ],
)
def test_traditional_to_simplified(text: str, expected: str) -> None:
    assert simplify(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("３号院ＡＢＣ", "3号院abc"),  # full-width → half-width, lower case
        ("十一号院二单元三楼", "11号院2单元3楼"),
        ("育英街十九号院", "育英街19号院"),
        ("三院那个电梯", "3院那个电梯"),
        ("百货楼院", "百货楼院"),  # 百 of 百货 is no hundred
        ("堆了一院子", "堆了一院子"),  # a yard full, not courtyard 1
        ("楼到灯不亮", "楼道灯不亮"),  # voice-recognition slips
        ("俺们院就木有", "俺们院就没有"),
        ("著火了", "着火了"),  # traditional 著 where simplified writes 着
        ("  楼道\t灯\n坏了  ", "楼道 灯 坏了"),
    ],
)
def test_canonical(text: str, expected: str) -> None:
    assert canonical(text) == expected


def test_compact_norm_and_bare_share_the_normalisation() -> None:
    assert compact("樓道 燈壞了") == norm("樓道 燈壞了") == "楼道灯坏了"
    assert bare("【漏電】！！") == "漏电"
    assert canonical("") == "" and norm(None) == ""  # type: ignore[arg-type]


@pytest.mark.parametrize(("s", "n"), [("3", 3), ("十三", 13), ("二十", 20), ("五零一", 501), ("一百零八", 108), ("x", None)])
def test_cn_to_int(s: str, n: int | None) -> None:
    assert cn_to_int(s) == n


def test_pinyin_segmentation() -> None:
    assert segment("zenmeban") == ("zen", "me", "ban")
    assert segment("budongchan") == ("bu", "dong", "chan")
    assert segment("stairwell") is None
    assert is_pinyin_text("bu dong chan zheng zen me ban")
    assert not is_pinyin_text("the stairwell light on 3rd floor is broken pls fix")
    assert syllables("louti deng 3楼 huai le") == [["lou", "ti", "deng"], ["huai", "le"]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("louti deng huai le, 5 hao yuan 2 hao lou", "5号院 2号楼"),
        ("shi san hao yuan ting shui le", "13号院"),
        ("wu hao yuan san dan yuan", "5号院 3单元"),
    ],
)
def test_pinyin_place_numbers(text: str, expected: str) -> None:
    assert expected in canonical(text)


def test_english_is_glossed() -> None:
    out = canonical("the stairwell light on 3rd floor is broken pls fix")
    for word in ("楼道", "灯", "3楼", "坏了", "修"):
        assert word in out, out
    assert "17号院" in canonical("the heating in my flat is not warm, courtyard 17, building 1")
    assert "15号院" in canonical("The street lamp near the gate of No.15 courtyard has been off for days.")
    assert "燃气味" in gloss_english("i smell gas in the kitchen")
    assert gloss_english("bu dong chan zheng") == "bu dong chan zheng"  # pinyin is not English


def test_english_number_words_in_places() -> None:
    out = canonical("the gate of courtyard three is broken, building two")
    assert "3号院" in out and "2号楼" in out
