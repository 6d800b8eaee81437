"""The audit log: every kind of change appears on the admin page (logins, failed logins, exports,
staff accounts, API tokens, members invited / bound / removed, courtyards), filtered and paged;
only admins see it; the sweep removes entries older than `[audit] keep_days`."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bot.domain.clock import utcnow
from bot.services.community import invitations, members, users
from bot.services.dispatch import departures
from bot.services.sweep import purge_audit
from bot.services.uow import audit
from bot.storage.models import AuditEntry
from bot.web import tokens
from bot.wechat.client import shared_client
from tests.fixtures_dispatch import *  # noqa: F403
from tests.workbench_helpers import ADMIN, STAFF, login, post_form

NEWCOMER = "o-test-newcomer"


def _table(page: str) -> str:
    return page[page.index('id="audit-entries"'):]


def _actions(st) -> list[tuple[str, str]]:
    with st.session() as s:
        return [(e.actor, e.action) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_every_kind_of_change_is_in_the_log_and_on_the_admin_page(steward_live, wechat, client):
    st = steward_live
    assert post_form(client, "/login", "/login", {"username": "admin", "password": "wrong-pass"}).status_code == 401
    login(client, ADMIN)
    assert client.get("/staff/ledger/export.csv").status_code == 200
    with st.session() as s:
        users.add_user(s, "wang", "王芳", "a-long-password-1", "staff")
        users.set_password(s, "wang", "another-password-2")
        tokens.add(s, st.config, "hotline", role="write")
        tokens.revoke(s, "hotline")
        members.update_courtyard(s, st.file_config, "c3", "粮食局家属院", ["3号院", "粮食局"], actor="staff:admin")
        inv = invitations.invite(s, st.config, shared_client(st.config, st.redis), actor="staff:admin",
                                 data=members.MemberInput(courtyard="c3", name="张新来", skills=("维修",)))
    wechat.event(NEWCOMER, "SCAN", inv.scene)
    assert "绑定成功" in wechat.text(NEWCOMER, "是").text
    departures.member_leaves(st, inv.member_id, actor="staff:admin")

    got = _actions(st)
    for want in [("staff:admin", "login_failed"), ("staff:admin", "login"), ("staff:admin", "export"),
                 ("cli", "user_add"), ("cli", "user_password"), ("cli", "token_add"), ("cli", "token_revoke"),
                 ("staff:admin", "courtyard_update"), ("staff:admin", "member_add"), ("staff:admin", "member_invite"),
                 (NEWCOMER, "member_bind"), ("staff:admin", "member_remove")]:
        assert want in got, (want, got)
    with st.session() as s:
        yard = s.scalars(select(AuditEntry).where(AuditEntry.action == "courtyard_update")).one()
        assert yard.before["name"] == "育英街3号院" and yard.after["aliases"] == ["3号院", "粮食局"]
        assert yard.address is None  # from a service call; the web's entries carry the address
        assert s.scalars(select(AuditEntry.address).where(AuditEntry.action == "export")).one() == "127.0.0.1"
        assert "password" not in str(s.scalars(select(AuditEntry.after).where(AuditEntry.action == "user_add")).one()
                                     ).replace("'password': '已设置'", "")

    page = _table(client.get("/admin/audit/").get_data(as_text=True))
    for label in ("登录失败", "导出", "新建账号", "修改密码", "新建令牌", "吊销令牌", "修改楼院", "邀请成员", "成员绑定微信",
                  "成员离任", "粮食局家属院"):
        assert label in page, label
    assert "别名：3号院、粮食局" in page and "名称：育英街3号院" in page
    only = _table(client.get("/admin/audit/?action=member_remove").get_data(as_text=True))
    assert "成员离任" in only and "吊销令牌" not in only
    mine = _table(client.get("/admin/audit/?actor=cli").get_data(as_text=True))
    assert "新建令牌" in mine and "成员离任" not in mine
    today = (utcnow() + timedelta(hours=8)).date()
    assert "导出" in client.get(f"/admin/audit/?since={today}&until={today}").get_data(as_text=True)
    empty = client.get(f"/admin/audit/?until={today - timedelta(days=1)}").get_data(as_text=True)
    assert "没有符合条件的记录" in empty
    assert client.get("/admin/audit/?since=2026-13-01").status_code == 400
    assert client.get("/admin/audit/?action=nonsense").status_code == 400


def test_only_admins_see_the_log(client, steward):
    login(client, STAFF)
    assert client.get("/admin/audit/").status_code == 403
    assert "操作日志" not in client.get("/staff/").get_data(as_text=True)


def test_pages_and_retention(client, steward):
    with steward.session() as s:
        for i in range(120):
            audit.record(s, "cli", "token_add", f"令牌 t{i}")
        old = audit.record(s, "cli", "token_revoke", "令牌 old")
        s.flush()
        old.at = utcnow() - timedelta(days=400)
    login(client, ADMIN)
    seen, url = [], "/admin/audit/?action=token_add"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += [int(x) for x in re.findall(r"令牌 t(\d+)", page)]
        nxt = re.search(r'href="([^"]+)" id="audit-next"', page)
        url = nxt[1].replace("&amp;", "&") if nxt else ""
    assert seen == list(range(119, -1, -1))  # newest first, each once
    assert purge_audit(steward) == 1  # [audit] keep_days = 365
    with steward.session() as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.target == "令牌 old")).first() is None
