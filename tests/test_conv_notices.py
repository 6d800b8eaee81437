"""Issue 12, item 8: everyone concerned is told — a staff close (reason, and a rating request when
answered), a courtyard move, a merge (and later the outcome), an event's new time."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.clock import utcnow
from bot.storage.models import Event
from tests.fixtures_dispatch import *  # noqa: F403
from tests.workbench_helpers import STAFF, login, post_form


def _act(client, ref, action, **data):
    page = f"/staff/t/{ref}"
    resp = post_form(client, page, f"{page}/{action}", data)
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:300]


def test_a_staff_close_tells_the_resident_and_member_and_asks_for_a_rating(chat, client):
    chat.lives("居民", "c3").play("""
        居民: 3号院的停车位咋收费的？能不能给俺家安排一个
        理事会 << R1001
    """)
    login(client, STAFF)
    _act(client, "R1001", "close", reason="answered", note="车位按月收费，已电话告知")
    chat.settle()
    chat.play("""
        居民 << 已结案 … 已答复 … 打分
        理事会 << 不用再处理
        居民: 5
          < 谢谢您的评价
    """)
    assert chat.tickets("居民")[0].rating == 5


def test_a_staff_move_tells_the_resident_and_the_old_member(chat, client, steward_live):
    chat.lives("居民", "c3").play("""
        居民: 3号院2号楼楼道灯不亮了
        维修 << R1001
    """)
    login(client, STAFF)
    _act(client, "R1001", "move", courtyard="c5")
    chat.settle()
    chat.play("""
        居民 << 转给育英街5号院理事会
        维修 << 不用处理
    """)


def test_a_merge_tells_every_reporter_and_each_hears_the_outcome(chat, client):
    chat.lives("居民", "c3").lives("邻居", "c3").play("""
        居民: 3号院2号楼楼道灯不亮了
        邻居: 3号院2号楼的楼道灯坏了好几天了
    """)
    login(client, STAFF)
    _act(client, "R1002", "duplicate", original="R1001")
    chat.settle()
    chat.play("""
        邻居 << R1001 … 同一件
        组长: 办结 R1001 换了灯泡
        居民 << 打分
        邻居 << 同一件事 … 已办好
    """)


def test_an_event_change_is_announced_to_registrants(chat, client, steward_live):
    with steward_live.session() as s:
        s.add(Event(title="健康讲座", starts_at=utcnow() + timedelta(days=3), place="二楼会议室", capacity=30))
    chat.lives("居民", "c3").play("""
        居民: 报名健康讲座
          < 报名成功
    """)
    login(client, STAFF)
    page = "/staff/events/1/edit"
    new_time = (utcnow() + timedelta(days=4, hours=8)).strftime("%Y-%m-%dT%H:%M")
    resp = post_form(client, page, page, {"title": "健康讲座", "place": "党群服务中心", "starts_at": new_time,
                                          "capacity": "30"})
    assert resp.status_code in (302, 303)
    chat.settle()
    chat.play("居民 << 有变动 … 时间由 … 改为 … 地点由二楼会议室改为党群服务中心")
