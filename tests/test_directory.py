"""Issue 20 A–C: the community's structure in the database — migration of a populated database,
seeded once from the config, then the truth (the config's disagreement is reported, not applied);
`steward member invite / list / remove`; a member who leaves hands his open tasks on."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
import requests
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text

from bot.cli.main import main
from bot.services.community import members
from bot.services.community.sync import sync_from_config
from bot.services.dispatch import departures
from bot.storage import db
from bot.storage.migrate import upgrade
from bot.storage.models import Community, CouncilMember, CourtyardRow, Resident, Ticket
from tests.conftest import ROOT, blank_db_url
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import C3_BACKUP, C3_FIXER, RESIDENT, drain, new_ticket, pushes_to, ticket_of

EXAMPLE = str(ROOT / "config.example.toml")


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def old_db_url(request, tmp_path):
    """A database at today's schema (0012) holding tickets, members and residents."""
    url = blank_db_url(request.param, tmp_path)
    upgrade(url, "0012")
    engine = create_engine(url)
    with engine.begin() as c:
        for i in range(1, 4):
            c.execute(text("INSERT INTO council_members (openid, name, courtyard_id, role, skills, active, reachable) "
                           "VALUES (:o, :n, 'c3', '成员', '维修', true, :r)"),
                      {"o": f"o-sample-c3-{i}", "n": f"旧名{i}", "r": i != 2})
        for i in range(5):
            c.execute(text("INSERT INTO residents (openid, courtyard_id, subscribed, created_at) "
                           "VALUES (:o, 'c3', true, CURRENT_TIMESTAMP)"), {"o": f"o-res-{i}"})
            c.execute(text("INSERT INTO tickets (ref, category, courtyard_id, text, urgent, confidence, status, "
                           "resident_openid, assignee_openid, dispatch_attempt, reopen_count, callback_missing, "
                           "published, created_at, last_activity_at) VALUES (:ref, 'repair', 'c3', '灯坏了', false, 1.0, "
                           "'dispatched', :o, 'o-sample-c3-2', 1, 0, false, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                      {"ref": f"R{1001 + i}", "o": f"o-res-{i}"})
    engine.dispose()
    yield url
    db.dispose_all()


def test_upgrading_a_populated_database_keeps_tickets_members_and_residents(old_db_url, config):
    upgrade(old_db_url)
    with db.session_scope(old_db_url) as s:
        assert len(s.scalars(select(Resident)).all()) == 5
        assert [t.ref for t in s.scalars(select(Ticket).order_by(Ticket.id))] == [f"R{1001 + i}" for i in range(5)]
        rows = {m.openid: m for m in s.scalars(select(CouncilMember))}
        assert set(rows) == {"o-sample-c3-1", "o-sample-c3-2", "o-sample-c3-3"}
        assert rows["o-sample-c3-2"].reachable is False and rows["o-sample-c3-1"].community_id is None
        ids = {o: m.id for o, m in rows.items()}
        assert members.seed(s, replace(config, database_url=old_db_url))
    with db.session_scope(old_db_url) as s:
        rows = {m.openid: m for m in s.scalars(select(CouncilMember)) if m.openid}
        assert {o: rows[o].id for o in ids} == ids  # same rows: history and reachability kept
        assert rows["o-sample-c3-2"].reachable is False and rows["o-sample-c3-1"].name == "刘秀兰"
        assert len(rows) == 39 and all(r.community_id for r in rows.values())
        assert len(s.scalars(select(CourtyardRow)).all()) == 10


def test_seeded_once_then_the_database_is_the_truth(steward):
    assert {m.openid for m in steward.config.council("c3")} >= {C3_FIXER}  # before seeding: the file
    assert sync_from_config(steward) == []
    with steward.session() as s:
        fixer = s.scalars(select(CouncilMember).where(CouncilMember.openid == C3_FIXER)).one()
        members.update_member(s, steward.file_config, fixer.id,
                              members.MemberInput(courtyard="c3", name="陈卫东", role="楼长", skills=("维修",)))
    assert steward.config.member(C3_FIXER).role == "楼长"  # at once in this process
    differences = sync_from_config(steward)  # a second upgrade applies nothing, reports the difference
    assert any("陈卫东" in d and "楼长" in d for d in differences)
    assert steward.config.member(C3_FIXER).role == "楼长"
    with steward.session() as s:
        assert len(s.scalars(select(Community)).all()) == 1


def test_a_config_without_members_works(config, redis_client):
    from bot.services.uow.steward import Steward

    st = Steward(replace(config, members=()))
    sync_from_config(st)
    assert st.config.members == () and len(st.config.courtyards) == 10
    from bot.domain import routing

    assert routing.choose(st.config, "c3", "repair").triage


@pytest.fixture
def cli_env(tmp_path, redis_url, redis_client, monkeypatch, live, steward_live):
    monkeypatch.setenv("STEWARD_CONFIG", EXAMPLE)
    monkeypatch.setenv("STEWARD_DATABASE_URL", steward_live.file_config.database_url)
    monkeypatch.setenv("STEWARD_REDIS_URL", redis_url)
    monkeypatch.setenv("STEWARD_WECHAT_API_BASE_URL", steward_live.file_config.wechat.api_base_url)
    return steward_live


def run(*args: str):
    return CliRunner().invoke(main, ["--config", EXAMPLE, *args])


def test_member_invite_list_and_remove_from_the_command_line(cli_env):
    steward = cli_env
    result = run("member", "invite", "--courtyard", "c3", "--name", "张新来", "--role", "成员", "--skills", "维修",
                 "--json")
    assert result.exit_code == 0, result.output
    inv = json.loads(result.output)
    assert set(inv) >= {"scene", "qr_url", "expires_at"} and "showqrcode?ticket=" in inv["qr_url"]
    listed = json.loads(run("member", "list", "--courtyard", "c3", "--json").output)
    new = next(m for m in listed if m["name"] == "张新来")
    assert new["bound"] is False and len(listed) == 5
    bad = run("member", "invite", "--courtyard", "c99", "--name", "某某", "--json")
    assert bad.exit_code != 0 and "没有这个楼院" in bad.output
    gone = run("member", "remove", str(new["id"]), "--json")
    assert gone.exit_code == 0 and json.loads(gone.output)["reassigned"] == []
    assert all(m["name"] != "张新来" for m in json.loads(run("member", "list", "--json").output))
    assert run("member", "remove", str(new["id"])).exit_code != 0  # already gone: a clear error
    assert steward.config.member(C3_FIXER) is not None


def test_config_check_reports_a_disagreeing_directory(cli_env):
    steward = cli_env
    sync_from_config(steward)
    with steward.session() as s:
        row = s.scalars(select(CouncilMember).where(CouncilMember.openid == C3_BACKUP)).one()
        members.deactivate(s, steward.file_config, row.id)
    result = run("config", "check", "--dev")
    assert result.exit_code == 0 and "杨翠花" in result.output and "数据库中已停用" in result.output


def test_a_member_who_leaves_hands_on_his_open_tasks(steward_live):
    sync_from_config(steward_live)
    tid = new_ticket(steward_live)
    drain(steward_live)
    first = ticket_of(steward_live, tid)
    assert first.status == "dispatched"
    leaver = first.assignee_openid
    with steward_live.session() as s:
        member_id = s.scalars(select(CouncilMember.id).where(CouncilMember.openid == leaver)).one()
    sent = json.dumps(pushes_to(steward_live, leaver), ensure_ascii=False)
    link = re.search(r"https?://[^\s\"'\\]+/m/ticket/[^\s\"'\\]+", sent).group(0)
    assert requests.get(link, timeout=5).status_code == 200
    moved = departures.member_leaves(steward_live, member_id, actor="staff")
    drain(steward_live)
    t = ticket_of(steward_live, tid)
    assert moved == [t.ref] and t.status == "dispatched" and t.assignee_openid not in (None, leaver)
    assert steward_live.config.member(leaver) is None
    assert "R1001" in json.dumps(pushes_to(steward_live, t.assignee_openid), ensure_ascii=False)
    assert "重新交给" in json.dumps(pushes_to(steward_live, RESIDENT), ensure_ascii=False)
    assert requests.get(link, timeout=5).status_code == 404  # his task link no longer works
