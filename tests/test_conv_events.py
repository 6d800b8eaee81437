"""Issue 12, items 9 and 8 (waiting list): courtyard-scoped events, a second place by name, and the
promised notice when a waiting-list place becomes free."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.domain.clock import utcnow
from bot.storage.models import Event, Registration
from tests.fixtures_dispatch import *  # noqa: F403


def _event(steward, title, courtyard=None, capacity=20) -> int:
    with steward.session() as s:
        e = Event(title=title, starts_at=utcnow() + timedelta(days=2), place="党群服务中心", capacity=capacity,
                  courtyard_id=courtyard)
        s.add(e)
        s.flush()
        return e.id


def _places(steward, eid):
    with steward.session() as s:
        return [(r.guest, r.status) for r in s.scalars(select(Registration).where(Registration.event_id == eid)
                                                       .order_by(Registration.id))]


def test_a_courtyard_event_is_only_for_its_residents(chat, steward_live):
    eid = _event(steward_live, "三号院包饺子", courtyard="c3")
    chat.lives("居民", "c5").lives("邻居", "c3").play("""
        居民: 报名包饺子
          < 本院居民的活动 … 谢谢
          <! 报名成功
        邻居: 报名包饺子
          < 报名成功
    """)
    assert _places(steward_live, eid) == [("", "registered")]


@pytest.mark.parametrize("said", ["俺老伴也想去包饺子，他叫李长顺", "[语音] 给王桂芝也报个名 她是俺邻居 包饺子那个"])
def test_signing_up_someone_else_by_name_is_a_second_place(chat, steward_live, said):
    eid = _event(steward_live, "重阳节包饺子")
    chat.lives("居民", "c3").play(f"""
        居民: 报名包饺子
          < 报名成功
        居民: {said}
          < 也报上了
          <! 您已经报名了
    """)
    places = _places(steward_live, eid)
    assert len(places) == 2 and places[1][0] in ("李长顺", "王桂芝")


def test_a_freed_place_is_announced_to_the_waiting_list(chat, steward_live):
    _event(steward_live, "书法课", capacity=1)
    chat.lives("居民", "c3").lives("邻居", "c3").play("""
        居民: 报名书法课
          < 报名成功
        邻居: 报名书法课
          < 候补 … 有空位会通知您
        居民: 取消报名
          < 已取消
        邻居 << 有空位了 … 书法课
    """)
