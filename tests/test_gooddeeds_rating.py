"""好人好事: the rating a resident typed in front of their thanks is not part of the quote."""

from __future__ import annotations

import pytest

from bot.config import load
from bot.domain import gooddeeds
from bot.domain.public_scrub import scrub
from tests.conftest import ROOT

MEMBERS = load(ROOT / "config.example.toml").members


def quote(said: str) -> str:
    deed = gooddeeds.recognise(said, MEMBERS)
    assert deed is not None, said
    return gooddeeds.printable(said, deed, MEMBERS, residents=[])


@pytest.mark.parametrize(("said", "quoted"), [
    ("5 陈卫东师傅修得很好，谢谢", "某某师傅修得很好，谢谢"),
    ("5分，谢谢陈卫东跑了好几趟", "谢谢某某跑了好几趟"),
    ("五星！感谢对门的邻居帮忙", "感谢对门的邻居帮忙"),
    ("4 多亏对门的邻居", "多亏对门的邻居"),
])
def test_the_rating_is_not_quoted(said: str, quoted: str) -> None:
    assert quote(said) == quoted


@pytest.mark.parametrize("said", ["5号院的邻居真是好人，谢谢", "3楼的邻居帮了大忙，谢谢", "一位邻居帮了大忙，感谢"])
def test_numbers_that_are_places_stay(said: str) -> None:
    assert quote(said) == scrub(said, limit=80, names=[m.name for m in MEMBERS if not m.digest_consent])
