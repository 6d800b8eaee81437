"""楼院 and 理事会 admin pages and courtyard posters, over real HTTP with the sandbox: a courtyard renamed
(routing reads it), a member added, reordered, invited with a printable QR page, bound by a scan,
deactivated with his open task handed on; every change in the audit log; council logins kept out;
the poster (workbench and `steward courtyard poster`) carries the courtyard's permanent QR code."""

from __future__ import annotations

import base64
import json
import re

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli.main import main
from bot.sandbox import qrcode as sandbox_qr
from bot.services.community import members, posters
from bot.storage.models import AuditEntry, CouncilMember, MemberInvitation, Resident
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import C3_CHAIR, C3_FIXER, drain, new_ticket, ticket_of
from tests.workbench_helpers import ADMIN, COUNCIL_C3, STAFF, login, post_form

NEWCOMER = "o-test-newcomer"
EXAMPLE = "config.example.toml"


def _audit(st) -> list[str]:
    with st.session() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_courtyard_name_and_aliases(steward_live, client):
    st = steward_live
    login(client, STAFF)
    assert "育英街3号院" in client.get("/admin/courtyards").get_data(as_text=True)
    resp = post_form(client, "/admin/courtyards", "/admin/courtyards/c3",
                     {"name": "粮食局家属院", "aliases": "3号院，粮食局、老粮食局"})
    assert resp.status_code == 302
    assert st.config.courtyard_name("c3") == "粮食局家属院"
    assert st.config.courtyard("c3").aliases == ("3号院", "粮食局", "老粮食局")
    bad = post_form(client, "/admin/courtyards", "/admin/courtyards/c3", {"name": " ", "aliases": ""})
    assert bad.status_code == 302 and "楼院名称" in client.get("/admin/courtyards").get_data(as_text=True)
    assert post_form(client, "/admin/courtyards", "/admin/courtyards/c99", {"name": "x"}).status_code == 302
    assert _audit(st).count("courtyard_update") == 1


def test_member_added_invited_bound_and_deactivated_with_his_task_handed_on(steward_live, wechat, client):
    st = steward_live
    login(client, ADMIN)
    resp = post_form(client, "/admin/council", "/admin/council", {
        "courtyard": "c3", "name": "张新来", "role": "成员", "skills": "维修", "phone": "13900000009",
        "backup_order": "0"})
    assert resp.status_code == 302
    mid = int(re.search(r"/admin/council/(\d+)", resp.headers["Location"])[1])
    resp = post_form(client, f"/admin/council/{mid}", f"/admin/council/{mid}/invite", {"hours": "48"})
    assert resp.status_code == 302 and "/invitation/" in resp.headers["Location"]
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "张新来" in page and "有效期至" in page
    png = base64.b64decode(re.search(r'src="data:image/png;base64,([^"]+)"', page)[1])
    assert png[:4] == b"\x89PNG"
    with st.session() as s:
        scene = s.scalars(select(MemberInvitation.scene).where(MemberInvitation.member_id == mid)).one()
    wechat.event(NEWCOMER, "SCAN", scene)
    assert "绑定成功" in wechat.text(NEWCOMER, "是").text
    assert "已绑定" in client.get("/admin/council?courtyard=c3").get_data(as_text=True)
    # backup order 0: he is asked first for the next repair of c3
    tid = new_ticket(st)
    drain(st)
    assert ticket_of(st, tid).assignee_openid == NEWCOMER
    refused = post_form(client, f"/admin/council/{mid}", f"/admin/council/{mid}/deactivate", {})
    assert refused.status_code == 302 and st.config.member(NEWCOMER) is not None  # not confirmed
    resp = post_form(client, f"/admin/council/{mid}", f"/admin/council/{mid}/deactivate", {"confirm": "1"})
    assert resp.status_code == 302
    assert st.config.member(NEWCOMER) is None
    t = ticket_of(st, tid)
    assert t.assignee_openid == C3_FIXER and t.status == "dispatched"
    assert "已停用" in client.get(f"/admin/council/{mid}").get_data(as_text=True)
    for action in ("member_add", "member_invite", "member_bind", "member_remove"):
        assert action in _audit(st), action
    with st.session() as s:
        removed = s.scalars(select(AuditEntry).where(AuditEntry.action == "member_remove")).one()
        assert removed.actor == "staff:admin" and removed.after["handed_on"] == [t.ref]


def test_member_edit_and_bad_input(steward_live, client):
    st = steward_live
    login(client, STAFF)
    with st.session() as s:
        members.ensure_seeded(s, st.file_config)  # (the first page view would seed it too)
        chair = s.scalars(select(CouncilMember).where(CouncilMember.openid == C3_CHAIR)).one()
        mid, name = chair.id, chair.name
    resp = post_form(client, f"/admin/council/{mid}", f"/admin/council/{mid}", {
        "courtyard": "c3", "name": name, "role": "会长", "skills": "调解", "phone": "0371-6666888", "backup_order": "7"})
    assert resp.status_code == 302
    with st.session() as s:
        assert s.get(CouncilMember, mid).backup_order == 7 and s.get(CouncilMember, mid).phone == "0371-6666888"
    bad = post_form(client, f"/admin/council/{mid}", f"/admin/council/{mid}", {
        "courtyard": "c3", "name": name, "role": "皇帝", "backup_order": "1"})
    assert bad.status_code == 302 and "角色应为" in client.get(f"/admin/council/{mid}").get_data(as_text=True)
    assert post_form(client, f"/admin/council/{mid}", f"/admin/council/{mid}", {
        "courtyard": "c3", "name": name, "backup_order": "abc"}).status_code == 400
    assert client.get("/admin/council/999999").status_code == 404
    assert "member_update" in _audit(st)


@pytest.mark.parametrize("path", ["/admin/courtyards", "/admin/council", "/admin/courtyards/c3/poster"])
def test_council_logins_are_kept_out(steward, client, path):
    login(client, COUNCIL_C3)
    assert client.get(path).status_code == 403


def test_poster_carries_the_courtyards_permanent_qr_code(steward_live, wechat, client, monkeypatch, tmp_path):
    st = steward_live
    with st.session() as s:
        members.ensure_seeded(s, st.file_config)
        s.get(CouncilMember, s.scalars(select(CouncilMember.id).where(CouncilMember.openid == C3_CHAIR)).one()
              ).phone = "13700000003"
        chair = s.scalars(select(CouncilMember.name).where(CouncilMember.openid == C3_CHAIR)).one()
    login(client, STAFF)
    page = client.get("/admin/courtyards/c3/poster").get_data(as_text=True)
    assert "扫码反映问题 / 报名活动" in page and "育英街3号院" in page and chair in page and "13700000003" in page
    content = st.redis.get(posters.QR_KEY.format("c3"))
    record = json.loads(st.redis.get(sandbox_qr.KEY + "url:" + content))
    assert record["scene"] == "c3" and record["expires_at"] is None  # permanent, scene = the courtyard
    assert posters.data_uri(content) in page
    assert client.get("/admin/courtyards/c3/poster").get_data(as_text=True) == page  # the same code every time
    assert client.get("/admin/courtyards/c99/poster").status_code == 404
    # a first follow through it places the resident in c3
    wechat.event("o-test-poster-fan", "subscribe", "qrscene_c3")
    with st.session() as s:
        assert s.scalars(select(Resident.courtyard_id).where(Resident.openid == "o-test-poster-fan")).one() == "c3"

    for key, value in (("STEWARD_DATABASE_URL", st.file_config.database_url),
                       ("STEWARD_REDIS_URL", st.file_config.redis_url),
                       ("STEWARD_WECHAT_API_BASE_URL", st.file_config.wechat.api_base_url)):
        monkeypatch.setenv(key, value)
    out = tmp_path / "poster.html"
    result = CliRunner().invoke(main, ["--config", EXAMPLE, "courtyard", "poster", "c3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert posters.data_uri(content) in html and "<style>" in html and "/static/" not in html
    bad = CliRunner().invoke(main, ["--config", EXAMPLE, "courtyard", "poster", "c99", "--out", str(out)])
    assert bad.exit_code != 0 and "没有这个楼院" in bad.output


def test_the_new_pages_are_chinese(steward_live, client):
    from tests.workbench_helpers import english_words

    login(client, ADMIN)
    client.get("/admin/council")  # seeds the directory
    with steward_live.session() as s:
        mid = s.scalars(select(CouncilMember.id).where(CouncilMember.openid == C3_CHAIR)).one()
    for path in ("/admin/courtyards", "/admin/council", f"/admin/council/{mid}", "/admin/courtyards/c3/poster",
                 "/staff/new/", "/admin/audit/", "/staff/?tab=callback"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        # the audit log names its actors as the system does (staff:NAME)
        assert not english_words(resp.get_data(as_text=True)) - {"staff", "admin"}, path
