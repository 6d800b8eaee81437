"""WeChat's customer-service quota (2023–): 5 messages per user message within 48 h, 3 within a
minute after a menu click, follow or scan; beyond that 45047, and our pushes fall back to a template."""

from __future__ import annotations

from sqlalchemy import select

from bot.domain import clock
from bot.sandbox import window
from bot.services.push.send import queue_push
from bot.storage.models import Push, Ticket
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import RESIDENT, drain, new_ticket, pushes_to
from tests.test_sandbox import API, http, stable  # noqa: F401


def _custom(http, config, openid="o_res"):  # noqa: F811
    token = stable(http, config)["access_token"]
    body = {"touser": openid, "msgtype": "text", "text": {"content": "您好"}}
    return http.post(f"{API}/message/custom/send?access_token={token}", json=body).get_json()["errcode"]


def test_five_per_user_message_then_45047_until_he_writes_again(http, config, redis_client):  # noqa: F811
    window.note_user_message(redis_client, "o_res")
    assert [_custom(http, config) for _ in range(6)] == [0, 0, 0, 0, 0, 45047]
    window.note_user_message(redis_client, "o_res")  # he writes again: a fresh allowance
    assert _custom(http, config) == 0
    clock.shift(49 * 3600)
    assert _custom(http, config) == 45015


def test_three_within_a_minute_after_a_click(http, config, redis_client):  # noqa: F811
    window.note_user_event(redis_client, "o_clicker")
    assert [_custom(http, config, "o_clicker") for _ in range(4)] == [0, 0, 0, 45047]
    clock.shift(61)
    assert _custom(http, config, "o_clicker") == 45015  # a click opens no 48 h window


def test_the_sixth_push_after_one_message_goes_as_a_template(steward_live, wechat):
    st = steward_live
    # The resident writes once through the real webhook (no ticket: a greeting).
    assert wechat.text(RESIDENT, "你好").status == 200
    tid = new_ticket(st, enqueue=False)
    with st.session() as s:
        ticket = s.get(Ticket, tid)
        for i in range(6):
            queue_push(s, st.config, ticket=ticket, openid=RESIDENT, kind="reply", tag=f"q{i}",
                       content={"ref": ticket.ref, "what": f"第{i + 1}条回复", "status": "办理中", "note": "回复"},
                       text=f"【工单 {ticket.ref}】第{i + 1}条回复")
    drain(st)
    with st.session() as s:
        rows = s.scalars(select(Push).where(Push.openid == RESIDENT, Push.kind == "reply").order_by(Push.id)).all()
        assert [p.status for p in rows] == ["sent"] * 6
        assert [p.channel for p in rows] == ["custom"] * 5 + ["template"]
        assert "45047" in rows[-1].error and "条数" in rows[-1].error
    kinds = [m["kind"] for m in pushes_to(st, RESIDENT)]
    assert kinds.count("custom") == 5 and kinds.count("template") == 1
