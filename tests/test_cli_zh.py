"""The command line a newcomer meets: --config before or after the subcommand, the development
commands on the sample config as an operator runs them (production run mode, a real process),
click's errors and every help text in Chinese, and the demo seed with its refusals."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot import config as config_mod
from bot.cli.main import main
from bot.storage.models import Resident, Ticket
from tests.conftest import ROOT

EXAMPLE = str(ROOT / "config.example.toml")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def restore_config_env(monkeypatch):
    monkeypatch.setenv("STEWARD_CONFIG", EXAMPLE)


def steward(*args: str, cwd, input: str | None = None, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    clean.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "-m", "bot.cli.main", *args], cwd=cwd, env=clean, capture_output=True,
                          text=True, timeout=120, input=input)


def test_config_after_the_subcommand(tmp_path):
    result = steward("classify", "--config", EXAMPLE, cwd=tmp_path, input="粮食局家属院楼道灯坏了\n")
    assert result.returncode == 0, result.stderr
    assert '"courtyard": "c3"' in result.stdout


def test_digest_runs_on_the_sample_as_an_operator_runs_it(tmp_path, redis_url, redis_client):
    env = {"STEWARD_DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}", "STEWARD_REDIS_URL": redis_url}
    missing = steward("digest", "--config", EXAMPLE, "--out", "d.html", cwd=tmp_path, **env)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "数据库里还没有数据表" in missing.stderr
    assert steward("--config", EXAMPLE, "db", "upgrade", cwd=tmp_path, **env).returncode == 0
    for args in (["digest", "--config", EXAMPLE, "--out", "d.html"], ["--config", EXAMPLE, "digest", "--out", "e.html"]):
        result = steward(*args, cwd=tmp_path, **env)
        assert result.returncode == 0, result.stderr
        assert "育英社情" in result.stdout and "Traceback" not in result.stderr
    assert "育英社情" in (tmp_path / "d.html").read_text(encoding="utf-8")
    shown = steward("menu", "show", "--config", EXAMPLE, cwd=tmp_path)
    assert shown.returncode == 0 and '"button"' in shown.stdout
    # the services still refuse the sample, wherever --config is written
    serve = steward("serve", "--config", EXAMPLE, cwd=tmp_path)
    assert serve.returncode == 1 and "示例配置" in serve.stderr


@pytest.mark.parametrize(("args", "says"), [
    (["digest"], "缺少选项 '--out'"),
    (["digest", "--out"], "选项 '--out' 需要一个值"),
    (["digest", "--nope", "x"], "没有选项 '--nope'"),
    (["digest", "--out", "x.html", "--month", "2026-13"], "--month 的取值无效：月份应写成 YYYY-MM"),
    (["nope"], "没有命令 'nope'"),
    (["user", "add", "wang", "--name", "王", "--role", "boss"], "'boss' 不是"),
    (["worker", "extra"], "多出了参数"),
    (["serve", "--port", "abc"], "不是有效的数字"),
])
def test_click_errors_are_chinese(args, says):
    result = CliRunner().invoke(main, args, prog_name="steward")
    assert result.exit_code == 2, result.output
    assert says in result.output, result.output
    assert "错误：" in result.output
    assert not re.search(r"\b(Usage|Error|Try|Missing|No such|Invalid)\b", result.output), result.output


def _commands(group: click.Group, path: tuple[str, ...] = ()):
    for name, cmd in group.commands.items():
        yield (*path, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*path, name))


def test_every_command_and_option_has_chinese_help():
    found = list(_commands(main))
    assert len(found) >= 25
    for path, cmd in found:
        assert cmd.help and CJK.search(cmd.help), path
        for p in cmd.params:
            if isinstance(p, click.Option):
                assert p.help and CJK.search(p.help), (path, p.name)
        result = CliRunner().invoke(main, [*path, "--help"])
        assert result.exit_code == 0 and "选项" in result.output and "Options" not in result.output, (path, result.output)
        assert "TEXT" not in result.output and "[required]" not in result.output, (path, result.output)


def test_click_is_english_again_outside_steward():
    CliRunner().invoke(main, ["digest"])

    @click.command()
    @click.option("--out", required=True)
    def other(out: str) -> None:
        pass

    assert "Missing option '--out'" in CliRunner().invoke(other, []).output


# -- the demo month ---------------------------------------------------------------------------------


@pytest.fixture
def demo_env(tmp_path, redis_url, redis_client, monkeypatch):
    monkeypatch.setenv("STEWARD_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.db'}")
    monkeypatch.setenv("STEWARD_REDIS_URL", redis_url)
    return f"sqlite:///{tmp_path / 'demo.db'}"


def test_demo_seed_fills_a_month_once(demo_env):
    from bot.storage import db

    first = CliRunner().invoke(main, ["demo", "seed", "--config", EXAMPLE])
    assert first.exit_code == 0 and "已填入示例数据" in first.output, first.output
    again = CliRunner().invoke(main, ["demo", "seed"])
    assert again.exit_code == 0 and "没有重复填入" in again.output
    with db.session_scope(demo_env) as s:
        names = s.scalars(select(Resident.name)).all()
        assert names and all(n.startswith("示例居民") for n in names)
        statuses = dict(s.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all())
    db.dispose_all()
    assert sum(statuses.values()) >= 60
    assert {"closed", "accepted", "dispatched"} <= set(statuses), statuses


def test_demo_seed_refuses_a_real_config(tmp_path, demo_env):
    real = tmp_path / "config.toml"
    real.write_text(config_mod.production_copy((ROOT / "config.example.toml").read_text(encoding="utf-8")),
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["demo", "seed", "--config", str(real)])
    assert result.exit_code == 1 and "示例数据只用于 steward dev" in result.output, result.output


def test_demo_seed_refuses_a_database_with_real_tickets(demo_env):
    from bot.services.tickets.lifecycle import create_ticket
    from bot.storage import db
    from bot.storage.migrate import upgrade

    upgrade(demo_env)
    with db.session_scope(demo_env) as s:
        create_ticket(s, category="repair", text="楼道灯坏了", courtyard="c3", resident_openid="o-real-resident")
    db.dispose_all()
    result = CliRunner().invoke(main, ["demo", "seed"])
    assert result.exit_code == 1 and "已经有不是示例数据的工单" in result.output, result.output
