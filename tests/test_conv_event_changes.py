"""Issue 12, item 8: an activity's new time or place, and its cancellation, reach everyone holding a
place or a waitlist place (what changed, and why it was called off); a cancelled activity refuses new
sign-ups politely and sends no reminder."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.domain.clock import to_local, utcnow
from bot.sandbox import state as sbx
from bot.storage.models import Event, Push, Registration
from tests.fixtures_dispatch import *  # noqa: F403
from tests.workbench_helpers import STAFF, csrf_from, login, post_form

SIGNED_UP = """
    居民: 报名健康讲座
      < 报名成功
    邻居: [语音] 俺也报名健康讲座
      < 候补
"""


def _event(steward, days: float = 3, title: str = "健康讲座") -> int:
    with steward.session() as s:
        e = Event(title=title, starts_at=utcnow() + timedelta(days=days), place="二楼会议室", capacity=1)
        s.add(e)
        s.flush()
        return e.id


def _edit(client, eid: int, **changes: str) -> None:
    with_defaults = {"title": "健康讲座", "place": "二楼会议室", "capacity": "1",
                     "starts_at": (to_local(utcnow()) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"), **changes}
    page = f"/staff/events/{eid}/edit"
    resp = post_form(client, page, page, with_defaults)
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:300]


def _cancel(client, eid: int, reason: str):
    page = f"/staff/events/{eid}/cancel"
    return post_form(client, page, page, {"cancel_reason": reason})


@pytest.mark.parametrize(("change", "told"), [
    ({"place": "党群服务中心"}, "地点由二楼会议室改为党群服务中心"),
    ({"days": 5}, "时间由 … 改为"),
    ({"place": "社区卫生站", "days": 4}, "时间由 … 地点由二楼会议室改为社区卫生站"),
])
def test_a_new_time_or_place_reaches_the_registered_and_the_waitlist(chat, client, steward_live, change, told):
    eid = _event(steward_live)
    chat.lives("居民", "c3").lives("邻居", "c3").play(SIGNED_UP)
    login(client, STAFF)
    fields = {k: v for k, v in change.items() if k != "days"}
    if "days" in change:
        fields["starts_at"] = (to_local(utcnow()) + timedelta(days=change["days"])).strftime("%Y-%m-%dT%H:%M")
    _edit(client, eid, **fields)
    chat.settle()
    chat.play(f"""
        居民 << 健康讲座 … 有变动 … {told} … 取消报名
        邻居 << 健康讲座 … 有变动 … {told}
    """)
    _edit(client, eid, **fields)  # saved again unchanged: nobody is told twice
    chat.settle()
    chat.play("""
        居民 <<!
        邻居 <<!
    """)


@pytest.mark.parametrize("reason", ["讲课的医生临时有事", "下大雨，改期另行通知"])
def test_a_cancellation_tells_everyone_why_and_refuses_new_sign_ups(chat, client, steward_live, reason):
    eid = _event(steward_live)
    chat.lives("居民", "c3").lives("邻居", "c3").lives("老伴", "c3").play(SIGNED_UP)
    login(client, STAFF)
    confirm = client.get(f"/staff/events/{eid}/cancel").get_data(as_text=True)
    assert "确定要取消" in confirm and "<strong>2</strong>" in confirm
    assert _cancel(client, eid, "").status_code == 400  # no reason, nothing done
    chat.settle()
    chat.play("居民 <<!")
    resp = _cancel(client, eid, reason)
    assert resp.status_code in (302, 303)
    assert "已通知 2 位" in client.get(resp.headers["Location"]).get_data(as_text=True)
    chat.settle()
    chat.play(f"""
        居民 << 很抱歉 … 健康讲座 … 取消了 … {reason}
        邻居 << 健康讲座 … 取消了 … {reason}
        老伴: 报名健康讲座
          < 已经取消了 … 报不了名 … 有啥活动
          <! 报名成功
        老伴: [语音] 有啥活动
          < 健康讲座 … 已取消
    """)
    with steward_live.session() as s:
        assert s.scalars(select(Registration).where(Registration.openid == chat.openid("老伴"))).all() == []


def test_cancelling_needs_the_forms_csrf_token(chat, client, steward_live):
    eid = _event(steward_live)
    chat.lives("居民", "c3").play("居民: 报名健康讲座")
    login(client, STAFF)
    assert client.post(f"/staff/events/{eid}/cancel", data={"cancel_reason": "x"}).status_code == 400
    with steward_live.session() as s:
        assert not s.get(Event, eid).cancelled


def test_a_cancelled_event_sends_no_reminder(chat, client, steward_live):
    eid = _event(steward_live, days=1.5)
    chat.lives("居民", "c3").play("居民: 报名健康讲座")
    login(client, STAFF)
    assert _cancel(client, eid, "场地临时被占用").status_code in (302, 303)
    chat.settle()
    chat.play("居民 << 取消了")
    page = f"/staff/events/{eid}"
    client.post(f"{page}/remind", data={"csrf_token": csrf_from(client, page)})
    chat.wait(60 * 14)  # into the day before: the sweep's reminder time
    chat.play("居民 <<!")
    with steward_live.session() as s:
        kinds = {p.kind for p in s.scalars(select(Push).where(Push.openid == chat.openid("居民")))}
    assert "event_reminder" not in kinds


def test_out_of_the_48_hours_the_notice_is_a_template_the_sandbox_accepts(chat, client, steward_live):
    eid = _event(steward_live, days=6)
    chat.lives("居民", "c3").play("居民: 报名健康讲座")
    chat.wait(60 * 49)  # he has not written since: only a template reaches him
    login(client, STAFF)
    assert _cancel(client, eid, "讲课的医生临时有事，等定了新时间再通知大家，给大家添麻烦了").status_code in (302, 303)
    chat.settle()
    [got] = [m for m in sbx.messages(steward_live.redis, chat.openid("居民")) if "健康讲座" in str(m)]
    assert got.get("data"), got  # a template message …
    values = [v["value"] for v in got["data"].values()]
    assert all(len(v) <= 20 for v in values) and "已取消" in values and any("健康讲座" in v for v in values)
    with steward_live.session() as s:
        [push] = [p for p in s.scalars(select(Push).where(Push.openid == chat.openid("居民"), Push.kind == "notice"))]
        assert push.status in ("sent", "delivered"), push.status  # … that the sandbox did not refuse

