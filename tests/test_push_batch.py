"""A transaction's pushes go out in one `send_pushes` job (an emergency's alerts to the member and
every staff member): one job on the push queue, each receiver messaged once, and neither the
sweep nor a push job of its own ever sends a batched push a second time. An emergency's batch
goes on the urgent queue, which workers take before any dispatch job."""

from __future__ import annotations

from bot.domain import clock
from bot.services.dispatch.emergencies import alert_staff
from bot.services.push.inline import send_batch
from bot.services.sweep import sweep_outbox
from bot.services.uow import jobs
from bot.storage import db as db_mod
from bot.storage.models import Push, Ticket
from bot.storage.push_insert import insert_push
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import drain, new_ticket, push_rows, pushes_to


def _alert(st, tid: int) -> list[Push]:
    """Staff alerted about ticket `tid` in a web-side transaction (no in-process sending)."""
    with st.session() as s:
        assert alert_staff(s, st.config, s.get(Ticket, tid), "danger") == len(st.config.staff_openids)
    return [p for p in push_rows(st, tid) if p.kind == "emergency"]


def _queued(st, queue: str = jobs.URGENT) -> list[str]:
    """Job ids waiting on `queue` (an emergency's alerts: the urgent queue)."""
    return [j.decode() for j in st.redis_raw.lrange(f"rq:queue:{queue}", 0, -1)]


def test_a_transactions_pushes_are_one_job_and_each_receiver_gets_one_message(steward_live):
    st = steward_live
    staff = st.config.staff_openids
    assert len(staff) >= 2  # the sample community: a batch of more than one
    tid = new_ticket(st, enqueue=False)
    rows = _alert(st, tid)
    assert len(rows) == len(staff) and {p.status for p in rows} == {"pending"}
    (job_id,) = _queued(st)
    assert job_id == jobs.batch_job_id(rows[0].client_msg_id)
    assert {p.payload["job"] for p in rows} == {job_id}
    drain(st)
    rows = [p for p in push_rows(st, tid) if p.kind == "emergency"]
    assert {p.status for p in rows} == {"sent"} and {p.attempts for p in rows} == {1}
    assert [len(pushes_to(st, o)) for o in staff] == [1] * len(staff)


def test_the_sweep_leaves_batched_pushes_to_their_waiting_job(steward_live):
    st = steward_live
    tid = new_ticket(st, enqueue=False)
    _alert(st, tid)
    clock.shift(st.config.dispatch.outbox_after + 1)
    sweep_outbox(st)
    assert len(_queued(st)) == 1  # no push job next to the batch that holds them
    drain(st)
    assert [len(pushes_to(st, o)) for o in st.config.staff_openids] == [1] * len(st.config.staff_openids)


def test_batched_pushes_whose_job_was_lost_are_sent_by_the_sweep(steward_live):
    st = steward_live
    tid = new_ticket(st, enqueue=False)
    _alert(st, tid)
    st.redis_raw.flushdb()  # Redis restarted without persistence: the batch job is gone
    clock.shift(st.config.dispatch.outbox_after + 1)
    sweep_outbox(st)
    assert len(_queued(st)) == len(st.config.staff_openids)  # a push job each
    drain(st)
    assert [len(pushes_to(st, o)) for o in st.config.staff_openids] == [1] * len(st.config.staff_openids)


def test_a_batch_leaves_a_push_with_its_own_job_waiting_to_that_job(steward_live):
    st = steward_live
    first, second = st.config.staff_openids[:2]
    tid = new_ticket(st, enqueue=False)
    rows = {p.openid: p for p in _alert(st, tid)}
    # e.g. a retry an earlier run of the batch handed over: queued under the push's own job id
    assert jobs.enqueue(st.redis_raw, jobs.push_job(rows[second].id, rows[second].client_msg_id, (0,)))
    assert send_batch(st, [p.id for p in rows.values()]) == len(rows) - 1
    assert len(pushes_to(st, first)) == 1 and pushes_to(st, second) == []
    drain(st)  # the push job, and the batch job again: it finds nothing pending
    assert len(pushes_to(st, first)) == 1 and len(pushes_to(st, second)) == 1
    assert {p.status for p in push_rows(st, tid) if p.kind == "emergency"} == {"sent"}


def test_a_push_row_is_inserted_once_per_client_msg_id(any_db_url):
    row = dict(ticket_id=None, openid="o-x", kind="notice", channel="template", client_msg_id="t0-notice-1-abc",
               template_id=None, payload={"text": "你好"}, status="pending", attempts=0, custom_tried_at=None)
    with db_mod.session_scope(any_db_url) as s:
        first = insert_push(s.connection(), row)
        assert first is not None
        assert insert_push(s.connection(), dict(row, openid="o-y")) is None  # the row exists: nothing written
    with db_mod.session_scope(any_db_url) as s:
        (push,) = s.query(Push).all()
        assert (push.id, push.openid, push.payload) == (first, "o-x", {"text": "你好"}) and push.created_at


def test_an_emergencys_alerts_go_out_before_a_backlog_of_dispatch_jobs(steward_live):
    """At 50 messages/s the alerts waited behind the dispatch jobs (p95 1.9 s against 30 ms for
    tasks): now they are on the urgent queue, which a worker takes first."""
    st = steward_live
    backlog = [new_ticket(st, resident=f"o-backlog-{n}") for n in range(5)]  # dispatch jobs waiting
    assert len(_queued(st, jobs.DISPATCH)) == 5
    tid = new_ticket(st, enqueue=False, urgent=True, resident="o-emergency-1")
    _alert(st, tid)
    assert len(_queued(st, jobs.URGENT)) == 1 and not _queued(st, jobs.PUSH)
    drain(st)
    alerts = [p for p in push_rows(st, tid) if p.kind == "emergency"]
    tasks = [p for t in backlog for p in push_rows(st, t) if p.kind == "task"]
    assert alerts and len(tasks) == 5 and {p.status for p in alerts + tasks} == {"sent"}
    # the sandbox numbers messages in the order it received them
    assert max(int(p.wechat_msgid) for p in alerts) < min(int(p.wechat_msgid) for p in tasks)


def test_an_ordinary_tickets_pushes_stay_on_the_push_queue(steward_live):
    st = steward_live
    tid = new_ticket(st, enqueue=False)
    with st.session() as s:
        from bot.services.push.send import queue_push

        queue_push(s, st.config, ticket=s.get(Ticket, tid), openid=st.config.staff_openids[0], kind="notice",
                   tag="t", content={"title": "通知"}, text="通知")
    assert len(_queued(st, jobs.PUSH)) == 1 and not _queued(st, jobs.URGENT)
