"""The work queues: urgent tickets first in every list (then newest activity, or newest ticket),
keyset paging that crosses from urgent to the rest without losing or repeating a ticket, and a 400
in Chinese for a filter value the page does not offer — on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime as dt
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.storage.models import Ticket
from bot.web import queues
from tests.workbench_helpers import STAFF, login, make_ticket

ROW = re.compile(r'<tr class="(urgent)?">\s*<td><a href="/staff/t/(R\d+)"')
NEXT = re.compile(r'<p class="pager"><a href="([^"]+)">')
BASE = dt(2026, 3, 1, 8)


@pytest.fixture
def db_url(any_db_url):
    return any_db_url


@pytest.fixture
def mixed(steward):
    """53 urgent and 52 other open tickets, interleaved in time, three to a minute (ties on
    last_activity_at, which the id breaks); the urgent ones end early on page two."""
    with steward.session() as s:
        for i in range(105):
            urgent = i % 2 == 0
            when = BASE + timedelta(minutes=i // 3)  # three tickets share each minute
            make_ticket(s, text=f"第{i}件", courtyard="c3", urgent=urgent, created_at=when,
                        status="dispatched", accept_due_at=BASE - timedelta(days=1))
        rows = s.scalars(select(Ticket)).all()
        return [t.ref for t in sorted(rows, key=lambda t: (not t.urgent, -t.last_activity_at.timestamp(), -t.id))]


def _walk(client, url: str) -> tuple[list[str], list[bool], int]:
    refs, urgent, pages = [], [], 0
    while url:
        html = client.get(url).get_data(as_text=True)
        pages += 1
        rows = ROW.findall(html)
        refs += [r for _, r in rows]
        urgent += [bool(u) for u, _ in rows]
        m = NEXT.search(html)
        url = m.group(1).replace("&amp;", "&") if m else ""
    return refs, urgent, pages


@pytest.mark.parametrize("tab", ["open", "overdue", "search"])
def test_every_queue_pages_urgent_first_without_loss(client, mixed, tab):
    login(client, STAFF)
    refs, urgent, pages = _walk(client, f"/staff/?tab={tab}" + ("&q=第" if tab == "search" else ""))
    assert pages == 3 and len(refs) == len(set(refs)) == 105
    assert urgent == sorted(urgent, reverse=True) and sum(urgent) == 53
    if tab != "search":
        assert refs == mixed  # urgent, then newest activity, then the newer ticket of a tie


def test_search_is_urgent_then_newest_ticket(client, mixed, steward):
    login(client, STAFF)
    refs, _, _ = _walk(client, "/staff/?tab=search&q=第")
    with steward.session() as s:
        rows = {t.ref: t for t in s.scalars(select(Ticket))}
    assert refs == sorted(rows, key=lambda r: (not rows[r].urgent, -rows[r].id))


@pytest.mark.parametrize("size", [1, 2, 3, 7, 52, 53, 54])
def test_page_boundaries_never_lose_or_repeat(steward, mixed, size):
    """Pages of every size, so a page ends on each side of the urgent / not urgent edge and inside ties."""
    with steward.session() as s:
        for by_id in (False, True):
            seen, after = [], None
            while True:
                rows, after = queues.page(s, [Ticket.status == "dispatched"], after, by_id=by_id, size=size)
                seen += [t.ref for t in rows]
                if after is None:
                    break
            assert len(seen) == len(set(seen)) == 105
            if not by_id:
                assert seen == mixed


def test_triage_urgent_first(client, steward):
    with steward.session() as s:
        calm = make_ticket(s, courtyard=None, created_at=BASE + timedelta(hours=2)).ref
        loud = make_ticket(s, courtyard=None, urgent=True, created_at=BASE).ref
    login(client, STAFF)
    html = client.get("/staff/?tab=triage").get_data(as_text=True)
    assert [r for _, r in ROW.findall(html)] == [loud, calm]


def test_ledger_lists_urgent_first(client, steward):
    with steward.session() as s:
        first = make_ticket(s, created_at=dt(2026, 3, 2)).ref
        later_urgent = make_ticket(s, urgent=True, created_at=dt(2026, 3, 20)).ref
        second = make_ticket(s, created_at=dt(2026, 3, 5)).ref
    login(client, STAFF)
    html = client.get("/staff/ledger/?month=2026-03").get_data(as_text=True)
    assert re.findall(r'href="/staff/t/(R\d+)"', html) == [later_urgent, first, second]


@pytest.mark.parametrize("query", [
    "tab=bogus",
    "tab=open&status=closed",  # not an open status: the open tab does not offer it
    "tab=open&status=bogus",
    "tab=open&courtyard=c99",
    "tab=open&category=nope",
    "tab=open&assignee=没这个人",
    "tab=open&status=%00dispatched",
    "tab=open&courtyard=c3%00",
    "tab=open&after=garbage",
    "tab=open&after=1_2026-02-30T00:00:00_5",
    "tab=open&after=1_2026-01-01T00:00:00_0",
    "tab=search&q=R1&after=2_5",
    "tab=search&q=R1&after=1_-5",
])
def test_unknown_filter_values_are_a_chinese_400(client, steward, query):
    login(client, STAFF)
    resp = client.get("/staff/?" + query)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "请求有误" in body, query
    assert re.search(r"[\u4e00-\u9fff]{4}", body.split("<body", 1)[1])


def test_known_filter_values_answer(client, steward):
    with steward.session() as s:
        make_ticket(s, status="dispatched", assignee_name=steward.config.council("c3")[0].name)
    login(client, STAFF)
    member = steward.config.council("c3")[0].name
    for query in ("", "tab=open&status=dispatched&courtyard=c3&category=repair", f"tab=open&assignee={member}",
                  "tab=open&category=other", "tab=overdue", "tab=search&q=灯"):
        assert client.get("/staff/?" + query).status_code == 200, query
