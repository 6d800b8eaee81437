"""Workbench security: logins, roles, CSRF, escaping, and the public board's privacy."""

from __future__ import annotations

import pytest

from bot.storage.models import Event
from tests.workbench_helpers import COUNCIL_C3, STAFF, csrf_from, login, make_ticket, post_form

WORKBENCH_GETS = [
    "/staff/",
    "/staff/?tab=overdue",
    "/staff/?tab=search&q=R1001",
    "/staff/t/R1001",
    "/staff/ledger/",
    "/staff/ledger/export.xlsx",
    "/staff/ledger/export.csv",
    "/staff/rates/",
    "/staff/events/",
    "/staff/events/new",
    "/staff/events/1",
    "/staff/events/1/roster.xlsx",
    "/admin/queues/",
]
WORKBENCH_POSTS = [
    "/staff/t/R1001/note",
    "/staff/t/R1001/close",
    "/staff/events/new",
    "/staff/events/1/remind",
    "/admin/queues/retry",
]


@pytest.fixture
def seeded(steward):
    with steward.session() as s:
        t1 = make_ticket(s, text="3号院楼道灯坏了", courtyard="c3")
        t5 = make_ticket(s, text="5号院下水道堵了", courtyard="c5")
        s.add(Event(title="义诊", starts_at=t1.created_at, place="活动室", capacity=10))
        return t1.ref, t5.ref


@pytest.mark.parametrize("path", WORKBENCH_GETS)
def test_every_page_needs_login(client, seeded, path):
    resp = client.get(path)
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login")


def test_posts_need_login(client, seeded, app):
    # Without a session even a valid CSRF token gets no further than the login page.
    token = csrf_from(client, "/login")
    for path in WORKBENCH_POSTS:
        resp = client.post(path, data={"csrf_token": token, "note": "x"})
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login"), path


def test_council_cannot_open_another_courtyard(client, seeded):
    own, other = seeded
    login(client, COUNCIL_C3)
    assert client.get(f"/staff/t/{own}").status_code == 200
    assert client.get(f"/staff/t/{other}").status_code == 403
    token = csrf_from(client, f"/staff/t/{own}")
    assert client.post(f"/staff/t/{other}/note", data={"csrf_token": token, "note": "x"}).status_code == 403
    # Nor see it in the queues, the ledger or the API-less search.
    assert other not in client.get("/staff/?tab=open").get_data(as_text=True)
    assert other not in client.get("/staff/ledger/?courtyard=c5").get_data(as_text=True)
    assert client.get("/admin/queues/").status_code == 403
    assert client.get("/staff/events/").status_code == 403


def test_form_post_without_csrf_token_fails(client, seeded, steward):
    own, _ = seeded
    login(client, STAFF)
    resp = client.post(f"/staff/t/{own}/note", data={"note": "no token"})
    assert resp.status_code == 400
    resp = client.post(f"/staff/t/{own}/note", data={"note": "bad token", "csrf_token": "forged"})
    assert resp.status_code == 400
    with steward.session() as s:
        from bot.storage.models import TicketEvent

        assert s.query(TicketEvent).filter_by(kind="note").count() == 0
    # The login form too.
    client.post("/logout", data={"csrf_token": csrf_from(client, "/staff/")})
    assert client.post("/login", data={"username": "liu", "password": STAFF[1]}).status_code == 400


def test_resident_script_is_shown_as_text(client, steward):
    with steward.session() as s:
        ref = make_ticket(s, text="<script>alert(1)</script> 灯坏了").ref
    login(client, STAFF)
    for path in (f"/staff/t/{ref}", "/staff/?tab=open", "/staff/ledger/?courtyard=c3", "/public/"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert(1)</script>" not in html, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"/staff/t/{ref}").get_data(as_text=True)


def test_public_board_hides_phones_and_openids(client, steward):
    openid = "oAbCdEfGhIjKlMnOpQrStUvWxYz12"
    with steward.session() as s:
        make_ticket(s, text="我是3号楼2单元501的，电话13812345678，楼道灯不亮", resident_openid=openid,
                    assignee_name="王建国", assignee_openid="o-sample-c3-1")
        make_ticket(s, text=f"联系 139-1234-5678 或 0371-65551234，我的微信 {openid}", resident_openid=openid)
        make_ticket(s, text="楼上半夜跳舞太吵", category="grievance")
    html = client.get("/public/").get_data(as_text=True)
    assert "报修" in html  # the board does show the matter, by its category
    for secret in ("13812345678", "1234-5678", "65551234", openid, "o-sample-c3-1", "501", "王建国", "跳舞",
                   "楼道灯不亮"):
        assert secret not in html, secret


def test_login_is_rate_limited(client, steward):
    for _ in range(5):
        token = csrf_from(client, "/login")
        assert client.post("/login", data={"username": "liu", "password": "wrong", "csrf_token": token}).status_code == 401
    token = csrf_from(client, "/login")
    resp = client.post("/login", data={"username": "liu", "password": STAFF[1], "csrf_token": token})
    assert resp.status_code == 429


def test_session_cookie_flags(client, steward):
    token = csrf_from(client, "/login")
    resp = client.post("/login", data={"username": STAFF[0], "password": STAFF[1], "csrf_token": token})
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_open_redirect_is_refused(client, steward):
    token = csrf_from(client, "/login")
    resp = client.post("/login?next=//evil.example/x", data={"username": STAFF[0], "password": STAFF[1],
                                                              "csrf_token": token})
    assert resp.headers["Location"] == "/staff/"


def test_post_form_helper_works(client, seeded, steward):
    own, _ = seeded
    login(client, STAFF)
    resp = post_form(client, f"/staff/t/{own}", f"/staff/t/{own}/note", {"note": "已电话联系"})
    assert resp.status_code == 302
