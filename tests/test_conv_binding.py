"""Issue 12, item 5: binding and corrections — "我是X院的", the unit, "不对，是15号院", a declined
default not asked again, and a pending question owning the digits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.domain.clock import utcnow
from bot.services.inbound import intake
from bot.storage.models import Event, Resident
from tests.fixtures_dispatch import *  # noqa: F403


def _resident(steward, openid):
    with steward.session() as s:
        return s.scalars(select(Resident).where(Resident.openid == openid)).one()


@pytest.mark.parametrize(("said", "courtyard"), [("我是粮食局家属院的", "c3"), ("俺是二中家属院哩", "c5"),
                                                 ("[语音] 我家住十五号院", "c15")])
def test_saying_where_you_live_binds_it(chat, steward_live, said, courtyard):
    chat.play(f"""
        居民: {said}
          < 记住了
          <! 没看懂
        居民: 2号楼楼道灯不亮了
          < 工单号
          <! 哪个院
    """)
    assert _resident(steward_live, chat.openid("居民")).courtyard_id == courtyard
    assert chat.tickets("居民")[0].courtyard_id == courtyard


def test_the_unit_is_remembered(chat, steward_live):
    chat.lives("居民", "c3").play("""
        居民: 俺家在3号楼2单元401
          < 门牌记下了 … 3号楼2单元401
    """)
    assert _resident(steward_live, chat.openid("居民")).unit == "3号楼2单元401"


@pytest.mark.parametrize("fix", ["不对，是15号院", "弄错了 应该是水利局家属院", "[语音] 不是 是十五号院"])
def test_a_correction_moves_the_ticket_and_tells_both_councils(chat, steward_live, fix):
    cfg = steward_live.config
    chat.play(f"""
        居民: 13号院2号楼楼道灯不亮了
          < 工单号 … 13号院
        居民: {fix}
          < 改到育英街15号院了 … 原来的理事会
    """)
    (t,) = chat.tickets("居民")
    assert t.courtyard_id == "c15" and t.status == "dispatched"
    assert t.assignee_openid in {m.openid for m in cfg.council("c15")}
    old = {m.openid for m in cfg.council("c13")}
    told = [n for n in old if any("已转院" in x for x in chat.got.get(n, []))]
    assert told, chat.log
    new = {m.openid for m in cfg.council("c15")}
    assert any(any(t.ref in x for x in chat.got.get(n, [])) for n in new), chat.log


def test_a_declined_default_is_not_asked_again(chat, steward_live):
    chat.play("""
        居民: 13号院2号楼楼道灯不亮了
          < 以后默认是13号院吗
        居民: 2
          < 不再问
    """)
    steward_live.redis.delete(intake.DIALOGUE_KEY.format(chat.openid("居民")))  # the dialogue memory is gone
    chat.play("""
        居民: 13号院5号楼下水道堵了
          < 工单号
          <! 以后默认
    """)


def test_the_pending_question_owns_the_digits(chat, steward_live):
    with steward_live.session() as s:
        s.add(Event(title="重阳节包饺子", starts_at=utcnow() + timedelta(days=3), place="活动室", capacity=30))
    chat.play("""
        居民: 有啥活动
          < 重阳节包饺子
        居民: 3号院2号楼楼道灯不亮了
          < 以后默认是3号院吗
        居民: 1
          < 记住了
          <! 报名成功
    """)
    assert _resident(steward_live, chat.openid("居民")).courtyard_id == "c3"
