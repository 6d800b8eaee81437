"""Issue 23: the security events that landed without an audit entry — a login refused by the lockout,
`steward user unlock`, `steward user disable / enable`, a replayed webhook query string refused (with
Redis, and with Redis down: the database check) — each writes one."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli.main import main
from bot.storage.models import AuditEntry
from bot.wechat import signing
from tests.conftest import free_port
from tests.workbench_helpers import STAFF, csrf_from

ROOT = Path(__file__).resolve().parents[1]
RESIDENT, FORGER = "o-resident-test-0001", "o-resident-test-0002"


def _entries(steward, action: str) -> list[AuditEntry]:
    with steward.session() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _cli(config, *args: str):
    env = {"STEWARD_DATABASE_URL": config.database_url, "STEWARD_REDIS_URL": config.redis_url}
    return CliRunner().invoke(main, ["--config", str(ROOT / "config.example.toml"), *args], env=env)


def _try(app, password: str, addr: str) -> int:
    c = app.test_client()
    token = csrf_from(c, "/login")
    return c.post("/login", data={"username": STAFF[0], "password": password, "csrf_token": token},
                  environ_base={"REMOTE_ADDR": addr}).status_code


def test_a_login_refused_by_the_lockout_and_the_unlock_are_in_the_log(app, config, steward):
    assert [_try(app, "wrong-guess", "198.51.100.7") for _ in range(5)] == [401] * 5
    assert not _entries(steward, "login_locked")
    assert _try(app, STAFF[1], "198.51.100.7") == 429  # the right password, refused by the lockout
    locked = _entries(steward, "login_locked")
    assert [(e.actor, e.target, e.address) for e in locked] == [(f"staff:{STAFF[0]}", f"账号 {STAFF[0]}", "198.51.100.7")]
    result = _cli(config, "user", "unlock", STAFF[0])
    assert result.exit_code == 0, result.output
    unlocked = _entries(steward, "user_unlock")
    assert [(e.actor, e.target) for e in unlocked] == [("cli", f"账号 {STAFF[0]}")] and unlocked[0].after["counters"] >= 2
    assert _try(app, STAFF[1], "198.51.100.7") == 302


def test_disable_and_enable_from_the_command_line_are_in_the_log(app, client, config, steward):
    assert _try(app, STAFF[1], "192.0.2.1") == 302  # the config's accounts are in the database now
    assert _cli(config, "user", "disable", STAFF[0]).exit_code == 0
    assert _cli(config, "user", "enable", STAFF[0]).exit_code == 0
    changes = [(e.actor, e.before["active"], e.after["active"]) for e in _entries(steward, "user_update")]
    assert changes == [("cli", True, False), ("cli", False, True)]


def _replay(app, cfg) -> int:
    http = app.test_client()
    params, body = signing.sign_request(cfg.wechat, signing.build_text_xml(cfg.wechat.original_id, RESIDENT,
                                                                           "3号院3号楼楼道灯坏了"), openid=RESIDENT)
    assert http.post("/wechat", query_string=params, data=body, content_type="text/xml").status_code == 200
    forged = signing.build_text_xml(cfg.wechat.original_id, FORGER, "楼道着火了").encode()
    return http.post("/wechat", query_string=params, data=forged, content_type="text/xml",
                     environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code


def test_a_replayed_webhook_query_is_in_the_log(app, config, steward):
    assert _replay(app, config) == 403
    entries = _entries(steward, "webhook_replay")
    assert [(e.actor, e.target, e.address) for e in entries] == [("system", "微信回调", "203.0.113.9")]
    assert FORGER not in str(entries[0].after) and RESIDENT not in entries[0].target


class TestRedisDown:
    @pytest.fixture
    def overrides(self):
        return {"redis.url": f"redis://127.0.0.1:{free_port()}/0", "sandbox.enabled": False}

    def test_a_replay_refused_by_the_database_check_is_in_the_log(self, app, config, steward):
        assert _replay(app, config) == 403
        assert [e.address for e in _entries(steward, "webhook_replay")] == ["203.0.113.9"]
