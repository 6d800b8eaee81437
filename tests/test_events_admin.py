"""Activities: create and edit, roster with waitlist, check-in, export, the day-before reminder."""

from __future__ import annotations

import io
from datetime import datetime as dt
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select

from bot.domain.clock import to_local, utcnow
from bot.storage.models import Event, Push, Registration
from tests.workbench_helpers import COUNCIL_C3, csrf_from, login, post_form


def _create(client, **over):
    form = {"title": "重阳节义诊", "starts_at": "2026-12-20T09:30", "place": "社区活动室", "courtyard": "",
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
        assert ev.starts_at == dt(2026, 12, 20, 1, 30)  # 09:30 Beijing is 01:30 UTC
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
              {"title": "重阳节义诊", "starts_at": "2026-12-20T09:30", "place": "社区活动室", "capacity": "5"})
    with steward.session() as s:
        assert all(r.status == "registered" for r in s.scalars(select(Registration)))


def test_roster_export(client, event_id):
    ws = openpyxl.load_workbook(io.BytesIO(client.get(f"/staff/events/{event_id}/roster.xlsx").data)).active
    assert [c.value for c in ws[1]] == ["序号", "姓名", "电话", "状态", "签到", "报名时间"]
    assert [r[1].value for r in ws.iter_rows(min_row=2)] == ["张大爷", "李阿姨", "王奶奶"]
    assert ws.freeze_panes == "A2"
    csv_body = client.get(f"/staff/events/{event_id}/roster.csv").data.decode("utf-8-sig")
    assert "王奶奶" in csv_body and "候补" in csv_body


def test_reminder_the_day_before(steward, client, event_id):
    from bot.services import event_reminders

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
