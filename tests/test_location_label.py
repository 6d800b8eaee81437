"""A location message: WeChat's place name (`Label`) wins when it names a courtyard near the point;
without one the nearest courtyard; a far-off point is outside the community. Through the real webhook."""

from __future__ import annotations

import pytest

from bot.config import load
from handlers.location import place
from tests.conftest import ROOT

COURTYARDS = load(ROOT / "config.example.toml").courtyards


@pytest.mark.parametrize(("lat", "lon", "label", "expected"), [
    (34.74, 113.62, "育英街5号院", "c5"),           # the issue: the point is nearer 1号院, the label says 5号院
    (34.7466, 113.6253, "二中家属院(育英街)", "c5"),  # an alias in WeChat's wording
    (34.7478, 113.6254, "", "c3"),                  # no label: the nearest
    (34.7478, 113.6254, "郑州市金水区某某路", "c3"),  # a label naming no courtyard: the nearest
    (39.90, 116.40, "北京市朝阳区某小区5号院", None),  # far off: a common name does not win
    (39.90, 116.40, "", None),
])
def test_place(lat, lon, label, expected):
    assert place(lat, lon, label, COURTYARDS) == expected


def test_the_webhook_answers_with_the_labelled_courtyard(wechat):
    reply = wechat.location("o-label-resident-1", 34.74, 113.62, label="育英街5号院").text
    assert "育英街5号院" in reply and "1号院" not in reply


def test_a_far_off_point_is_outside_the_community(wechat):
    reply = wechat.location("o-label-resident-2", 39.90, 116.40, label="北京市朝阳区").text
    assert "不在" in reply and "育英街社区" in reply
