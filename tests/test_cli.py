"""The `steward` command line, run through click with a real database and Redis."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot import config as config_mod
from bot.cli.main import main
from bot.storage.models import CouncilMember, StaffUser
from tests.conftest import ROOT, free_port

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


# -- the configuration, as the services see it ---------------------------------------------------------


def service_config(tmp_path, old: str = "", new: str = "") -> str:
    """The sample community with fresh secrets (what `serve` and `worker` accept), edited."""
    text = config_mod.production_copy((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    if old:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def steward(*args: str, cwd, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    """The real command line in its own process, as an operator runs it (no test run mode)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    clean.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], cwd=cwd, env=clean, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.parametrize("command", [["serve"], ["worker", "--burst"], ["dev", "--no-worker"]])
def test_a_misspelt_key_stops_serve_worker_and_dev(tmp_path, command):
    path = service_config(tmp_path, "urgent_accept_hours = 1", "urgent_accept_hour = 1")
    port = str(free_port())
    result = steward("--config", path, *command, *(["--port", port] if command[0] != "worker" else []),
                     cwd=tmp_path)
    assert result.returncode != 0
    assert path in result.stderr and "deadlines.urgent_accept_hour" in result.stderr
    assert "是不是 urgent_accept_hours" in result.stderr and "did you mean urgent_accept_hours" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_services_refuse_the_sample_and_name_each_secret(tmp_path, command):
    result = steward("--config", EXAMPLE, command, cwd=tmp_path)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    for key in ("wechat.token", "wechat.app_secret", "web.secret_key", "api.tokens[0]", "staff[0].password"):
        assert key in result.stderr, key
    assert "示例配置" in result.stderr and "steward dev" in result.stderr


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_services_refuse_to_start_without_a_config_toml(tmp_path, command):
    result = steward(command, cwd=tmp_path)
    assert result.returncode != 0 and "找不到配置文件 config.toml" in result.stderr
    assert "config.toml not found" in result.stderr


def test_serve_refuses_the_sandbox_and_sample_secrets_from_the_environment(tmp_path):
    path = service_config(tmp_path, "[sandbox]\n", "[sandbox]\nenabled = true\n")
    text = (tmp_path / "config.toml").read_text(encoding="utf-8").replace("enabled = false\n", "", 1)
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    result = steward("--config", path, "serve", cwd=tmp_path, STEWARD_SECRET_KEY="sample-secret-key-change-me")
    assert result.returncode != 0
    assert "sandbox.enabled" in result.stderr and "web.secret_key" in result.stderr
    assert "wechat.token" not in result.stderr  # the fresh secrets pass


def test_serve_starts_on_a_real_config(tmp_path, redis_url):
    import requests

    path, port = service_config(tmp_path), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    env.update(PYTHONPATH=str(ROOT), STEWARD_REDIS_URL=redis_url,
               STEWARD_DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}")
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli.main", "--config", path, "serve", "--port", str(port)],
                            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline, ok = time.monotonic() + 30, False
        while time.monotonic() < deadline and not ok and proc.poll() is None:
            try:
                ok = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok
            except requests.RequestException:
                time.sleep(0.2)
        assert ok, proc.stderr.read() if proc.poll() is not None else "serve did not answer"
        assert requests.get(f"http://127.0.0.1:{port}/sandbox/", timeout=5).status_code == 404
    finally:
        proc.terminate()
        proc.wait(10)


def test_config_check_prints_problems_in_both_languages(tmp_path):
    bad = service_config(tmp_path, "urgent_accept_hours = 1", "urgent_accept_hour = 1")
    result = CliRunner().invoke(main, ["--config", bad, "config", "check"])
    assert result.exit_code == 1
    assert "deadlines.urgent_accept_hour：未知配置项，是不是 urgent_accept_hours？" in result.output
    assert "deadlines.urgent_accept_hour: unknown key; did you mean urgent_accept_hours?" in result.output
    sample = CliRunner().invoke(main, ["--config", EXAMPLE, "config", "check"])
    assert sample.exit_code == 1
    assert "wechat.token：还是示例值" in sample.output and "wechat.token: is still the sample value" in sample.output
    assert "配置无误" not in sample.output


def test_config_check_ok(tmp_path):
    good = CliRunner().invoke(main, ["--config", service_config(tmp_path), "config", "check"])
    assert good.exit_code == 0 and "配置无误 / config OK" in good.output, good.output
    dev = CliRunner().invoke(main, ["--config", EXAMPLE, "config", "check", "--dev"])
    assert dev.exit_code == 0 and "配置无误 / config OK" in dev.output
    assert config_mod.run_mode() is config_mod.RunMode.TEST  # --dev does not leak its mode


def test_config_check_without_a_file(tmp_path, monkeypatch, production_mode):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STEWARD_CONFIG")
    result = CliRunner().invoke(main, ["config", "check"])
    assert result.exit_code == 1 and "找不到配置文件 config.toml" in result.output


def test_user_passwd(env):
    from bot.services.community.users import verify
    from bot.storage import db

    assert run("db", "upgrade").exit_code == 0
    ok = run("user", "passwd", "admin", STEWARD_NEW_USER_PASSWORD="a-new-admin-password")
    assert ok.exit_code == 0 and "已为 admin 设置新密码" in ok.output
    with db.session_scope(f"sqlite:///{env / 'cli.db'}") as s:
        assert verify(s, "admin", "a-new-admin-password") is not None
        assert verify(s, "admin", "sample-admin-pass") is None
    db.dispose_all()
    nobody = run("user", "passwd", "nobody", STEWARD_NEW_USER_PASSWORD="a-new-admin-password")
    assert nobody.exit_code != 0 and "没有账号 nobody" in nobody.output
    sample = run("user", "passwd", "liu", STEWARD_NEW_USER_PASSWORD="sample-staff-pass-2")
    assert sample.exit_code != 0 and "不能用示例密码" in sample.output
    short = run("user", "passwd", "liu", STEWARD_NEW_USER_PASSWORD="short")
    assert short.exit_code != 0 and "密码至少 8 位" in short.output
