"""Fixtures for the WeChat client and sandbox tests: the sandbox served for real over HTTP.

Import them into a test module (`from tests.fixtures_wechat import sandbox_fixture, wx_fixture`);
they register as `sandbox` and `wx` and build on conftest's `config`, `redis_client`, `web_port`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import redis as redis_lib

from bot.config import Config, WeChatConfig
from bot.sandbox.standalone import create_sandbox_app
from bot.wechat.client import StewardClient, get_client


@pytest.fixture(name="sandbox")
def sandbox_fixture(config: Config, redis_client: redis_lib.Redis, web_port: int) -> Iterator[str]:
    """The standalone sandbox app on loopback; yields its base URL (http://127.0.0.1:PORT)."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", web_port, create_sandbox_app(config), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{web_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(name="wx")
def wx_fixture(config: Config, redis_client: redis_lib.Redis, sandbox: str) -> StewardClient:
    """A client against the sandbox with a short timeout (timeout faults stay fast)."""
    return get_client(config, redis_client, timeout=1.0)


def fetch_token_in_process(wechat: WeChatConfig, redis_url: str, go: Any, out: Any) -> None:
    """Body of a separate worker process: wait for the start signal, then ask for a token."""
    client = get_client(wechat, redis_lib.Redis.from_url(redis_url, decode_responses=True), timeout=5.0)
    go.wait(10)
    try:
        out.put(("ok", client.access_token))
    except Exception as exc:  # report, don't hang the parent
        out.put(("error", repr(exc)))
