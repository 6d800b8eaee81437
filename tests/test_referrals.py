"""Referrals to and from 12345 against a fake outside desk: a small WSGI app on a free localhost port
that speaks GeoReport v2 (POST requests.json answers a service_request_id; POST updates.json takes a
status update). Out: referred, handed over, its status comes back and the resident is told. In: a
12345 派单 becomes a ticket in its courtyard, is dispatched and worked, and its result goes back."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from bot.domain import clock
from bot.services.rates import month_of, month_rates
from bot.storage.models import Referral, Ticket, TicketIntake
from bot.storage.models import TicketEvent as TicketEventNote
from bot.web import tokens
from tests.conftest import free_port
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import C3_FIXER, RESIDENT, drain, new_ticket, pushes_to, ticket_of
from tests.workbench_helpers import STAFF, login, post_form
from workers import jobs

DESK_PORT = free_port()


class Desk:
    """The outside desk: what it was sent, and the ids it gave."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.updates: list[dict] = []
        self.hooked: list[dict] = []
        self.fixed: str | None = None  # a desk that merges what it is sent answers one reference

    def __call__(self, environ, start_response):  # noqa: ANN001, ANN204
        req = Request(environ)
        form = req.form.to_dict()
        if req.method == "POST" and req.path == "/v2/requests.json" and form.get("api_key") == "desk-key":
            self.requests.append(form)
            body = f'[{{"service_request_id": "{self.fixed or f"WX-{len(self.requests)}"}", "service_notice": "ok"}}]'
            return Response(body, 201, content_type="application/json")(environ, start_response)
        if req.method == "POST" and req.path == "/v2/updates.json" and form.get("api_key") == "desk-key":
            self.updates.append(form)
            return Response('[{"status": "accepted"}]', 200, content_type="application/json")(environ, start_response)
        if req.method == "POST" and req.path == "/hook" and req.headers.get("Authorization") == "Bearer hook-token":
            self.hooked.append(req.get_json())
            return Response('{"id": "SW-7"}', 200, content_type="application/json")(environ, start_response)
        return Response('[{"code": 403, "description": "api_key"}]', 403,
                        content_type="application/json")(environ, start_response)


@pytest.fixture
def overrides() -> dict:
    return {"dispatch.retry_intervals": [0, 0, 0],
            "outside_parties.hotline": {"name": "12345市民热线", "referral": "open311",
                                        "endpoint": f"http://127.0.0.1:{DESK_PORT}/v2", "api_key": "desk-key",
                                        "service_code": "301", "jurisdiction_id": "zz"},
            "outside_parties.power": {"name": "供电公司", "phone": "95598"},
            "outside_parties.water": {"name": "供水公司", "referral": "webhook", "api_key": "hook-token",
                                      "endpoint": f"http://127.0.0.1:{DESK_PORT}/hook"}}


@pytest.fixture
def db_url(any_db_url: str) -> str:
    """SQLite and PostgreSQL."""
    return any_db_url


@pytest.fixture
def desk() -> Iterator[Desk]:
    app = Desk()
    server = make_server("127.0.0.1", DESK_PORT, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app
    server.shutdown()
    thread.join(5)


def _token(st, name: str) -> str:
    with st.session() as s:
        return tokens.add(s, st.config, name, role="write")[0]


def test_referral_out_status_back_resident_told(steward_live, live, desk, client):
    st = steward_live
    tid = new_ticket(st, text="路口的红绿灯坏了，联系人王秀英13800000001")
    drain(st)
    t = ticket_of(st, tid)
    ref, ym = t.ref, month_of(t.dispatched_at)
    assert t.status == "dispatched" and any(ref in str(m) for m in pushes_to(st, C3_FIXER))
    clock.shift(25 * 3600)  # its accept deadline has passed: due, and late
    with st.session() as s:
        assert month_rates(s, st.config, *ym, courtyard="c3", force=True)["c3"].due == 1
    login(client, STAFF)
    page = client.get(f"/staff/t/{ref}").get_data(as_text=True)
    assert 'id="form-refer"' in page and "12345市民热线" in page and "供电公司" in page
    resp = post_form(client, f"/staff/t/{ref}", f"/staff/t/{ref}/refer", {"party": "hotline", "note": "市政设施归12345"})
    assert resp.status_code == 302
    shown = client.get(f"/staff/t/{ref}").get_data(as_text=True)
    assert "已转办并送达对方" in shown and "转出 · 12345市民热线 · 对方编号 WX-1 · 已送达" in shown
    with st.session() as s:
        rid = s.scalars(select(Referral.id).where(Referral.ticket_id == tid)).one()
    sent = desk.requests[0]
    assert sent["service_code"] == "301" and sent["address_string"] == "育英街3号院" and sent["jurisdiction_id"] == "zz"
    assert "13800000001" not in sent["description"] and "王秀英" not in sent["description"]
    t = ticket_of(st, tid)
    assert (t.status, t.close_reason, t.referral) == ("closed", "not_responsible", "12345市民热线")
    with st.session() as s:
        assert s.get(Referral, rid).outside_ref == "WX-1"
        # referred: not the community's business, so left out of the response rate
        assert month_rates(s, st.config, *ym, courtyard="c3", force=True)["c3"].due == 0
    drain(st)
    told = pushes_to(st, RESIDENT)
    assert any("非本社区职责" in str(m) for m in told), told

    key = _token(st, "hotline")
    wrong = requests.post(f"{live}/open311/v2/updates.json", timeout=10,
                          data={"api_key": key, "service_request_id": "WX-9", "status": "closed"})
    assert wrong.status_code == 404 and wrong.json()[0]["code"] == 404
    other = _token(st, "someone")
    assert requests.post(f"{live}/open311/v2/updates.json", timeout=10, data={
        "api_key": other, "service_request_id": "WX-1", "status": "closed"}).status_code == 404
    resp = requests.post(f"{live}/open311/v2/updates.xml", timeout=10, data={
        "api_key": key, "service_request_id": "WX-1", "status": "closed", "status_notes": "红绿灯已修好"})
    assert resp.status_code == 200 and "<status>accepted</status>" in resp.text
    with st.session() as s:
        notes = list(s.scalars(select(TicketEventNote.note).where(TicketEventNote.ticket_id == tid)))
        assert s.get(Referral, rid).state == "closed"
    assert "12345市民热线：已办结，红绿灯已修好" in notes
    drain(st)
    assert any("红绿灯已修好" in str(m) for m in pushes_to(st, RESIDENT)), "the resident hears the answer"


def test_12345_dispatch_in_worked_and_result_reported_back(steward_live, live, desk, wechat, client):
    st = steward_live
    key = _token(st, "hotline")
    form = {"api_key": key, "service_code": "repair", "description": "粮食局家属院3号楼楼道灯坏了，市民来电反映",
            "attribute[courtyard]": "c3", "attribute[outside_party]": "hotline",
            "attribute[outside_ref]": "GD-2026-0001", "phone": "13800000009"}
    resp = requests.post(f"{live}/open311/v2/requests.json", data=form, timeout=10)
    assert resp.status_code == 201, resp.text
    ref = resp.json()[0]["service_request_id"]
    again = requests.post(f"{live}/open311/v2/requests.json", data=form, timeout=10)
    assert again.json()[0]["service_request_id"] == ref, "the same 派单 twice is one ticket"
    stranger = _token(st, "stranger")
    assert requests.post(f"{live}/open311/v2/requests.json", data=form | {"api_key": stranger},
                         timeout=10).status_code == 403
    login(client, STAFF)
    assert "派入 · 12345市民热线 · 对方编号 GD-2026-0001 · 办理中" in client.get(f"/staff/t/{ref}").get_data(as_text=True)
    with st.session() as s:
        t = s.scalars(select(Ticket).where(Ticket.ref == ref)).one()
        tid = t.id
        assert s.get(TicketIntake, tid).channel == "12345" and t.courtyard_id == "c3"
        assert s.scalars(select(Referral.outside_ref).where(Referral.ticket_id == tid)).one() == "GD-2026-0001"
    drain(st)
    assert any(ref in str(m) for m in pushes_to(st, C3_FIXER))
    assert wechat.text(C3_FIXER, f"接单 {ref}").status == 200
    drain(st)
    jobs.periodic_sweep()
    assert desk.updates == [], "nothing reported while it is open"
    assert wechat.text(C3_FIXER, f"办结 {ref} 已更换灯泡").status == 200
    drain(st)
    assert post_form(client, f"/staff/t/{ref}", f"/staff/t/{ref}/phone_callback",
                     {"solved": "1", "rating": "5", "note": "灯亮了"}).status_code == 302
    assert ticket_of(st, tid).status == "closed"
    with st.session() as s:
        r = month_rates(s, st.config, *month_of(ticket_of(st, tid).dispatched_at), courtyard="c3", force=True)["c3"]
    assert (r.dispatched, r.due, r.accepted_in_time) == (1, 1, 1), "a 派单 counts like any ticket"
    jobs.periodic_sweep()
    assert len(desk.updates) == 1
    back = desk.updates[0]
    assert back["service_request_id"] == "GD-2026-0001" and back["status"] == "closed"
    assert back["agency_responsible"] == "育英街3号院理事会" and "13800000009" not in str(back)
    jobs.periodic_sweep()
    assert len(desk.updates) == 1, "reported once"


def test_referral_by_phone_is_left_to_staff_with_the_number(steward_live, live, desk, client):
    st = steward_live
    tid = new_ticket(st, text="整个院子停电了", enqueue=False)
    ref = ticket_of(st, tid).ref
    login(client, STAFF)
    assert post_form(client, f"/staff/t/{ref}", f"/staff/t/{ref}/refer", {"party": "nobody"}).status_code == 302
    assert "没有这个外部单位" in client.get(f"/staff/t/{ref}").get_data(as_text=True)
    assert ticket_of(st, tid).status != "closed"
    assert post_form(client, f"/staff/t/{ref}", f"/staff/t/{ref}/refer", {"party": "power"}).status_code == 302
    page = client.get(f"/staff/t/{ref}").get_data(as_text=True)
    assert "请电话转交供电公司：95598" in page and "等待送达" in page
    t = ticket_of(st, tid)
    assert (t.close_reason, t.referral) == ("not_responsible", "供电公司") and desk.requests == []
    with st.session() as s:
        assert s.scalars(select(Referral.state).where(Referral.ticket_id == tid)).one() == "pending"
    assert 'id="form-referral-ref"' in page
    post_form(client, f"/staff/t/{ref}", f"/staff/t/{ref}/referral_ref", {"outside_ref": " "})
    assert "对方编号」应为" in client.get(f"/staff/t/{ref}").get_data(as_text=True)
    post_form(client, f"/staff/t/{ref}", f"/staff/t/{ref}/referral_ref", {"outside_ref": "GD95598-0042"})
    page = client.get(f"/staff/t/{ref}").get_data(as_text=True)
    assert "已电话转交供电公司，对方编号 GD95598-0042" in page and 'id="form-referral-ref"' not in page
    # the desk's answer, typed in by no one: an API token named like the party can report it
    key = _token(st, "power")
    resp = requests.post(f"{live}/open311/v2/updates.json", timeout=10,
                         data={"api_key": key, "service_request_id": "GD95598-0042", "status": "closed"})
    assert resp.status_code == 200 and "供电公司：已办结" in client.get(f"/staff/t/{ref}").get_data(as_text=True)


def test_referral_by_webhook_and_its_update(steward_live, live, desk, client):
    st = steward_live
    tid = new_ticket(st, text="院里的自来水管爆了", enqueue=False)
    ref = ticket_of(st, tid).ref
    login(client, STAFF)
    assert post_form(client, f"/staff/t/{ref}", f"/staff/t/{ref}/refer", {"party": "water"}).status_code == 302
    assert desk.hooked and desk.hooked[0]["address_string"] == "育英街3号院" and "自来水" in desk.hooked[0]["description"]
    with st.session() as s:
        assert s.scalars(select(Referral.outside_ref).where(Referral.ticket_id == tid)).one() == "SW-7"
    key = _token(st, "water")
    resp = requests.post(f"{live}/open311/v2/updates.json", timeout=10,
                         data={"api_key": key, "service_request_id": "SW-7", "status": "open", "status_notes": "已派人抢修"})
    assert resp.status_code == 200
    assert "供水公司：办理中，已派人抢修" in client.get(f"/staff/t/{ref}").get_data(as_text=True)
    drain(st)
    assert any("已派人抢修" in str(m) for m in pushes_to(st, RESIDENT))


def test_a_desk_that_is_down_gets_the_referral_from_the_sweep(steward_live, live, client):
    st = steward_live
    tid = new_ticket(st, text="路灯杆歪了", enqueue=False)
    ref = ticket_of(st, tid).ref
    login(client, STAFF)
    assert post_form(client, f"/staff/t/{ref}", f"/staff/t/{ref}/refer", {"party": "hotline"}).status_code == 302
    assert "等待送达" in client.get(f"/staff/t/{ref}").get_data(as_text=True), "nothing listens on the desk's port yet"
    with st.session() as s:
        row = s.scalars(select(Referral).where(Referral.ticket_id == tid)).one()
        assert (row.state, row.attempts, row.outside_ref) == ("pending", 1, None)
    app = Desk()
    server = make_server("127.0.0.1", DESK_PORT, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert jobs.periodic_sweep()["referrals_sent"] == 1
    finally:
        server.shutdown()
        thread.join(5)
    assert len(app.requests) == 1
    with st.session() as s:
        assert s.scalars(select(Referral.outside_ref).where(Referral.ticket_id == tid)).one() == "WX-1"
    assert jobs.periodic_sweep()["referrals_sent"] == 0


def test_a_desk_that_merges_two_referrals_answers_both(steward_live, live, desk, client):
    st = steward_live
    desk.fixed = "WX-MERGED"
    refs = [ticket_of(st, new_ticket(st, text=f"路口红绿灯坏了{i}", enqueue=False)).ref for i in (1, 2)]
    login(client, STAFF)
    for ref in refs:
        assert post_form(client, f"/staff/t/{ref}", f"/staff/t/{ref}/refer", {"party": "hotline"}).status_code == 302
    key = _token(st, "hotline")
    resp = requests.post(f"{live}/open311/v2/updates.json", timeout=10, data={
        "api_key": key, "service_request_id": "WX-MERGED", "status": "closed", "status_notes": "已合并处理"})
    assert resp.status_code == 200 and resp.json()[0]["service_request_id"] == ",".join(refs)
    for ref in refs:
        assert "12345市民热线：已办结，已合并处理" in client.get(f"/staff/t/{ref}").get_data(as_text=True)
