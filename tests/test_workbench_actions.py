"""Ticket actions from the workbench: each is an event with the staff member's name."""

from __future__ import annotations

import pytest
from rq import Queue
from sqlalchemy import select

from bot.services.uow import jobs
from bot.storage.models import LabelledExample, Push, Ticket, TicketEvent
from tests.workbench_helpers import COUNCIL_C3, login, make_ticket, post_form


@pytest.fixture
def ref(steward):
    with steward.session() as s:
        return make_ticket(s, text="家里水管漏了", courtyard=None, status="triage", confidence=0.3).ref


def run_dispatch_jobs(steward) -> None:
    """The real dispatch job, in-process (pushes stay queued: no sandbox is listening here)."""
    from rq import SimpleWorker

    SimpleWorker([Queue(n, connection=steward.redis_raw) for n in jobs.worker_queues(()) if n.startswith("dispatch")],
                 connection=steward.redis_raw).work(burst=True)


def act(client, ref, action, **data):
    return post_form(client, f"/staff/t/{ref}", f"/staff/t/{ref}/{action}", data)


def _ticket(steward, ref):
    with steward.session() as s:
        t = s.scalars(select(Ticket).where(Ticket.ref == ref)).one()
        events = list(s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.id)))
        s.expunge_all()
        return t, events


def test_triage_queue_then_reclassify_move_and_dispatch(client, steward, ref):
    login(client)
    assert ref in client.get("/staff/?tab=triage").get_data(as_text=True)
    act(client, ref, "move", courtyard="c3")
    act(client, ref, "reclassify", category="repair", subcategory="给排水", then_dispatch="1")
    t, events = _ticket(steward, ref)
    assert (t.courtyard_id, t.category, t.subcategory, t.confidence) == ("c3", "repair", "给排水", 1.0)
    kinds = [(e.kind, e.actor_name) for e in events]
    assert ("moved", "刘晓红") in kinds and ("reclassified", "刘晓红") in kinds
    assert ("dispatch_requested", "刘晓红") in kinds
    with steward.session() as s:
        ex = s.scalars(select(LabelledExample)).one()
        assert (ex.text, ex.category, ex.subcategory, ex.created_by) == ("家里水管漏了", "repair", "给排水", "liu")
    assert f"dispatch-{t.id}-1" in Queue("dispatch:1", connection=steward.redis_raw).job_ids  # community 1's queue
    run_dispatch_jobs(steward)
    t, events = _ticket(steward, ref)
    assert t.status == "dispatched" and t.courtyard_id == "c3" and t.assignee_name
    assert ref not in client.get("/staff/?tab=triage").get_data(as_text=True)


def test_close_needs_referral_then_reopen(client, steward, ref):
    login(client)
    act(client, ref, "close", reason="not_responsible", referral="")
    t, _ = _ticket(steward, ref)
    assert t.status == "triage"
    page = client.get(f"/staff/t/{ref}").get_data(as_text=True)
    assert "需要写明转办给哪个单位" in page
    act(client, ref, "close", reason="not_responsible", referral="市燃气公司", note="燃气管道归燃气公司")
    t, events = _ticket(steward, ref)
    assert (t.status, t.close_reason, t.referral) == ("closed", "not_responsible", "市燃气公司")
    assert events[-1].actor_name == "刘晓红" and events[-1].to_status == "closed"
    act(client, ref, "reopen", note="居民说还没人管")
    t, events = _ticket(steward, ref)
    assert t.status == "triage" and events[-1].kind == "reopened" and t.reopen_count == 1


def test_duplicate_note_reply_reassign(client, steward, ref):
    with steward.session() as s:
        other = make_ticket(s, text="水管漏", courtyard="c3", subcategory="给排水", status="dispatched").ref
    login(client)
    act(client, other, "note", note="已电话联系居民")
    act(client, other, "reassign", openid="o-sample-c3-2")
    act(client, other, "reply", text="师傅下午到")
    act(client, ref, "duplicate", original=other)
    t, events = _ticket(steward, ref)
    assert (t.status, t.close_reason, t.duplicate_of) == ("closed", "duplicate", other)
    with steward.session() as s:
        push = s.scalars(select(Push).where(Push.kind == "reply")).one()
        assert push.openid == "o-resident-test-0001" and "师傅下午到" in push.payload["text"]
        merged = [p for p in s.scalars(select(Push).where(Push.kind == "notice")) if "同一件" in p.payload["text"]]
        assert len(merged) == 1  # the merged ticket's reporter is told (issue 12, item 8)
    run_dispatch_jobs(steward)
    o, oe = _ticket(steward, other)
    assert o.assignee_name == "陈卫东" and o.status == "dispatched"
    assert [e.kind for e in oe][1:5] == ["note", "reassigned", "dispatch_requested", "staff_reply"]
    # reassigning to another courtyard's member is refused
    act(client, other, "reassign", openid="o-sample-c5-2")
    assert _ticket(steward, other)[0].assignee_name == "陈卫东"


def test_council_may_note_but_not_reclassify(client, steward):
    with steward.session() as s:
        ref = make_ticket(s, courtyard="c3").ref
    login(client, COUNCIL_C3)
    assert act(client, ref, "reclassify", category="grievance").status_code == 403
    act(client, ref, "note", note="理事会已上门")
    _, events = _ticket(steward, ref)
    assert events[-1].actor_name == "粮食局院理事会"


def test_train_from_db(steward, tmp_path, monkeypatch):
    import handlers.classify as classify
    from bot.services.community.training import labelled_examples, train_from_db

    with steward.session() as s:
        s.add(LabelledExample(text="电梯又卡住了", category="repair", subcategory="电梯"))
        s.add(LabelledExample(text="电梯又卡住了", category="grievance", subcategory="物业服务"))
        s.flush()
        assert labelled_examples(s) == [("电梯又卡住了", "grievance", "物业服务")]
        seen = {}
        monkeypatch.setattr(classify, "train", lambda extra=(), path=None: seen.setdefault("x", list(extra)) and tmp_path)
        assert train_from_db(s) == tmp_path
    assert seen["x"] == [("电梯又卡住了", "grievance", "物业服务")]


def test_queue_paging_is_keyset(client, steward):
    from bot.web import queues

    with steward.session() as s:
        for i in range(queues.PAGE_SIZE + 5):
            make_ticket(s, text=f"第{i}件", courtyard="c3", status="dispatched")
    login(client)
    first = client.get("/staff/?tab=open").get_data(as_text=True)
    assert "第54件" in first and "下一页" in first
    import re

    after = re.search(r'after=([^&"]+)', first).group(1)
    second = client.get(f"/staff/?tab=open&after={after}").get_data(as_text=True)
    assert "第0件" in second and "第54件" not in second and "下一页" not in second
