"""Every workbench page speaks Chinese: the visible text (and placeholders, titles, button labels) of
each page and error page, rendered through the app, has no English words left but product and
format names; the month picker is a Chinese <select>, not the browser-labelled <input type="month">."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.domain.clock import to_local, utcnow
from bot.storage.models import Event, Registration
from tests.workbench_helpers import ADMIN, english_words, login, make_ticket


@pytest.fixture
def pages(client, steward):
    with steward.session() as s:
        ref = make_ticket(s, text="楼道灯坏了", courtyard="c3", urgent=True).ref
        ev = Event(title="义诊", starts_at=utcnow() + timedelta(days=3), place="活动室", capacity=5)
        s.add(ev)
        s.flush()
        s.add(Registration(event_id=ev.id, openid="o-res-1", name="张大爷", phone="13800000000"))
        event_id = ev.id
    login(client, ADMIN)
    return [
        "/staff/", "/staff/?tab=overdue", "/staff/?tab=open", "/staff/?tab=search&q=灯", f"/staff/t/{ref}",
        "/staff/ledger/", "/staff/rates/", "/staff/events/", "/staff/events/new", f"/staff/events/{event_id}",
        f"/staff/events/{event_id}/edit", "/staff/handoffs/", "/staff/digest/", "/staff/calendar/",
        "/admin/queues/", "/admin/residents/erase", "/public/",
    ]  # /api/docs: tests/test_api_docs.py


def test_every_page_is_chinese(client, pages):
    for path in pages:
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert not english_words(resp.get_data(as_text=True)), (path, english_words(resp.get_data(as_text=True)))


@pytest.mark.parametrize("path, status", [
    ("/staff/nope", 404), ("/staff/?tab=bogus", 400), ("/staff/ledger/?month=2026-13", 400),
    ("/staff/t/R9999", 404), ("/staff/events/1/roster.pdf", 404),
])
def test_error_pages_are_chinese(client, pages, path, status):
    resp = client.get(path)
    page = resp.get_data(as_text=True)
    assert resp.status_code == status and re.search(r"[\u4e00-\u9fff]{4}", page), path
    assert not english_words(page), (path, english_words(page))


def test_login_and_logged_out_pages_are_chinese(app):
    fresh = app.test_client()
    for path in ("/login", "/staff/"):
        resp = fresh.get(path, follow_redirects=True)
        assert resp.status_code == 200 and not english_words(resp.get_data(as_text=True)), path


@pytest.mark.parametrize("path", ["/staff/ledger/", "/staff/rates/", "/staff/digest/"])
def test_month_picker_is_a_chinese_select(client, pages, path):
    page = client.get(path).get_data(as_text=True)
    assert 'type="month"' not in page
    select = re.search(r'<select name="month">(.*?)</select>', page, flags=re.S)
    assert select, path
    options = re.findall(r'<option value="(\d{4}-\d{2})"( selected)?>(\d{4})年(\d{1,2})月</option>', select.group(1))
    assert len(options) >= 36 and all(f"{y}-{int(m):02d}" == v for v, _, y, m in options)
    assert sum(1 for _, sel, _, _ in options if sel) == 1
    now = to_local(utcnow())
    this_month = f"{now.year:04d}-{now.month:02d}"
    assert (this_month in [v for v, *_ in options]) == (path != "/staff/digest/")  # a digest is of a finished month


def test_month_picker_keeps_an_older_month_and_refuses_nonsense(client, pages):
    page = client.get("/staff/ledger/?month=2001-02").get_data(as_text=True)
    assert '<option value="2001-02" selected>2001年2月</option>' in page
    for bad in ("2026-1", "26-01", "2026-00", "二〇二六年一月", "2026-01%00"):
        resp = client.get(f"/staff/ledger/?month={bad}")
        assert resp.status_code == 400 and "月份" in resp.get_data(as_text=True), bad
