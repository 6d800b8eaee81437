"""README.md's first hour, run as a newcomer runs it: every command in the `sh` blocks of 第一个小时,
verbatim through bash, from an empty directory, in order, against the live `steward dev` the first
one starts. `.venv/bin/steward` there is a two-line wrapper for this checkout's code. Two words are
added, and only these: `--port` to `steward dev` and `--url` to `steward chat` (another session may
hold port 5000). Every command of the command table answers `--help` in Chinese."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from bot import config as config_mod
from bot.domain import routing
from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.slow
README = (ROOT / "README.md").read_text(encoding="utf-8")


def first_hour_commands() -> list[str]:
    section = README.split("### 第一个小时", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def table_commands() -> list[list[str]]:
    """`steward x y` of each row of the command table (words up to the first argument or option)."""
    table = README.split("## 命令 / Commands", 1)[1].strip().split("\n\n", 1)[0]
    out = []
    for cell in re.findall(r"^\| `steward ([^`]*)`", table, flags=re.M):
        words = []
        for w in cell.split():
            if not re.fullmatch(r"[a-z]+", w):
                break
            words.append(w)
        out.append(words)
    return out


def test_the_readme_names_the_member_who_gets_the_first_lamp():
    cfg = config_mod.load(ROOT / "config.example.toml")
    route = routing.choose(cfg, "c3", "repair", "照明", load={})
    assert route.primary is not None and route.backup is not None
    assert f"{route.primary.name}\n   `{route.primary.openid}`" in README or \
        f"{route.primary.name} `{route.primary.openid}`" in README.replace("\n   ", " ")
    assert f"steward chat --as {route.primary.openid}" in README
    assert route.backup.openid in README


@pytest.mark.parametrize("words", table_commands(), ids=lambda w: " ".join(w))
def test_every_command_in_the_table_exists_and_helps_in_chinese(words):
    assert len(table_commands()) >= 15
    from click.testing import CliRunner

    from bot.cli.main import main

    result = CliRunner().invoke(main, [*words, "--help"])
    assert result.exit_code == 0, result.output
    assert "用法" in result.output and "显示本帮助并退出" in result.output
    assert re.search(r"[\u4e00-\u9fff]", result.output.split("\n\n")[1]), result.output  # its own help line


@pytest.fixture
def newcomer(tmp_path: Path):
    """An empty directory with `.venv/bin/steward`, and an environment with no STEWARD_* settings."""
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    wrapper = tmp_path / ".venv" / "bin" / "steward"
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH="{ROOT}" exec "{sys.executable}" -m bot.cli.main "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    env["PYTHONUNBUFFERED"] = "1"
    return tmp_path, env


def test_the_first_hour(newcomer):
    cwd, env = newcomer
    commands = first_hour_commands()
    assert commands[0] == ".venv/bin/steward dev --demo", commands
    assert len(commands) >= 6
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(cwd / "dev.log", "w")
    dev = subprocess.Popen(["bash", "-c", f"exec {commands[0]} --port {port}"], cwd=cwd, env=env, stdout=log,
                           stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and dev.poll() is None:
            try:
                if requests.get(f"{base}/healthz", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        else:
            pytest.fail("steward dev --demo did not come up:\n" + (cwd / "dev.log").read_text())
        dev_log = (cwd / "dev.log").read_text()
        assert "已填入示例数据" in dev_log and "示例居民" in dev_log, dev_log
        ran = []
        for line in commands[1:]:
            stdin = ""
            if " chat " in f" {line} ":
                line = f"{line} --url {base}"
                stdin = "粮食局家属院2号楼楼道灯坏了\n" if "o-demo-resident" in line else ""
            result = subprocess.run(["bash", "-o", "pipefail", "-c", line], cwd=cwd, env=env, input=stdin,
                                    capture_output=True, text=True, timeout=120)
            assert result.returncode == 0, (line, result.stdout, result.stderr)
            assert "Traceback" not in result.stderr, (line, result.stderr)
            ran.append((line, result.stdout))
        out = dict(ran)
        resident = next(v for k, v in out.items() if "o-demo-resident" in k)
        assert "工单号" in resident, resident
        digest = next(v for k, v in out.items() if "digest --out" in k)
        assert "件诉求" in digest and not re.search(r"：0 件诉求", digest), digest
        assert "示例数据" in (cwd / "var" / "digest.html").read_text(encoding="utf-8")
        classified = next(v for k, v in out.items() if "classify" in k)
        assert '"courtyard": "c3"' in classified
        # The demo month is on the pages a newcomer opens first.
        board = requests.get(f"{base}/public", timeout=10).text
        assert "示例数据" in board and "还没有公开事项" not in board
    finally:
        os.killpg(dev.pid, signal.SIGTERM)
        try:
            dev.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(dev.pid, signal.SIGKILL)
        log.close()
        stop_embedded_redis(cwd / "var")


def stop_embedded_redis(var: Path) -> None:
    """`steward dev`'s embedded Redis runs detached from the process group: stop the one it started."""
    import json

    import redis

    for settings in var.glob("*.settings"):
        sock = json.loads(settings.read_text(encoding="utf-8")).get("unixsocket")
        try:
            redis.Redis(unix_socket_path=sock, socket_timeout=2).shutdown(nosave=True)
        except redis.RedisError:
            pass  # gone already (shutdown closes the connection as it succeeds)
