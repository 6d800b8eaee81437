"""常见问题 and 外部单位 on the workbench (issue 20): FAQ entries and outside parties live in the database,
copied once from the config; an FAQ edited on the workbench answers the next resident through the
webhook, an outside party edited there is told of the next ticket it should hear of; every change is
checked, in the audit log, and where the config now disagrees `steward config check` says so."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.community import reference
from bot.services.community.sync import config_differences, sync_from_config
from bot.storage.models import AuditEntry, FaqRow, StaffUser
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import drain, new_ticket, pushes_to
from tests.test_directory import cli_env, run  # noqa: F401 (the fixture)
from tests.workbench_helpers import ADMIN, COUNCIL_C3, STAFF, login, post_form

FAQ, OUTSIDE = "/admin/faq", "/admin/outside"
OLD_DESK, NEW_DESK = "o-sample-property-desk", "o-test-property-night-desk"


def _audit(st) -> list[tuple[str, str, str]]:
    with st.session() as s:
        return [(e.actor, e.action, e.target) for e in s.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def _faq_id(st, word: str) -> int:
    with st.session() as s:
        return next(r.id for r in s.scalars(select(FaqRow)) if word in r.patterns)


def test_an_faq_edited_on_the_workbench_answers_the_next_resident(chat, client):
    st = chat.steward
    chat.lives("居民", "c3").play("""
        居民: 老年证咋办
          < 老年优待证 … 10 个工作日
    """)
    login(client, STAFF)
    assert "老年优待证" in client.get(FAQ).get_data(as_text=True)  # the first view copies the config's entries
    assert st.config.faq == st.file_config.faq  # same answers as before the copy
    fid = _faq_id(st, "老年证")
    resp = post_form(client, FAQ, f"{FAQ}/{fid}", {"patterns": "老年证，老年卡，优待证", "places": "",
                                                   "answer": "老年优待证改到街道便民服务中心二楼办理，带身份证，当场领证。"})
    assert resp.status_code == 302
    resp = post_form(client, FAQ, FAQ, {"patterns": "医保卡、社保卡", "places": "",
                                        "answer": "医保卡补办：带身份证到社区一楼窗口登记，约 7 个工作日领卡。"})
    assert resp.status_code == 302
    chat.play("""
        居民: 老年证咋办
          < 街道便民服务中心 … 当场领证
          <! 10 个工作日
        居民: 医保卡丢了咋补办
          < 医保卡补办 … 7 个工作日
        理事会 <<!
    """)
    assert post_form(client, FAQ, f"{FAQ}/{_faq_id(st, '医保卡')}/remove", {}).status_code == 302
    chat.play("""
        居民: 医保卡丢了咋补办
          <! 7 个工作日
    """)
    mine = [(a, act) for a, act, _ in _audit(st) if act.startswith("faq_")]
    assert mine == [("staff:liu", "faq_update"), ("staff:liu", "faq_add"), ("staff:liu", "faq_remove")]
    with st.session() as s:
        e = s.scalars(select(AuditEntry).where(AuditEntry.action == "faq_update")).one()
        assert "10 个工作日" in e.before["answer"] and "当场领证" in e.after["answer"]
    differences = config_differences(st)
    assert any("老年证" in d and "配置中" in d for d in differences)
    assert any("老年证" in d and "数据库中" in d for d in differences)


def test_an_outside_party_edited_on_the_workbench_hears_of_the_next_ticket(steward_live, client):
    st = steward_live
    login(client, ADMIN)
    assert "育英物业服务中心" in client.get(OUTSIDE).get_data(as_text=True)
    resp = post_form(client, OUTSIDE, f"{OUTSIDE}/property", {"name": "育英物业夜间值班", "openid": NEW_DESK,
                                                               "subcategories": "门禁，电梯，单元门"})
    assert resp.status_code == 302
    party = st.config.outside_parties["property"]  # who it is from the workbench; how to reach it from the config
    assert {k: party[k] for k in ("name", "openid", "subcategories")} == {
        "name": "育英物业夜间值班", "openid": NEW_DESK, "subcategories": "门禁,电梯,单元门"}
    assert party["referral"] == "phone"
    resp = post_form(client, OUTSIDE, OUTSIDE, {"key": "water", "name": "自来水公司", "openid": "o-test-water-desk",
                                                "subcategories": "停水"})
    assert resp.status_code == 302
    new_ticket(st, courtyard="c5", subcategory="单元门", text="5号院2号楼单元门关不上了")
    drain(st)
    assert len(pushes_to(st, NEW_DESK)) == 1 and pushes_to(st, OLD_DESK) == []
    new_ticket(st, courtyard="c5", subcategory="停水", text="5号院停水了", resident="o-test-resident-water")
    drain(st)
    assert len(pushes_to(st, "o-test-water-desk")) == 1 and len(pushes_to(st, NEW_DESK)) == 1
    # the routing rule names `property`: it stays; `water` goes
    assert post_form(client, OUTSIDE, f"{OUTSIDE}/property/remove", {}).status_code == 302
    assert "路由规则" in client.get(OUTSIDE).get_data(as_text=True) and "property" in st.config.outside_parties
    assert post_form(client, OUTSIDE, f"{OUTSIDE}/water/remove", {}).status_code == 302
    assert "water" not in st.config.outside_parties
    assert [act for _, act, _ in _audit(st) if act.startswith("party_")] == ["party_update", "party_add",
                                                                             "party_remove"]
    assert any("property" in d and "育英物业夜间值班" in d for d in config_differences(st))


def test_bad_input_is_a_message_and_changes_nothing(steward_live, client):
    st = steward_live
    login(client, STAFF)
    client.get(FAQ)
    fid = _faq_id(st, "老年证")
    for data, message in (({"patterns": " ，", "answer": "x"}, "至少填一个问题关键词"),
                          ({"patterns": "a", "answer": "  "}, "答案不能为空"),
                          ({"patterns": "a", "answer": "长" * 601}, "答案太长"),
                          ({"patterns": "词" * 33, "answer": "x"}, "最多 32 个字")):
        assert post_form(client, FAQ, f"{FAQ}/{fid}", data).status_code == 302
        assert message in client.get(FAQ).get_data(as_text=True), message
    assert post_form(client, FAQ, f"{FAQ}/999999", {"patterns": "a", "answer": "b"}).status_code == 302
    assert "没有编号为 999999" in client.get(FAQ).get_data(as_text=True)
    assert post_form(client, FAQ, f"{FAQ}/99999999999999999999/remove", {}).status_code in (302, 400)
    for key, data, message in (("bad key!", {"name": "x"}, "编号只能用"), ("property", {"name": "x"}, "已经有了"),
                               ("gas", {"name": " "}, "单位名称"), ("gas", {"name": "燃气", "openid": "a b"}, "openid")):
        assert post_form(client, OUTSIDE, OUTSIDE, {"key": key, **data}).status_code == 302
        assert message in client.get(OUTSIDE).get_data(as_text=True), message
    assert post_form(client, OUTSIDE, f"{OUTSIDE}/nobody", {"name": "x"}).status_code == 302
    assert st.config.faq == st.file_config.faq and st.config.outside_parties == st.file_config.outside_parties
    assert not [a for a in _audit(st) if a[1].startswith(("faq_", "party_"))]
    assert config_differences(st) == []


def test_council_logins_are_kept_out(steward, client):
    login(client, COUNCIL_C3)
    for path in (FAQ, OUTSIDE):
        assert client.get(path).status_code == 403


def test_before_the_copy_the_config_answers(steward):
    """A database seeded before these tables existed keeps the config's entries until the copy."""
    from bot.services.community import members
    with steward.session() as s:
        members.ensure_seeded(s, steward.file_config)
    assert steward.config.faq == steward.file_config.faq
    with steward.session() as s:
        assert reference.seed(s, steward.file_config) and not reference.seed(s, steward.file_config)
    assert steward.config.faq == steward.file_config.faq
    assert steward.config.outside_parties == steward.file_config.outside_parties


def test_config_check_reports_what_the_workbench_changed(cli_env, client):  # noqa: F811
    st = cli_env
    sync_from_config(st)
    login(client, STAFF)
    post_form(client, OUTSIDE, f"{OUTSIDE}/property", {"name": "育英物业夜间值班", "openid": NEW_DESK,
                                                      "subcategories": "门禁"})
    post_form(client, FAQ, f"{FAQ}/{_faq_id(st, '低保')}/remove", {})
    result = run("config", "check", "--dev")
    assert result.exit_code == 0, result.output
    assert "外部单位 property：配置为「育英物业服务中心」，数据库为「育英物业夜间值班」" in result.output
    assert "常见问题「低保、最低生活保障、困难补助」在配置中，数据库中没有" in result.output
    assert st.config.outside_parties["property"]["openid"] == NEW_DESK  # reported, never applied


def test_user_role_from_the_command_line(cli_env):  # noqa: F811
    sync_from_config(cli_env)  # the config's accounts, as `steward db upgrade` makes them
    assert run("user", "role", "liu", "--role", "council", "--courtyard", "c99").exit_code != 0
    result = run("user", "role", "liu", "--role", "council", "--courtyard", "c3")
    assert result.exit_code == 0, result.output
    with cli_env.session() as s:
        u = s.scalars(select(StaffUser).where(StaffUser.username == "liu")).one()
        assert (u.role, u.courtyard_id) == ("council", "c3")
        assert s.scalars(select(AuditEntry.action).where(AuditEntry.target == "账号 liu")).all() == ["user_update"]
