"""Dispatch through real Redis, a real RQ worker and the sandbox served over HTTP."""

from __future__ import annotations

from sqlalchemy import select

from bot.sandbox import state as sbx
from bot.services.uow import jobs
from bot.storage.models import Push, Ticket
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import (
    C3_BACKUP,
    C3_FIXER,
    drain,
    events_of,
    new_ticket,
    push_rows,
    pushes_to,
    ticket_of,
)
from workers.jobs import check_deadlines, dispatch_ticket


def test_repair_in_c3_is_pushed_to_the_member_with_repair_skill(steward_live):
    st = steward_live
    tid = new_ticket(st)
    drain(st)
    t = ticket_of(st, tid)
    assert t.status == "dispatched" and t.assignee_openid == C3_FIXER and t.backup_openid == C3_BACKUP
    assert t.dispatch_attempt == 1 and t.accept_due_at and t.finish_due_at
    [task] = pushes_to(st, C3_FIXER)
    assert task["kind"] == "template" and task["template_id"] == st.config.templates.task
    assert t.ref == task["data"]["character_string3"]["value"] and "育英街3号院" in task["data"]["thing2"]["value"]
    assert "/m/ticket/" in task["url"]
    assert events_of(st, tid) == ["received", "dispatched"]
    # the resident heard it went out (template: no recent message from them in the sandbox)
    assert any(t.ref in str(m) for m in pushes_to(st, t.resident_openid))


def test_same_job_twice_pushes_once(steward_live):
    st = steward_live
    tid = new_ticket(st, enqueue=False)
    assert dispatch_ticket(tid, 1) == "dispatched"
    assert dispatch_ticket(tid, 1) == "already"
    # and enqueued twice more (webhook retry + sweep) while already done
    jobs.enqueue_dispatch(st.redis_raw, tid)
    jobs.enqueue_dispatch(st.redis_raw, tid)
    drain(st)
    assert len(pushes_to(st, C3_FIXER)) == 1
    assert events_of(st, tid).count("dispatched") == 1
    with st.session() as s:
        assert s.scalar(select(Ticket.dispatch_attempt).where(Ticket.id == tid)) == 1
        tasks = s.scalars(select(Push).where(Push.ticket_id == tid, Push.kind == "task")).all()
        assert len(tasks) == 1 and tasks[0].status == "sent"


def test_unreachable_member_43004_goes_to_backup_and_staff_are_told(steward_live):
    st = steward_live
    sbx.inject(st.redis, "message/template/send", [{"errcode": 43004}], openid=C3_FIXER)
    tid = new_ticket(st)
    drain(st)
    t = ticket_of(st, tid)
    assert t.status == "dispatched" and t.assignee_openid == C3_BACKUP and t.dispatch_attempt == 2
    assert pushes_to(st, C3_FIXER) == []
    assert len(pushes_to(st, C3_BACKUP)) == 1
    for staff in st.config.staff_openids:
        assert any(t.ref in str(m) for m in pushes_to(st, staff))
    assert "receiver_unreachable" in events_of(st, tid)
    from bot.storage.models import CouncilMember

    with st.session() as s:
        row = s.scalars(select(CouncilMember).where(CouncilMember.openid == C3_FIXER)).one()
        assert row.reachable is False
    # the next repair in c3 skips the unreachable member
    tid2 = new_ticket(st, text="5号楼下水道堵了")
    drain(st)
    assert ticket_of(st, tid2).assignee_openid != C3_FIXER


def test_unknown_courtyard_goes_to_staff_triage(steward_live):
    st = steward_live
    tid = new_ticket(st, courtyard=None)
    drain(st)
    t = ticket_of(st, tid)
    assert t.status == "triage" and t.assignee_openid is None
    for staff in st.config.staff_openids:
        assert len(pushes_to(st, staff)) == 1
    assert events_of(st, tid) == ["received", "triage"]


def test_gate_repair_also_tells_the_property_company(steward_live):
    st = steward_live
    tid = new_ticket(st, courtyard="c5", subcategory="门禁", text="5号院门禁刷不开了")
    drain(st)
    assert len(pushes_to(st, "o-sample-property-desk")) == 1
    assert "outside_notified" in events_of(st, tid)
    assert {p.kind for p in push_rows(st, tid)} >= {"task", "outside", "notice"}


def test_nobody_accepts_reminder_then_escalation_at_the_configured_times(steward_live):
    from datetime import timedelta

    from bot.domain import clock
    from bot.services.sweep import sweep

    st = steward_live
    tid = new_ticket(st)
    drain(st)
    t = ticket_of(st, tid)
    window = t.accept_due_at - t.dispatched_at
    assert window == timedelta(hours=24)
    chair = "o-sample-c3-1"
    from bot.domain.deadlines import current_deadline

    # The reminder is due when a quarter is left — or, falling in the quiet hours (it depends on
    # when this test runs), at their edge: the deadline says when.
    remind = current_deadline(st.config, t).remind
    quarter = t.dispatched_at + window * 0.75
    assert remind == quarter or (clock.to_local(remind).hour, clock.to_local(remind).minute) in (
        (st.config.quiet_end, 0), (st.config.quiet_start - 1, 0))
    # just before the reminder time: nothing
    clock.shift((remind - clock.utcnow() - timedelta(minutes=1)).total_seconds())
    sweep(st)
    drain(st)
    assert "reminder" not in events_of(st, tid) and len(pushes_to(st, C3_FIXER)) == 1
    # reminder when a quarter is left, once however often the sweep runs
    clock.shift(timedelta(minutes=2).total_seconds())
    sweep(st)
    sweep(st)
    drain(st)
    assert events_of(st, tid).count("reminder") == 1
    assert len(pushes_to(st, C3_FIXER)) == 2 and "提醒" in str(pushes_to(st, C3_FIXER)[-1])
    assert pushes_to(st, chair) == []
    # deadline missed: 督办 to the chair and staff, an event on the ticket
    clock.shift((t.accept_due_at - clock.utcnow() + timedelta(minutes=1)).total_seconds())

    assert check_deadlines(tid) == ["escalation:accept"]
    assert check_deadlines(tid) == []
    sweep(st)
    drain(st)
    assert events_of(st, tid).count("escalated") == 1
    assert "督办" in str(pushes_to(st, chair))
    for staff in st.config.staff_openids:
        assert "督办" in str(pushes_to(st, staff))


def test_one_deadline_job_per_dispatch_and_the_reminder_schedules_the_due_check(steward_live):
    """A dispatch schedules one RQ job, at the reminder time; that check schedules the due check
    when it runs (issue 24: two `Job`s built per dispatch, the second mostly for tickets accepted
    long before it)."""
    from datetime import timedelta

    from rq.registry import ScheduledJobRegistry

    from bot.domain import clock
    from bot.domain.deadlines import current_deadline

    st = steward_live
    tid = new_ticket(st)
    drain(st)
    prefix = f"deadline-{tid}-1-accept-"
    registry = ScheduledJobRegistry(jobs.DEFAULT, connection=st.redis_raw)

    def scheduled() -> list[str]:
        return sorted(j for j in registry.get_job_ids() if j.startswith(prefix))

    assert scheduled() == [prefix + "remind"]
    remind = current_deadline(st.config, ticket_of(st, tid)).remind
    clock.shift((remind - clock.utcnow() + timedelta(minutes=1)).total_seconds())
    assert check_deadlines(tid) == ["reminder:accept"]
    assert scheduled() == [prefix + "due", prefix + "remind"]
    assert check_deadlines(tid) == [] and scheduled() == [prefix + "due", prefix + "remind"]


def test_a_scheduled_job_is_moved_to_its_queue_by_rqs_scheduler(steward_live):
    """`jobs.enqueue` writes a scheduled job itself, in one round trip (rq's own sends its ZADD
    apart from its pipeline): RQ's scheduler must take it as its own when it is due."""
    from dataclasses import replace
    from datetime import timedelta

    from rq.job import Job as RQJob
    from rq.scheduler import RQScheduler

    from bot.domain import clock

    conn = steward_live.redis_raw
    job = jobs.call_job(jobs.CHECK_DEADLINES, 12345, job_id="deadline-test-due", at=clock.utcnow() - timedelta(seconds=1))
    assert jobs.enqueue(conn, replace(job, retry=(5, 30)))
    scheduled = RQJob.fetch("deadline-test-due", connection=conn)
    assert scheduled.get_status() == "scheduled" and scheduled.func_name == jobs.CHECK_DEADLINES
    assert scheduled.args == (12345,) and scheduled.retries_left == 2 and scheduled.timeout == jobs.JOB_TIMEOUT
    scheduler = RQScheduler([jobs.DEFAULT], connection=conn)
    scheduler.prepare_registries([jobs.DEFAULT])
    scheduler.enqueue_scheduled_jobs()
    assert "deadline-test-due" in jobs.queue(conn, jobs.DEFAULT).job_ids
    assert RQJob.fetch("deadline-test-due", connection=conn).get_status() == "queued"


def test_urgent_ticket_has_one_hour_to_accept(steward_live):
    st = steward_live
    tid = new_ticket(st, subcategory="漏电", urgent=True, text="楼道电表箱冒火花")
    drain(st)
    t = ticket_of(st, tid)
    assert (t.accept_due_at - t.dispatched_at).total_seconds() == 3600
    assert "紧急" in str(pushes_to(st, C3_FIXER))


def test_worker_warm_up_opens_the_database_and_survives_it_being_down(steward_live, caplog):
    """`warm_up` runs before a worker takes jobs: it connects, and with the database down it only
    warns (a worker must start during an outage and ride it out)."""
    import logging
    import socket
    from dataclasses import replace

    from bot.services.uow.steward import Steward
    from workers.run import warm_up

    warm_up(steward_live)  # the real database: no warning
    assert "not reachable" not in caplog.text
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # nothing listens here once the socket is closed
    down = Steward(replace(steward_live.config,
                           database_url=f"postgresql+psycopg://postgres@127.0.0.1:{closed}/steward?connect_timeout=2"))
    with caplog.at_level(logging.WARNING, logger="workers.run"):
        warm_up(down)
    assert "database not reachable at worker start (OperationalError)" in caplog.text


def test_sweep_checks_many_tickets_in_bulk_and_acts_only_on_what_is_due(steward_live):
    """Two tickets 20 h apart: the sweep reminds the first when its time comes, leaves the second
    alone, does nothing twice, then escalates the first at its deadline."""
    from datetime import timedelta

    from bot.domain import clock
    from bot.domain.deadlines import current_deadline
    from bot.services.sweep import sweep

    st = steward_live
    first = new_ticket(st)
    drain(st)
    clock.shift(timedelta(hours=20).total_seconds())
    second = new_ticket(st, text="5号楼门禁刷不开")
    drain(st)
    a, b = (current_deadline(st.config, ticket_of(st, t)) for t in (first, second))
    assert b.remind > a.due + timedelta(minutes=1)  # what the steps below rely on

    clock.shift((a.remind - clock.utcnow() + timedelta(minutes=1)).total_seconds())
    assert sweep(st)["deadlines"] == 1
    assert sweep(st)["deadlines"] == 0  # done is done
    drain(st)
    assert events_of(st, first).count("reminder") == 1 and "reminder" not in events_of(st, second)

    clock.shift((a.due - clock.utcnow() + timedelta(minutes=1)).total_seconds())
    assert sweep(st)["deadlines"] == 1
    assert sweep(st)["deadlines"] == 0
    drain(st)
    assert events_of(st, first).count("escalated") == 1
    assert "reminder" not in events_of(st, second) and "escalated" not in events_of(st, second)
