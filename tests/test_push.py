"""Pushes: client_msg_id before sending, retries on 5xx, 45015 fallback, failures made visible,
TEMPLATESENDJOBFINISH updating the delivery status."""

from __future__ import annotations

import time

from sqlalchemy import select

from bot.domain import clock
from bot.sandbox import events as sbx_events
from bot.sandbox import state as sbx
from bot.sandbox import window as sbx_window
from bot.services.push.delivery import record_delivery
from bot.services.push.deployment import deployment_id
from bot.services.push.send import client_msg_id
from bot.storage.models import Push, Resident
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import C3_FIXER, RESIDENT, drain, events_of, new_ticket, push_rows, pushes_to
from workers.jobs import send_push


def _task(st, tid):
    return next(p for p in push_rows(st, tid) if p.kind == "task")


def test_5xx_three_times_then_200_is_one_delivered_push(steward_live):
    st = steward_live
    sbx.inject(st.redis, "message/template/send", [{"http": 503}, {"http": 502}, {"http": 500}], openid=C3_FIXER)
    tid = new_ticket(st)
    drain(st)
    task = _task(st, tid)
    assert task.status == "sent" and task.attempts == 4 and task.wechat_msgid
    assert len(pushes_to(st, C3_FIXER)) == 1
    # the delivery report arrives through the real webhook, as WeChat sends it
    xml = sbx_events.template_finish_event_xml(task.wechat_msgid, C3_FIXER, "success", st.config.wechat.original_id)
    assert sbx_events.deliver_event(st.config, xml, openid=C3_FIXER) == 200
    assert _task(st, tid).status == "delivered"


def test_client_msg_id_is_deterministic_and_recorded_before_sending(steward_live):
    st = steward_live
    tid = new_ticket(st, enqueue=False)
    from bot.services.dispatch.assign import dispatch_ticket

    # dispatch_ticket = this transaction, then the sends: the rows are committed before any send
    assert dispatch_ticket(st, tid, 1, in_process=False) == "dispatched"
    task = _task(st, tid)
    assert task.status == "pending" and pushes_to(st, C3_FIXER) == []
    with st.session() as s:
        assert task.client_msg_id == client_msg_id(tid, "task", 1, C3_FIXER, deployment_id(s))
    assert C3_FIXER not in task.client_msg_id
    assert send_push(task.id) == "sent"
    assert send_push(task.id) == "sent"  # a second run finds it sent
    drain(st)  # the enqueued job as well
    [msg] = pushes_to(st, C3_FIXER)
    assert msg["client_msg_id"] == task.client_msg_id


def test_retries_exhausted_is_a_visible_failure(steward_live):
    st = steward_live
    sbx.inject(st.redis, "message/template/send", [{"http": 503}] * 4, openid=C3_FIXER)
    tid = new_ticket(st)
    drain(st)
    task = _task(st, tid)
    assert task.status == "failed" and task.error == "HTTP 503" and task.attempts == 4
    assert "push_failed" in events_of(st, tid)
    for staff in st.config.staff_openids:  # the staff queue hears of it
        assert any("发送失败" in str(m) for m in pushes_to(st, staff))


def test_45015_falls_back_to_a_template_message(steward_live):
    st = steward_live
    with st.session() as s:  # the resident wrote a minute ago: a customer-service message is tried first
        s.add(Resident(openid=RESIDENT, courtyard_id="c3", last_message_at=clock.utcnow()))
    sbx.inject(st.redis, "message/custom/send", [{"errcode": 45015}], openid=RESIDENT)
    tid = new_ticket(st)
    drain(st)
    notice = next(p for p in push_rows(st, tid) if p.kind == "notice")
    assert notice.status == "sent" and notice.channel == "template" and "45015" in notice.error
    [msg] = pushes_to(st, RESIDENT)
    assert msg["kind"] == "template" and msg["template_id"] == st.config.templates.notice


def test_within_48h_a_customer_service_message_is_used(steward_live):
    st = steward_live
    with st.session() as s:
        s.add(Resident(openid=RESIDENT, courtyard_id="c3", last_message_at=clock.utcnow()))
    sbx_window.note_user_message(st.redis, RESIDENT)  # the sandbox's own 48 h window agrees
    tid = new_ticket(st)
    drain(st)
    notice = next(p for p in push_rows(st, tid) if p.kind == "notice")
    assert notice.channel == "custom" and notice.status == "sent"
    [msg] = pushes_to(st, RESIDENT)
    assert msg["kind"] != "template" and "R" in (msg.get("text") or "")


def test_record_delivery_failure_marks_failed_with_event(steward_live):
    st = steward_live
    tid = new_ticket(st)
    drain(st)
    task = _task(st, tid)
    with st.session() as s:
        assert record_delivery(s, task.wechat_msgid, "failed:user block")
        assert not record_delivery(s, "999", "success")
    assert _task(st, tid).status == "failed"
    assert "push_failed" in events_of(st, tid)


def test_sandbox_delivers_templatesendjobfinish_by_itself(steward_live):
    st = steward_live
    sbx.configure(st.redis, deliver_events=True, event_delay=0.05)
    tid = new_ticket(st)
    drain(st)
    deadline = time.time() + 5
    while _task(st, tid).status != "delivered" and time.time() < deadline:
        time.sleep(0.05)
    assert _task(st, tid).status == "delivered"
    with st.session() as s:
        assert s.scalar(select(Push.status).where(Push.ticket_id == tid, Push.kind == "task")) == "delivered"


# -- customer-service messages at most once (no idempotency key at WeChat) ----------------------


def _notice(st, tid):
    return next(p for p in push_rows(st, tid) if p.kind == "notice")


def _wrote_just_now(st) -> None:
    with st.session() as s:  # within the 48 h window: the resident's notice goes customer-service
        s.add(Resident(openid=RESIDENT, courtyard_id="c3", last_message_at=clock.utcnow()))
    sbx_window.note_user_message(st.redis, RESIDENT)


def _late_arrivals(st, openid: str, timeout: float = 10.0) -> list[dict]:
    """The sandbox records a timed-out text after its sleep, as a slow WeChat would: wait for it,
    then a little more for a wrong second one."""
    deadline = time.time() + timeout
    while not [m for m in pushes_to(st, openid) if m["kind"] != "template"] and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)
    return pushes_to(st, openid)


def test_customer_service_timeout_is_not_resent_but_falls_back_to_the_template(steward_live):
    st = steward_live
    _wrote_just_now(st)
    # Longer than the client's 5 s: WeChat got the text, the client does not know.
    sbx.inject(st.redis, "message/custom/send", [{"timeout": 6}], openid=RESIDENT)
    tid = new_ticket(st)
    drain(st)
    got = _late_arrivals(st, RESIDENT)
    texts_sent = [m for m in got if m["kind"] != "template"]
    templates = [m for m in got if m["kind"] == "template"]
    assert len(texts_sent) == 1, got  # before: the text was sent again on the retry
    notice = _notice(st, tid)
    assert notice.status == "sent" and notice.channel == "template" and "结果未知" in notice.error
    assert notice.custom_tried_at is not None
    assert len(templates) == 1 and templates[0]["client_msg_id"] == notice.client_msg_id
    assert send_push(notice.id) == "sent"  # a later run changes nothing
    assert len(pushes_to(st, RESIDENT)) == 2


def test_customer_service_outcome_unknown_without_template_asks_staff(steward_live):
    st = steward_live
    _wrote_just_now(st)
    tid = new_ticket(st, enqueue=False)
    from bot.services.dispatch.assign import dispatch_ticket

    assert dispatch_ticket(st, tid, 1, in_process=False) == "dispatched"
    with st.session() as s:  # no template to fall back on for this one
        s.get(Push, _notice(st, tid).id).template_id = None
    sbx.inject(st.redis, "message/custom/send", [{"timeout": 6}], openid=RESIDENT)
    notice = _notice(st, tid)
    assert send_push(notice.id) == "unknown"
    assert send_push(notice.id) == "unknown"  # never resent, however often the job runs
    notice = _notice(st, tid)
    assert notice.status == "unknown" and "人工确认" in notice.error
    assert "push_unknown" in events_of(st, tid)
    assert [m["kind"] for m in _late_arrivals(st, RESIDENT)] == ["custom"]  # WeChat did get it, once
    drain(st)
    for staff in st.config.staff_openids:
        assert any("人工确认" in str(m) for m in pushes_to(st, staff))


def test_customer_service_refused_before_sending_may_be_tried_again(steward_live):
    st = steward_live
    _wrote_just_now(st)
    sbx.inject(st.redis, "message/custom/send", [{"errcode": 45009}], openid=RESIDENT)  # quota: nothing sent
    tid = new_ticket(st)
    drain(st)
    notice = _notice(st, tid)
    assert notice.status == "sent" and notice.channel == "custom" and notice.attempts == 2
    assert [m["kind"] for m in pushes_to(st, RESIDENT)] == ["custom"]
