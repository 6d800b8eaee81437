"""Workbench sessions end on logout and time out; login throttling counts failures only, per account
and per real client address (behind a trusted proxy), and works on the embedded Redis 6.2."""

from __future__ import annotations

import time

import pytest

from bot.web import sessions
from tests.workbench_helpers import ADMIN, STAFF, csrf_from, login

SESSION_COOKIE = "session"


def _copy_cookie(src, dst) -> None:
    dst.set_cookie(SESSION_COOKIE, src.get_cookie(SESSION_COOKIE).value)


def _is_logged_in(client) -> bool:
    return client.get("/staff/").status_code == 200


def test_logout_ends_a_copied_session(app, client):
    login(client, STAFF)
    thief = app.test_client()
    _copy_cookie(client, thief)
    assert _is_logged_in(thief)
    client.post("/logout", data={"csrf_token": csrf_from(client, "/staff/")})
    assert not _is_logged_in(client)
    resp = thief.get("/staff/")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")


def test_a_month_old_session_is_refused(client):
    login(client, STAFF)
    with client.session_transaction() as sess:
        sess[sessions.LOGIN_AT] = int(time.time()) - 30 * 86400
        sess[sessions.SEEN_AT] = int(time.time())
    assert not _is_logged_in(client)


def test_idle_session_times_out_and_activity_keeps_it(client, config):
    login(client, STAFF)
    idle = config.web_security.session_idle_minutes * 60
    with client.session_transaction() as sess:
        sess[sessions.SEEN_AT] = int(time.time()) - idle + 120
    assert _is_logged_in(client)  # still inside the window: this request refreshes the clock
    with client.session_transaction() as sess:
        assert sess[sessions.SEEN_AT] >= int(time.time()) - 5
        sess[sessions.SEEN_AT] = int(time.time()) - idle - 1
    assert not _is_logged_in(client)


def test_a_session_without_the_server_side_version_is_refused(client, steward):
    # What a cookie forged or kept from before looks like: a user id and nothing else.
    with client.session_transaction() as sess:
        sess["_user_id"] = "1"
        sess["_fresh"] = True
    login(client, STAFF)  # creates the accounts
    with client.session_transaction() as sess:
        del sess[sessions.VERSION]
    assert not _is_logged_in(client)


def test_password_change_ends_sessions(client, steward):
    from bot.services.community import users

    login(client, STAFF)
    with steward.session() as s:
        users.add_user(s, STAFF[0], "刘晓红", "a-new-password-123")
    assert not _is_logged_in(client)


def _fail(client, username: str, **kw) -> int:
    token = csrf_from(client, "/login")
    return client.post("/login", data={"username": username, "password": "wrong", "csrf_token": token},
                       **kw).status_code


def _good(client, account, **kw) -> int:
    token = csrf_from(client, "/login")
    resp = client.post("/login", data={"username": account[0], "password": account[1], "csrf_token": token}, **kw)
    if resp.status_code == 302:
        client.post("/logout", data={"csrf_token": csrf_from(client, "/staff/")}, **kw)
    return resp.status_code


def test_successes_are_not_counted(client):
    for _ in range(35):
        assert _good(client, STAFF) == 302


def test_failures_for_one_account_do_not_lock_it_for_other_addresses(app):
    attacker, admin = app.test_client(), app.test_client()
    for _ in range(5):
        assert _fail(attacker, ADMIN[0], environ_base={"REMOTE_ADDR": "198.51.100.7"}) == 401
    assert _fail(attacker, ADMIN[0], environ_base={"REMOTE_ADDR": "198.51.100.7"}) == 429
    assert _good(admin, ADMIN, environ_base={"REMOTE_ADDR": "198.51.100.8"}) == 302


def test_without_trusted_proxies_x_forwarded_for_is_ignored(app):
    c = app.test_client()
    for i in range(30):
        _fail(c, f"user{i}", headers={"X-Forwarded-For": f"203.0.113.{i}"})
    # Every attempt came from the same socket address, whatever the header said.
    assert _fail(c, "someone", headers={"X-Forwarded-For": "203.0.113.250"}) == 429


class TestBehindOneProxy:
    @pytest.fixture
    def overrides(self):
        return {"web.trusted_proxies": 1}

    def test_one_client_cannot_lock_out_everyone(self, app):
        proxy = {"REMOTE_ADDR": "127.0.0.1"}  # nginx on the same machine: every request comes from it
        attacker, admin = app.test_client(), app.test_client()
        for i in range(30):
            _fail(attacker, f"user{i}", environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.5"})
        assert _fail(attacker, "x", environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.5"}) == 429
        assert _good(admin, ADMIN, environ_base=proxy, headers={"X-Forwarded-For": "203.0.113.9"}) == 302

    def test_only_the_proxys_hop_is_believed(self, app):
        # A client's own X-Forwarded-For is in front of what nginx appends: only the last hop counts.
        proxy = {"REMOTE_ADDR": "127.0.0.1"}
        c = app.test_client()
        for i in range(30):
            _fail(c, f"user{i}", environ_base=proxy, headers={"X-Forwarded-For": f"10.9.9.{i}, 203.0.113.5"})
        assert _fail(c, "x", environ_base=proxy, headers={"X-Forwarded-For": "10.1.1.1, 203.0.113.5"}) == 429


class TestEmbeddedRedis62:
    @pytest.fixture
    def overrides(self, tmp_path):
        from bot.storage import redis_conn

        yield {"redis.url": redis_conn.embedded_url(tmp_path / "redis62.db")}
        redis_conn.stop_embedded(tmp_path / "redis62.db")

    def test_wrong_password_is_401_then_429(self, app, steward):
        version = steward.redis.info("server")["redis_version"]
        assert version.startswith("6.2"), version
        for _ in range(5):
            assert _fail(app.test_client(), STAFF[0]) == 401
        assert _fail(app.test_client(), STAFF[0]) == 429
        ttls = [steward.redis.ttl(k) for k in steward.redis.keys("steward:login:fail:*")]
        assert ttls and all(0 < t <= 15 * 60 for t in ttls)


def test_web_security_settings_are_validated():
    from bot import config as config_mod
    from tests.conftest import ROOT

    cfg = config_mod.load(ROOT / "config.example.toml", {"web.trusted_proxies": 2, "web.session_idle_minutes": 30})
    assert cfg.web_security.trusted_proxies == 2 and cfg.web_security.session_idle_minutes == 30
    for key, bad in (("web.trusted_proxies", -1), ("web.session_max_hours", 0), ("web.login_window_minutes", "15")):
        with pytest.raises(config_mod.ConfigError, match=key):
            config_mod.load(ROOT / "config.example.toml", {key: bad})
