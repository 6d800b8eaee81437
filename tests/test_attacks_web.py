"""Issue 23, "safe on the internet, round 2": the web attacks, each through real HTTP on the app.

Nested JSON, a newline in `next`, sessions after a password reset / disable / role change, a member's
task link after the ticket moved away, readiness while the database or Redis is gone."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli.main import main
from bot.services.casework import staff as staff_ops
from bot.services.push.links import make_token
from bot.storage.models import Ticket
from bot.web import tokens
from tests.conftest import ROOT, free_port
from tests.workbench_helpers import ADMIN, STAFF, csrf_from, login, make_ticket

STAFF_ACTOR = SimpleNamespace(username="liu", name="刘晓红")


def _is_logged_in(client) -> bool:
    return client.get("/staff/").status_code == 200


# -- 5: nested JSON -------------------------------------------------------------------------------

def test_deeply_nested_json_is_400_not_500(client, steward):
    with steward.session() as s:
        ref = make_ticket(s, text="楼道灯坏了").ref
        value, _ = tokens.add(s, steward.config, "物业系统", "write", None)
    auth = {"Authorization": f"Bearer {value}", "Content-Type": "application/json"}
    for body in ("[" * 2000, "{\"note\": " + "[" * 5000 + "]" * 5000 + "}", "[" * 100_000):
        resp = client.post(f"/api/tickets/{ref}/notes", data=body, headers=auth)
        assert resp.status_code == 400, resp.status_code
        assert "JSON" in resp.get_json()["error"] or "太大" in resp.get_json()["error"]
    # brackets inside a string are text, not nesting
    resp = client.post(f"/api/tickets/{ref}/notes", json={"note": "[" * 300 + "已上门"}, headers=auth)
    assert resp.status_code == 201


def test_oversized_json_is_400(client, steward):
    with steward.session() as s:
        ref = make_ticket(s).ref
        value, _ = tokens.add(s, steward.config, "物业系统", "write", None)
    resp = client.post(f"/api/tickets/{ref}/notes", json={"note": "很" * 20_000},
                       headers={"Authorization": f"Bearer {value}"})
    assert resp.status_code == 400 and "太大" in resp.get_json()["error"]


# -- 6: a newline in `next` -----------------------------------------------------------------------

def test_newline_in_next_is_no_500_and_stays_on_site(client):
    for target in ("/staff/%0aX:1", "/staff/%0d%0aSet-Cookie:x=1", "/staff/%09x", "/%5c%5cevil.example"):
        token = csrf_from(client, "/login")
        resp = client.post(f"/login?next={target}", data={"username": STAFF[0], "password": STAFF[1],
                                                          "csrf_token": token})
        assert resp.status_code == 302, (target, resp.status_code)
        location = resp.headers["Location"]
        assert "\n" not in location and "\r" not in location and "evil" not in location
        assert location.endswith("/staff/"), location
        client.post("/logout", data={"csrf_token": csrf_from(client, "/staff/")})
    # a logged-in visitor at /login?next=… is redirected the same safe way
    login(client, STAFF)
    resp = client.get("/login?next=/staff/%0aX:1")
    assert resp.status_code == 302 and "\n" not in resp.headers["Location"]


# -- 7: sessions end on password reset, disable and role change ------------------------------------

def _cli(config, *args: str):
    env = {"STEWARD_DATABASE_URL": config.database_url, "STEWARD_REDIS_URL": config.redis_url,
           "STEWARD_NEW_USER_PASSWORD": "a-brand-new-Passw0rd"}
    return CliRunner().invoke(main, ["--config", str(ROOT / "config.example.toml"), *args], env=env)


def test_password_reset_from_the_command_line_ends_old_sessions(app, client, config):
    login(client, STAFF)
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert _is_logged_in(client) and _is_logged_in(thief)
    result = _cli(config, "user", "passwd", STAFF[0])
    assert result.exit_code == 0, result.output
    assert not _is_logged_in(client) and not _is_logged_in(thief)


def test_disable_and_role_change_end_sessions(client, config):
    login(client, STAFF)
    result = _cli(config, "user", "disable", STAFF[0])
    assert result.exit_code == 0 and "已停用" in result.output, result.output
    assert not _is_logged_in(client)
    token = csrf_from(client, "/login")
    resp = client.post("/login", data={"username": STAFF[0], "password": STAFF[1], "csrf_token": token})
    assert resp.status_code == 401
    login(client, ADMIN)
    result = _cli(config, "user", "add", ADMIN[0], "--name", "管理员", "--role", "staff")
    assert result.exit_code == 0, result.output
    assert not _is_logged_in(client)


# -- 8: a member's task link after the ticket moved to another courtyard ---------------------------

def test_moved_ticket_is_no_longer_shown_to_the_old_courtyard(client, steward, config, live_app):
    from tests.oauth_helpers import open_as

    member = config.council("c3")[1]
    with steward.session() as s:
        t = make_ticket(s, text="3号楼王秀英家楼道灯坏了", courtyard="c3", status="dispatched",
                        assignee_openid=member.openid, assignee_name=member.name)
        staff_ops.note(s, t, STAFF_ACTOR, "已电话联系住户")
        tid = t.id
    path = f"/m/ticket/{make_token(config, tid, member.openid)}"
    page = open_as(client, path, member.openid)
    assert page.status_code == 200 and "王秀英" in page.get_data(as_text=True)
    with steward.session() as s:
        staff_ops.move(s, s.get(Ticket, tid), STAFF_ACTOR, config, "c5")
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 403 and "已转给其他楼院" in html
    for private in ("王秀英", "楼道灯", "已电话联系", "接单"):
        assert private not in html, private
    media = client.get(f"{path}/media/1")
    assert media.status_code in (403, 404)


def test_reassigned_ticket_is_no_longer_shown_to_the_old_assignee(client, steward, config, live_app):
    from tests.oauth_helpers import open_as

    first, second = config.council("c3")[1], config.council("c3")[2]
    with steward.session() as s:
        t = make_ticket(s, text="单元门坏了", courtyard="c3", status="dispatched",
                        assignee_openid=first.openid, assignee_name=first.name)
        tid = t.id
    path = f"/m/ticket/{make_token(config, tid, first.openid)}"
    assert open_as(client, path, first.openid).status_code == 200
    with steward.session() as s:
        staff_ops.reassign(s, s.get(Ticket, tid), STAFF_ACTOR, config, second.openid)
    from rq import Queue, SimpleWorker  # the real dispatch job sets the new assignee

    from bot.services.uow import jobs

    SimpleWorker([Queue(n, connection=steward.redis_raw) for n in jobs.worker_queues(()) if n.startswith("dispatch")],
                 connection=steward.redis_raw).work(burst=True)
    with steward.session() as s:
        assert s.scalars(select(Ticket.assignee_openid).where(Ticket.id == tid)).one() == second.openid
    html = client.get(path).get_data(as_text=True)
    assert "单元门坏了" not in html and "已转给其他楼院或其他人" in html


# -- 14: readiness ---------------------------------------------------------------------------------

def test_readyz_is_ready_with_both_and_healthz_is_liveness(client):
    resp = client.get("/readyz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ready", "database": "ok", "redis": "ok"}
    assert client.get("/healthz").get_data(as_text=True) == "ok"


class TestAway:
    def test_readyz_503_without_redis(self, config, redis_client):
        from dataclasses import replace

        from bot.app import create_app

        cfg = replace(config, redis_url=f"redis://127.0.0.1:{free_port()}/0")
        c = create_app({"STEWARD_CONFIG": cfg, "TESTING": True}).test_client()
        resp = c.get("/readyz")
        assert resp.status_code == 503 and resp.get_json()["redis"] == "unreachable"
        assert c.get("/healthz").status_code == 200

    def test_readyz_503_without_the_database(self, config, redis_client):
        from dataclasses import replace

        from bot.app import create_app

        cfg = replace(config, database_url=f"postgresql+psycopg://u@127.0.0.1:{free_port()}/none")
        c = create_app({"STEWARD_CONFIG": cfg, "TESTING": True}).test_client()
        resp = c.get("/readyz")
        assert resp.status_code == 503 and resp.get_json()["database"] == "unreachable"
        assert resp.get_json()["redis"] == "ok"


# -- 10: lockout that cannot lock the owner out from everywhere ------------------------------------

def _try(app, account, password: str, addr: str) -> int:
    c = app.test_client()
    token = csrf_from(c, "/login")
    return c.post("/login", data={"username": account, "password": password, "csrf_token": token},
                  environ_base={"REMOTE_ADDR": addr}).status_code


class TestDistributedGuessing:
    @pytest.fixture
    def overrides(self):
        return {"web.login_account_delay_seconds": 1}

    def test_failures_from_many_addresses_do_not_lock_the_owner_out(self, app, config):
        statuses = [_try(app, ADMIN[0], "wrong-guess", f"198.51.100.{i}") for i in range(11) for _ in range(5)]
        assert statuses.count(401) <= 51 and statuses[-1] == 429
        assert _try(app, ADMIN[0], "wrong-guess", "198.51.100.1") == 429  # the attacker's addresses wait
        time.sleep(1.1)
        # past the account's total a fresh address gets one try per delay, whoever it is
        assert _try(app, ADMIN[0], "wrong-guess", "203.0.113.50") == 401
        c = app.test_client()
        token = csrf_from(c, "/login")
        resp = c.post("/login", data={"username": ADMIN[0], "password": ADMIN[1], "csrf_token": token},
                      environ_base={"REMOTE_ADDR": "192.0.2.10"})
        assert resp.status_code == 429 and "秒后再试" in resp.get_data(as_text=True)
        time.sleep(1.1)
        assert _try(app, ADMIN[0], ADMIN[1], "192.0.2.10") == 302  # the owner, from a new address


def test_an_admin_unlocks_an_account(app, config):
    for i in range(11):
        for _ in range(5):
            _try(app, STAFF[0], "wrong-guess", f"198.51.100.{i}")
    assert _try(app, STAFF[0], STAFF[1], "198.51.100.3") == 429
    result = _cli(config, "user", "unlock", STAFF[0])
    assert result.exit_code == 0 and "已解除" in result.output, result.output
    assert _try(app, STAFF[0], STAFF[1], "198.51.100.3") == 302
