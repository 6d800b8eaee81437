"""Activities: create and edit, roster with waitlist, check-in, export, the day-before reminder."""

from __future__ import annotations

import io
import re
from datetime import datetime as dt
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select

from bot.domain.clock import to_local, utcnow
from bot.storage.models import Event, Push, Registration, Resident
from tests.workbench_helpers import COUNCIL_C3, csrf_from, login, post_form

# Always ahead of the clock: events in the past are refused.
YEAR = to_local(utcnow()).year + 1
START = f"{YEAR}-12-20T09:30"


def _create(client, **over):
    form = {"title": "重阳节义诊", "starts_at": START, "place": "社区活动室", "courtyard": "",
            "capacity": "2", "description": "测血压、量血糖"}
    form.update(over)
    return post_form(client, "/staff/events/new", "/staff/events/new", form)


@pytest.fixture
def event_id(client, steward):
    login(client)
    assert _create(client).status_code == 302
    with steward.session() as s:
        ev = s.scalars(select(Event)).one()
        for i, name in enumerate(["张大爷", "李阿姨", "王奶奶"]):
            s.add(Registration(event_id=ev.id, openid=f"o-res-{i}", name=name, phone=f"1380000000{i}",
                               status="registered" if i < 2 else "waitlist"))
        return ev.id


def test_create_stores_beijing_time(steward, event_id):
    with steward.session() as s:
        ev = s.get(Event, event_id)
        assert ev.starts_at == dt(YEAR, 12, 20, 1, 30)  # 09:30 Beijing is 01:30 UTC
        assert ev.courtyard_id is None and ev.capacity == 2


def test_form_errors(client, steward):
    login(client)
    assert _create(client, title="").status_code == 400
    assert _create(client, capacity="0").status_code == 400
    assert _create(client, starts_at="明天").status_code == 400


def test_roster_checkin_cancel_promotes_waitlist(client, steward, event_id):
    html = client.get(f"/staff/events/{event_id}").get_data(as_text=True)
    assert "张大爷" in html and "候补" in html and "已报名 2/2" in html
    with steward.session() as s:
        regs = {r.name: r.id for r in s.scalars(select(Registration))}
    page = f"/staff/events/{event_id}"
    post_form(client, page, f"{page}/registrations/{regs['张大爷']}/checkin", {})
    post_form(client, page, f"{page}/registrations/{regs['李阿姨']}/cancel", {})
    # a waitlisted resident cannot be checked in
    post_form(client, page, f"{page}/registrations/{regs['李阿姨']}/checkin", {})
    with steward.session() as s:
        status = {r.name: (r.status, r.checked_in) for r in s.scalars(select(Registration))}
    assert status == {"张大爷": ("registered", True), "李阿姨": ("cancelled", False), "王奶奶": ("registered", False)}


def test_raising_capacity_promotes(client, steward, event_id):
    post_form(client, f"/staff/events/{event_id}/edit", f"/staff/events/{event_id}/edit",
              {"title": "重阳节义诊", "starts_at": START, "place": "社区活动室", "capacity": "5"})
    with steward.session() as s:
        assert all(r.status == "registered" for r in s.scalars(select(Registration)))


def test_roster_export(client, event_id):
    ws = openpyxl.load_workbook(io.BytesIO(client.get(f"/staff/events/{event_id}/roster.xlsx").data)).active
    assert [c.value for c in ws[1]] == ["序号", "姓名", "电话", "楼院", "状态", "签到", "报名时间"]
    assert [r[1].value for r in ws.iter_rows(min_row=2)] == ["张大爷", "李阿姨", "王奶奶"]
    assert ws.freeze_panes == "A2"
    csv_body = client.get(f"/staff/events/{event_id}/roster.csv").data.decode("utf-8-sig")
    assert "王奶奶" in csv_body and "候补" in csv_body


@pytest.fixture
def contacts(steward, event_id):
    """Registrants as the bot records them: a resident known in c3 who gave a phone with dashes, one who
    gave none (their profile has one), a guest they signed up, and a stranger with no resident row."""
    with steward.session() as s:
        s.add_all([Resident(openid="o-res-7", courtyard_id="c3", name="赵桂兰", phone="13911112222"),
                   Resident(openid="o-res-8", courtyard_id="c5", name="孙建国", phone="13722223333")])
        s.get(Event, event_id).capacity = 10
        s.add_all([
            Registration(event_id=event_id, openid="o-res-7", name="赵桂兰", phone="139-0000-1111"),
            Registration(event_id=event_id, openid="o-res-8", name=None, phone=None),
            Registration(event_id=event_id, openid="o-res-7", name="李长顺", guest="李长顺"),
        ])
    cfg = steward.config
    return {"c3": cfg.courtyard_name("c3"), "c5": cfg.courtyard_name("c5")}


def test_roster_shows_name_phone_and_courtyard(client, contacts, event_id):
    html = client.get(f"/staff/events/{event_id}").get_data(as_text=True)
    assert "<th>楼院</th>" in html
    rows = {re.search(r"<td>\d+</td><td>([^<]+)</td>", r)[1]: r for r in html.split('<tr class="reg-')[1:]}
    assert "139-0000-1111" in rows["赵桂兰"] and contacts["c3"] in rows["赵桂兰"]  # the phone as given
    assert "13722223333" in rows["孙建国"] and contacts["c5"] in rows["孙建国"]  # from the resident's profile
    assert contacts["c3"] in rows["李长顺"]  # a guest: the courtyard of the one who signed them up
    assert "未登记" in rows["张大爷"]  # no resident row: no courtyard to show, never an id
    assert "c3<" not in html and ">c5<" not in html


def test_roster_export_has_contact_columns(client, contacts, event_id):
    ws = openpyxl.load_workbook(io.BytesIO(client.get(f"/staff/events/{event_id}/roster.xlsx").data)).active
    got = {r[1].value: (r[2].value, r[3].value) for r in ws.iter_rows(min_row=2)}
    assert got["赵桂兰"] == ("139-0000-1111", contacts["c3"])
    assert got["孙建国"] == ("13722223333", contacts["c5"])
    assert got["李长顺"] == ("13911112222", contacts["c3"])
    assert got["张大爷"] == ("13800000000", "未登记")
    assert all(r[2].data_type == "s" for r in ws.iter_rows(min_row=2))  # phones are text, not numbers
    body = client.get(f"/staff/events/{event_id}/roster.csv").data.decode("utf-8-sig")
    assert f"赵桂兰,139-0000-1111,{contacts['c3']}" in body


def test_event_in_the_past_is_refused(client, steward):
    login(client)
    past = to_local(utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    resp = _create(client, starts_at=past)
    assert resp.status_code == 400 and "开始时间已经过去了" in resp.get_data(as_text=True)
    assert _create(client, starts_at="2001-05-01T09:00").status_code == 400
    with steward.session() as s:
        assert list(s.scalars(select(Event))) == []


def test_moving_an_event_into_the_past_changes_nothing(client, steward, event_id):
    page = f"/staff/events/{event_id}/edit"
    past = to_local(utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    resp = post_form(client, page, page, {"title": "改了名字", "starts_at": past, "place": "别处", "capacity": "9"})
    assert resp.status_code == 400 and "开始时间已经过去了" in resp.get_data(as_text=True)
    with steward.session() as s:
        ev = s.get(Event, event_id)
        assert (ev.title, ev.place, ev.capacity, ev.starts_at) == ("重阳节义诊", "社区活动室", 2, dt(YEAR, 12, 20, 1, 30))


def test_an_event_already_past_cannot_be_edited(client, steward, event_id):
    with steward.session() as s:
        s.get(Event, event_id).starts_at = utcnow() - timedelta(days=2)
    page = f"/staff/events/{event_id}/edit"
    resp = post_form(client, page, page, {"title": "重阳节义诊", "starts_at": START, "place": "社区活动室",
                                          "capacity": "2"})
    assert resp.status_code == 400 and "已经开始或结束" in resp.get_data(as_text=True)
    with steward.session() as s:
        assert s.get(Event, event_id).starts_at < utcnow()


def test_reminder_the_day_before(steward, client, event_id):
    from bot.services.events import reminders as event_reminders

    local_now = to_local(utcnow())
    tomorrow_9 = dt(local_now.year, local_now.month, local_now.day, 9) + timedelta(days=1) - timedelta(hours=8)
    with steward.session() as s:
        s.get(Event, event_id).starts_at = tomorrow_9
    assert event_reminders.send_due_reminders(steward) == 1
    assert event_reminders.send_due_reminders(steward) == 0  # once
    with steward.session() as s:
        pushes = list(s.scalars(select(Push)))
        assert sorted(p.openid for p in pushes) == ["o-res-0", "o-res-1"]  # not the waitlist
        assert "重阳节义诊" in pushes[0].payload["text"]
        assert s.get(Event, event_id).reminder_sent
    # Re-running the job itself pushes nothing new (client_msg_id).
    event_reminders.send_event_reminder(steward, event_id)
    with steward.session() as s:
        assert len(list(s.scalars(select(Push)))) == 2


def test_remind_button_enqueues(client, steward, event_id, redis_url):
    from rq import Queue

    resp = post_form(client, f"/staff/events/{event_id}", f"/staff/events/{event_id}/remind", {})
    assert resp.status_code == 302
    assert f"event-reminder-{event_id}" in Queue("default", connection=steward.redis_raw).job_ids


def test_council_cannot_manage_events(client, event_id):
    client.post("/logout", data={"csrf_token": csrf_from(client, "/staff/")})
    login(client, COUNCIL_C3)
    assert client.get(f"/staff/events/{event_id}").status_code == 403
