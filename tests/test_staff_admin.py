"""工作人员 (admins): accounts added, role changed, password reset (ending that account's sessions),
disabled and enabled over HTTP with CSRF, through the same functions as `steward user …`; every change
in the audit log; staff and council logins kept out; bad input is a message, never a 500."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.storage.models import AuditEntry, StaffUser
from tests.workbench_helpers import ADMIN, COUNCIL_C3, STAFF, login, post_form

PAGE = "/admin/staff"
HOME = "/staff/ledger/"  # any workbench page every role may see


def _audit(st) -> list[tuple[str, str, str | None]]:
    with st.session() as s:
        return [(e.actor, e.action, e.target) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))
                if e.action.startswith("user_")]


def _add(client, **fields) -> int:
    data = {"username": "zhao", "name": "赵敏", "role": "staff", "courtyard": "", "password": "first-pass-123",
            "password2": "first-pass-123"} | fields
    resp = post_form(client, PAGE, PAGE, data)
    assert resp.status_code == 302
    m = re.search(r"/admin/staff/(\d+)$", resp.headers["Location"])
    assert m, client.get(PAGE).get_data(as_text=True)
    return int(m[1])


def test_add_change_role_reset_password_disable_enable(steward, client, app):
    st = steward
    login(client, ADMIN)
    uid = _add(client)
    assert "赵敏" in client.get(PAGE).get_data(as_text=True)
    other = app.test_client()
    login(other, ("zhao", "first-pass-123"))
    assert other.get(HOME).status_code == 200

    page = f"{PAGE}/{uid}"
    resp = post_form(client, page, f"{page}/role", {"role": "council", "courtyard": "c3"})
    assert resp.status_code == 302
    with st.session() as s:
        u = s.get(StaffUser, uid)
        assert (u.role, u.courtyard_id) == ("council", "c3")
    assert other.get(HOME).status_code == 302  # a new role ends the old session
    login(other, ("zhao", "first-pass-123"))
    assert other.get(HOME).status_code == 200

    resp = post_form(client, page, f"{page}/password", {"password": "second-pass-456", "password2": "second-pass-456"})
    assert resp.status_code == 302 and "密码已重设" in client.get(page).get_data(as_text=True)
    assert other.get(HOME).status_code == 302 and "/login" in other.get(HOME).headers["Location"]
    fresh = app.test_client()
    login(fresh, ("zhao", "second-pass-456"))

    assert post_form(client, page, f"{page}/disable", {}).status_code == 302
    assert fresh.get(HOME).status_code == 302
    assert "已停用" in client.get(page).get_data(as_text=True)
    assert post_form(client, page, f"{page}/enable", {}).status_code == 302
    login(fresh, ("zhao", "second-pass-456"))

    actions = [(a, act) for a, act, _ in _audit(st) if _ == "账号 zhao"]
    assert actions == [("staff:admin", "user_add"), ("staff:admin", "user_update"), ("staff:admin", "user_password"),
                       ("staff:admin", "user_update"), ("staff:admin", "user_update")]
    with st.session() as s:
        e = s.scalars(select(AuditEntry).where(AuditEntry.action == "user_add")).one()
        assert e.address == "127.0.0.1" and "hash" not in str(e.after) and "first-pass" not in str(e.after)
    log = client.get("/admin/audit/?action=user_password").get_data(as_text=True)
    assert "账号 zhao" in log


@pytest.mark.parametrize(("fields", "message"), [
    ({"username": "admin"}, "已经有了"),
    ({"password": "short", "password2": "short"}, "至少 8 位"),
    ({"password2": "other-pass-789"}, "不一致"),
    ({"role": "council", "courtyard": ""}, "楼院"),
    ({"role": "council", "courtyard": "c99"}, "楼院"),
    ({"role": "king"}, "角色应为"),
    ({"username": " "}, "用户名"),
    ({"name": "名" * 40}, "姓名"),
    ({"password": "sample-pass-1", "password2": "sample-pass-1"}, "示例密码"),
])
def test_bad_input_is_a_message(steward, client, fields, message):
    login(client, ADMIN)
    data = {"username": "zhao", "name": "赵敏", "role": "staff", "courtyard": "", "password": "first-pass-123",
            "password2": "first-pass-123"} | fields
    resp = post_form(client, PAGE, PAGE, data)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(PAGE)
    assert message in client.get(PAGE).get_data(as_text=True)
    with steward.session() as s:
        assert s.scalars(select(StaffUser).where(StaffUser.username == "zhao")).first() is None
    assert not [a for a in _audit(steward) if a[1] == "user_add"]


def test_an_admin_cannot_lock_himself_out(steward, client):
    login(client, ADMIN)
    with steward.session() as s:
        me = s.scalars(select(StaffUser).where(StaffUser.username == "admin")).one().id
    page = f"{PAGE}/{me}"
    assert "这是您自己的账号" in client.get(page).get_data(as_text=True)
    for action, data in (("role", {"role": "staff"}), ("disable", {})):
        assert post_form(client, page, f"{page}/{action}", data).status_code == 302
    assert "不能在这里修改自己" in client.get(page).get_data(as_text=True)
    with steward.session() as s:
        u = s.get(StaffUser, me)
        assert (u.role, u.active) == ("admin", True)
    assert client.get(f"{PAGE}/999999").status_code == 404
    assert client.get(f"{PAGE}/99999999999999999999").status_code in (400, 404)


@pytest.mark.parametrize("account", [STAFF, COUNCIL_C3])
def test_only_admins(steward, client, account):
    login(client, account)
    with steward.session() as s:
        admin_id = s.scalars(select(StaffUser.id).where(StaffUser.username == "admin")).one()
    assert client.get(PAGE).status_code == 403 and client.get(f"{PAGE}/{admin_id}").status_code == 403
    resp = post_form(client, HOME, f"{PAGE}/{admin_id}/password", {"password": "taken-over-123",
                                                                    "password2": "taken-over-123"})
    assert resp.status_code == 403
    assert "user_password" not in [a[1] for a in _audit(steward)]


def test_without_csrf_nothing_changes(steward, client):
    login(client, ADMIN)
    resp = client.post(PAGE, data={"username": "zhao", "name": "赵敏", "role": "staff", "password": "first-pass-123",
                                   "password2": "first-pass-123"})
    assert resp.status_code == 400
    with steward.session() as s:
        assert s.scalars(select(StaffUser).where(StaffUser.username == "zhao")).first() is None
