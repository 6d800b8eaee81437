"""Every parameter of the workbench, the council page and the JSON API is checked: NUL and control
characters, lengths, integer and date ranges give a 400 with a Chinese message — on SQLite and on
PostgreSQL (which refuses NUL in text and overflowing integers, so these used to be 500s there)."""

from __future__ import annotations

import pytest

from bot.domain.clock import to_local, utcnow
from tests.workbench_helpers import STAFF, csrf_from, login, make_ticket

AUTH = {"Authorization": "Bearer sample-api-token-change-me"}


@pytest.fixture
def db_url(any_db_url):
    """Every test here runs on SQLite and on PostgreSQL."""
    return any_db_url


@pytest.fixture
def ref(steward):
    with steward.session() as s:
        return make_ticket(s, text="楼道灯坏了", courtyard="c3").ref


def _chinese_400(resp) -> bool:
    body = resp.get_data(as_text=True)
    return resp.status_code == 400 and any("\u4e00" <= ch <= "\u9fff" for ch in body)


@pytest.mark.parametrize("path", [
    "/staff/?tab=search&q=%00",
    "/staff/?tab=search&q=" + "灯" * 101,
    "/staff/?tab=open&courtyard=c3%00",
    "/staff/?tab=open&assignee=%01",
    "/staff/t/R1%00",
    "/staff/t/" + "R" * 17,
    "/staff/events/99999999999",
    "/staff/events/1/roster.csv%00",
    "/staff/rates/?courtyard=%00",
    "/staff/ledger/?month=2026-03%00",
    "/staff/?" + "x" * 65 + "=1",
    # out of range, or not a cursor this page made: a 400, not a quietly different list
    "/staff/?tab=search&q=R1&after=99999999999999999999",
    "/staff/?tab=search&q=R1&after=1_99999999999",
    "/staff/?tab=open&after=0_2026-01-01T00:00:00_99999999999",
    "/staff/?tab=open&after=1_9999-12-31T23:59:59_1",
    "/staff/?tab=open&after=2026-01-01T00:00:00_5",
    "/staff/ledger/?month=9999-99",
    "/staff/ledger/?month=2026-13",
])
def test_workbench_query_refused(client, ref, path):
    login(client, STAFF)
    assert _chinese_400(client.get(path)), path


@pytest.mark.parametrize("path", [
    "/staff/?tab=search&q=R1&after=1_2147483647",
    "/staff/?tab=open&after=0_2099-12-31T23:59:59_1",
    "/staff/?tab=search&q=13800138000",
])
def test_odd_but_harmless_queries_answer(client, ref, path):
    login(client, STAFF)
    assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("action, data", [
    ("note", {"note": "已联系\x00物业"}),
    ("note", {"note": "很" * 4001}),
    ("reply", {"text": "\x1b[31m"}),
    ("close", {"reason": "not_responsible", "referral": "房" * 129}),
    ("summary", {"public_summary": "摘" * 201}),
    ("move", {"courtyard": "c3\x00"}),
])
def test_ticket_forms_refused(client, steward, ref, action, data):
    login(client, STAFF)
    token = csrf_from(client, f"/staff/t/{ref}")
    assert _chinese_400(client.post(f"/staff/t/{ref}/{action}", data={**data, "csrf_token": token}))


@pytest.mark.parametrize("field, value", [
    ("capacity", "99999999999"),
    ("capacity", "-5"),
    ("starts_at", "0001-01-01T00:00"),
    ("starts_at", "9999-12-31T23:59"),
    ("title", "义诊\x00"),
    ("place", "活" * 129),
])
def test_event_form_refused(client, field, value):
    login(client, STAFF)
    form = {"title": "义诊", "place": "活动室", "starts_at": f"{to_local(utcnow()).year + 1}-12-05T09:00", "capacity": "10",
            field: value}
    resp = client.post("/staff/events/new", data={**form, "csrf_token": csrf_from(client, "/staff/events/new")})
    assert _chinese_400(resp)


def test_login_with_nul_is_400(client):
    resp = client.post("/login", data={"username": "admin\x00", "password": "x", "csrf_token": csrf_from(client, "/login")})
    assert _chinese_400(resp)


@pytest.mark.parametrize("query", [
    "cursor=99999999999999",
    "cursor=-1",
    "limit=abc",
    "limit=" + "9" * 7,
    "since=0001-01-01T00:00:00%2B08:00",
    "since=9999-12-31",
    "since=yesterday",
    "status=%00",
    "courtyard=" + "c" * 17,
])
def test_api_parameters_refused(client, ref, query):
    resp = client.get("/api/tickets?" + query, headers=AUTH)
    assert resp.status_code == 400, query
    assert any("\u4e00" <= ch <= "\u9fff" for ch in resp.get_json()["error"])


def test_api_path_refused(client, ref):
    assert client.get("/api/tickets/R1%00", headers=AUTH).status_code == 400
    assert client.get("/api/tickets/R1%00/events", headers=AUTH).status_code == 400


def test_council_page_note_with_nul_is_400(client, steward, config, live_app):
    from bot.services.push.links import make_token
    from tests.oauth_helpers import open_as

    with steward.session() as s:
        t = make_ticket(s, courtyard="c3", status="dispatched")
    member = config.council("c3")[0]
    url = f"/m/ticket/{make_token(config, t.id, member.openid)}"
    page = open_as(client, url, member.openid).get_data(as_text=True)
    import re

    form_token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', page).group(1)
    resp = client.post(url, data={"verb": "accept", "form_token": form_token, "csrf_token": csrf,
                                  "note": "好\x00的"})
    assert _chinese_400(resp)
