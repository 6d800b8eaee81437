"""Staff-side intake (新建工单 and POST /api/tickets): a report taken by phone opens a ticket exactly as
a WeChat message does — dispatched to the council member, accepted, finished, called back, and
counted in the rates alike — through real HTTP, a real RQ worker, Redis and the sandbox."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.domain.clock import utcnow
from bot.services.rates import month_of, month_rates
from bot.storage.models import AuditEntry, Resident, Ticket, TicketIntake
from bot.web import tokens
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import C3_FIXER, RESIDENT, drain, events_of, pushes_to, ticket_of
from tests.workbench_helpers import STAFF, login, post_form

LOOP = ["received", "dispatched", "accepted", "finished", "callback", "closed"]


def _tid(st, ref: str) -> int:
    with st.session() as s:
        return s.scalars(select(Ticket.id).where(Ticket.ref == ref)).one()


def _work_it(st, wechat, ref: str) -> None:
    """The member accepts and finishes in WeChat, as for any ticket."""
    drain(st)
    assert any(ref in str(m) for m in pushes_to(st, C3_FIXER)), "the task reached the member"
    assert wechat.text(C3_FIXER, f"接单 {ref}").status == 200
    drain(st)
    assert wechat.text(C3_FIXER, f"办结 {ref} 已更换灯泡").status == 200
    drain(st)
    assert ticket_of(st, _tid(st, ref)).status == "awaiting_callback"


def test_phone_report_from_the_form_runs_the_whole_loop_and_counts_like_wechat(steward_live, wechat, client):
    st = steward_live
    # A WeChat report first, worked the usual way, for comparison.
    wechat.text(RESIDENT, "我是粮食局家属院的，3号楼2单元楼道灯坏了，晚上黑乎乎的")
    with st.session() as s:
        wref = s.scalars(select(Ticket.ref).where(Ticket.resident_openid == RESIDENT)).one()
    _work_it(st, wechat, wref)
    wechat.text(RESIDENT, "5")
    assert ticket_of(st, _tid(st, wref)).status == "closed"

    login(client, STAFF)
    page = client.get("/staff/new/")
    assert page.status_code == 200 and "新建工单" in page.get_data(as_text=True)
    resp = post_form(client, "/staff/new/", "/staff/new/", {
        "channel": "电话", "courtyard": "c3", "category": "repair", "text": "粮食局家属院3号楼4单元楼道灯不亮了",
        "resident_name": "王秀英", "resident_phone": "13800000001", "photos": ""})
    assert resp.status_code == 302
    ref = re.search(r"/staff/t/(R\d+)", resp.headers["Location"])[1]
    tid = _tid(st, ref)
    t = ticket_of(st, tid)
    assert t.resident_openid is None and t.courtyard_id == "c3" and t.category == "repair"
    shown = client.get(f"/staff/t/{ref}").get_data(as_text=True)
    assert "电话" in shown and "王秀英" in shown and "13800000001" in shown and "电话回访" in shown

    _work_it(st, wechat, ref)
    t = ticket_of(st, tid)
    assert t.assignee_openid == C3_FIXER and t.accept_due_at and t.finish_due_at
    # Nobody in WeChat to ask: the ticket waits in staff's 电话回访 queue.
    queue = client.get("/staff/?tab=callback").get_data(as_text=True)
    assert ref in queue and wref not in queue
    resp = post_form(client, f"/staff/t/{ref}", f"/staff/t/{ref}/phone_callback",
                     {"solved": "1", "rating": "5", "note": "灯亮了"})
    assert resp.status_code == 302
    t = ticket_of(st, tid)
    assert t.status == "closed" and t.rating == 5 and t.solved is True and t.close_reason == "resolved"
    assert events_of(st, tid) == events_of(st, _tid(st, wref)) == LOOP
    assert ref not in client.get("/staff/?tab=callback").get_data(as_text=True)

    with st.session() as s:
        rates = month_rates(s, st.config, *month_of(utcnow()), courtyard="c3", force=True)["c3"]
    assert (rates.dispatched, rates.due, rates.accepted_in_time) == (2, 2, 2)
    assert (rates.callbacks, rates.solved, rates.ratings, rates.satisfied) == (2, 2, 2, 2)


def test_api_report_of_a_resident_bound_in_wechat_reaches_him_there(steward_live, wechat, client):
    st = steward_live
    with st.session() as s:
        s.add(Resident(openid=RESIDENT, courtyard_id="c3", phone="13800000002"))
        token, _ = tokens.add(s, st.config, "hotline", role="write")
    resp = client.post("/api/tickets", headers={"Authorization": f"Bearer {token}"}, json={
        "channel": "12345", "courtyard": "c3", "category": "repair", "text": "3号楼2单元楼道灯坏了，晚上黑乎乎的",
        "resident_phone": "138-0000-0002", "photos": ["https://example.org/lamp.jpg"]})
    assert resp.status_code == 201, resp.get_json()
    ref = resp.get_json()["ref"]
    tid = _tid(st, ref)
    assert ticket_of(st, tid).resident_openid == RESIDENT
    with st.session() as s:
        intake = s.get(TicketIntake, tid)
        assert intake.channel == "12345" and intake.photos == ["https://example.org/lamp.jpg"]
    _work_it(st, wechat, ref)
    told = [m for m in pushes_to(st, RESIDENT) if ref in str(m)]
    assert [m["data"]["phrase3"]["value"] for m in told] == ["已派单", "办理中", "待回访"], "told in his WeChat"
    wechat.text(RESIDENT, "4")
    t = ticket_of(st, tid)
    assert t.status == "closed" and t.rating == 4 and events_of(st, tid) == LOOP
    login(client, STAFF)
    assert ref not in client.get("/staff/?tab=callback").get_data(as_text=True)


def test_api_refuses_bad_reports_in_chinese(steward_live, client):
    st = steward_live
    with st.session() as s:
        write, _ = tokens.add(s, st.config, "w", role="write")
        read, _ = tokens.add(s, st.config, "r", role="read")
        c5, _ = tokens.add(s, st.config, "c5", role="write", courtyard="c5")
    good = {"channel": "电话", "courtyard": "c3", "category": "repair", "text": "楼道灯坏了"}

    def post(token, body):  # noqa: ANN001, ANN202
        return client.post("/api/tickets", headers={"Authorization": f"Bearer {token}"}, json=body)

    for body, word in [
        (good | {"channel": "传真"}, "渠道"), (good | {"courtyard": "c99"}, "楼院"),
        (good | {"category": "event"}, "分类"), (good | {"text": "  "}, "反映内容"),
        (good | {"resident_phone": "abc"}, "居民电话"), (good | {"photos": ["ftp://x/y.jpg"]}, "照片"),
        (good | {"photos": "https://x/y.jpg"}, "照片"), ({k: v for k, v in good.items() if k != "text"}, "反映内容"),
        (good | {"text": "灯\x00坏了"}, "控制字符"), ([good], "JSON"),
    ]:
        resp = post(write, body)
        assert resp.status_code == 400, body
        assert word in resp.get_json()["error"], (body, resp.get_json())
    assert post(read, good).status_code == 403
    assert post(c5, good).status_code == 403 and post(c5, good | {"courtyard": "c5"}).status_code == 201
    assert client.post("/api/tickets", json=good).status_code == 401
    with st.session() as s:
        assert s.scalars(select(Ticket.courtyard_id)).all() == ["c5"]


def test_form_refuses_bad_input_and_keeps_what_was_typed(steward_live, client):
    login(client, STAFF)
    resp = post_form(client, "/staff/new/", "/staff/new/", {
        "channel": "电话", "courtyard": "c3", "category": "repair", "text": "楼道灯坏了",
        "resident_name": "王秀英", "resident_phone": "不知道", "photos": ""})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "居民电话" in page and "王秀英" in page and "楼道灯坏了" in page
    with steward_live.session() as s:
        assert s.scalars(select(Ticket)).first() is None


def test_intake_rows_and_audit_on_every_database(any_db_url, config):
    """The one-statement ticket insert (PostgreSQL), the intake row, the phone look-up and the audit
    log's retention on SQLite and PostgreSQL."""
    from datetime import timedelta
    from types import SimpleNamespace

    from bot.services.casework import staff
    from bot.services.inbound import staff_intake
    from bot.services.uow import audit
    from bot.storage import db

    with db.session_scope(any_db_url) as s:
        s.add(Resident(openid="o-known", phone="13800000005"))
    with db.session_scope(any_db_url) as s:
        known = staff_intake.open_ticket(s, config, staff_intake.Report(
            "来访", "c3", "grievance", "楼上天天半夜跺脚", "李", "13800000005"), "staff:liu", "刘")
        unknown = staff_intake.open_ticket(s, config, staff_intake.Report(
            "走访", "c5", "repair", "5号楼下水道堵了", None, "0371-1234567", ("https://example.org/a.jpg",)),
            "staff:liu", "刘")
        assert known.resident_openid == "o-known" and unknown.resident_openid is None
        unknown.status = "awaiting_callback"
        actor = SimpleNamespace(username="liu", name="刘")
        assert "重办" in staff.phone_callback(s, unknown, actor, config, "0", "", "还是堵")
        old = audit.record(s, "cli", "token_add", "令牌 old")
        audit.record(s, "cli", "token_add", "令牌 new")
        s.flush()
        old.at = utcnow() - timedelta(days=366)
    with db.session_scope(any_db_url) as s:
        rows = {i.channel: i for i in s.scalars(select(TicketIntake))}
        assert set(rows) == {"来访", "走访"} and rows["走访"].photos == ["https://example.org/a.jpg"]
        assert s.get(Ticket, unknown.id).reopen_count == 1
        assert audit.purge(s, 365) == 1
        assert [e.target for e in s.scalars(select(AuditEntry))] == ["令牌 new"]
