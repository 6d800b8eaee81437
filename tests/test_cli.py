"""The `steward` command line, run through click with a real database and Redis."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli.main import main
from bot.storage.models import CouncilMember, StaffUser
from tests.conftest import ROOT

EXAMPLE = str(ROOT / "config.example.toml")


@pytest.fixture(autouse=True)
def restore_config_env(monkeypatch):
    """`steward --config` exports STEWARD_CONFIG for child processes; undo that after each test."""
    monkeypatch.setenv("STEWARD_CONFIG", EXAMPLE)


@pytest.fixture
def env(tmp_path, redis_url, redis_client, monkeypatch):
    monkeypatch.setenv("STEWARD_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("STEWARD_REDIS_URL", redis_url)
    return tmp_path


def run(*args: str, input: str | None = None, **env: str):
    return CliRunner().invoke(main, ["--config", EXAMPLE, *args], input=input, env=env or None)


def test_classify_writes_json_lines():
    result = run("classify", input="粮食局家属院楼道灯坏了\n有啥活动没\n谢谢你们\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [r["category"] for r in rows] == ["repair", "event", "other"]
    assert rows[0]["courtyard"] == "c3" and rows[1]["courtyard"] is None
    assert set(rows[0]) == {"text", "category", "subcategory", "confidence", "courtyard"}


def test_db_upgrade_syncs_members_and_staff(env):
    from bot.storage import db

    result = run("db", "upgrade")
    assert result.exit_code == 0 and "数据库已升级" in result.output
    url = f"sqlite:///{env / 'cli.db'}"
    with db.session_scope(url) as s:
        assert len(s.scalars(select(CouncilMember)).all()) == 39
        assert {u.username for u in s.scalars(select(StaffUser))} >= {"admin", "liu", "c3chair"}
    db.dispose_all()


def test_user_add_and_clear_errors(env):
    assert run("db", "upgrade").exit_code == 0
    ok = run("user", "add", "wang", "--name", "王芳", STEWARD_NEW_USER_PASSWORD="a-long-password")
    assert ok.exit_code == 0 and "已添加账号 wang" in ok.output
    short = run("user", "add", "zhao", "--name", "赵", STEWARD_NEW_USER_PASSWORD="short")
    assert short.exit_code != 0 and "密码至少 8 位" in short.output and "Traceback" not in short.output
    council = run("user", "add", "c9", "--name", "九号院", "--role", "council", STEWARD_NEW_USER_PASSWORD="long-enough-1")
    assert council.exit_code != 0 and "--courtyard" in council.output


def test_bad_config_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[wechat]\ntoken = "t"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["--config", str(bad), "db", "upgrade"])
    assert result.exit_code != 0 and "wechat.app_id" in result.output and "Traceback" not in result.output


def test_replay_with_nothing_to_do(env):
    assert run("db", "upgrade").exit_code == 0
    result = run("replay")
    assert result.exit_code == 0 and "成功 0 条，失败 0 条" in result.output
