"""Security headers, Chinese error pages, and "暂时连不上" (503) when Redis or the database is down."""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest
import redis as redis_lib

from bot.storage import db as db_mod
from tests.conftest import free_port
from tests.workbench_helpers import STAFF, csrf_from, login, make_ticket

TEMPLATES = Path(__file__).resolve().parent.parent / "bot" / "templates"


def test_security_headers_on_pages(client, steward):
    with steward.session() as s:
        ref = make_ticket(s, text="楼道灯坏了").ref
    login(client, STAFF)
    for path in ("/login", "/staff/", f"/staff/t/{ref}", "/public/", "/staff/ledger/export.csv"):
        resp = client.get(path)
        csp = resp.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp, path
        assert "unsafe-inline" not in csp, path
        assert resp.headers["X-Content-Type-Options"] == "nosniff", path
        assert resp.headers["Referrer-Policy"] == "no-referrer", path
    for path in ("/staff/", f"/staff/t/{ref}", "/staff/ledger/export.xlsx", "/staff/ledger/export.csv", "/login"):
        assert client.get(path).headers["Cache-Control"] == "no-store", path


def test_api_and_council_pages_are_not_stored(client, steward, config, live_app):
    from bot.services.push.links import make_token
    from tests.oauth_helpers import open_as

    with steward.session() as s:
        t = make_ticket(s, text="楼道灯坏了", courtyard="c3")
    resp = client.get("/api/tickets", headers={"Authorization": "Bearer sample-api-token-change-me"})
    assert resp.headers["Cache-Control"] == "no-store"
    member = config.council("c3")[0]
    page = open_as(client, f"/m/ticket/{make_token(config, t.id, member.openid)}", member.openid)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "<style" not in page.get_data(as_text=True)  # CSP allows no inline style


def test_templates_have_no_inline_script_or_style():
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert "<style" not in text and " style=" not in text, path
        assert not re.search(r"\son[a-z]+=", text), path


@pytest.mark.parametrize("path, status, words", [
    ("/no/such/page", 404, "找不到页面"),
    ("/staff/t/R99999999", 404, "找不到页面"),
    ("/m/ticket/not-a-token", 404, None),
])
def test_error_pages_are_chinese(client, path, status, words):
    login(client, STAFF)
    resp = client.get(path)
    assert resp.status_code in (status, 410)
    html = resp.get_data(as_text=True)
    assert "<html" in html and "Not Found" not in html
    if words:
        assert words in html


def test_forbidden_method_and_csrf_pages(client, steward):
    from tests.workbench_helpers import COUNCIL_C3

    with steward.session() as s:
        other = make_ticket(s, courtyard="c5").ref
    login(client, COUNCIL_C3)
    resp = client.get(f"/staff/t/{other}")
    assert resp.status_code == 403 and "没有权限" in resp.get_data(as_text=True)
    resp = client.get("/logout")
    assert resp.status_code == 405 and "请求方式不对" in resp.get_data(as_text=True)
    resp = client.post(f"/staff/t/{other}/note", data={"note": "x", "csrf_token": "forged"})
    assert resp.status_code == 400 and "页面已过期" in resp.get_data(as_text=True)


def test_expired_council_link_is_410_in_chinese(client, steward, config, monkeypatch):
    import itsdangerous.timed

    from bot.services.push.links import make_token

    with steward.session() as s:
        t = make_ticket(s, courtyard="c3")
    member = config.council("c3")[0]
    issued = time.time() - 400 * 86400
    with monkeypatch.context() as m:
        m.setattr(itsdangerous.timed, "time", type("T", (), {"time": staticmethod(lambda: issued)}))
        token = make_token(config, t.id, member.openid)
    resp = client.get(f"/m/ticket/{token}")
    assert resp.status_code == 410 and "链接已失效" in resp.get_data(as_text=True)


def test_internal_error_page(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom-for-test")
    def boom():  # noqa: ANN202
        raise RuntimeError("a bug")

    resp = client.get("/boom-for-test")
    assert resp.status_code == 500 and "出错了" in resp.get_data(as_text=True)


def test_too_many_logins_page_is_chinese(client):
    for _ in range(6):
        token = csrf_from(client, "/login")
        resp = client.post("/login", data={"username": "liu", "password": "x", "csrf_token": token})
    assert resp.status_code == 429 and "登录失败次数太多" in resp.get_data(as_text=True)


# --- outages -------------------------------------------------------------------------------------

def _unavailable(resp) -> bool:
    return resp.status_code == 503 and "暂时连不上" in resp.get_data(as_text=True)


def _start_redis(port: int, workdir: Path) -> subprocess.Popen:
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", str(workdir)], stdout=subprocess.DEVNULL)
    for _ in range(50):
        try:
            redis_lib.Redis(port=port).ping()
            return proc
        except redis_lib.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("redis-server did not start")


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server this test starts, stops and starts again itself (never the machine's 6379)."""
    port = free_port()
    procs = [_start_redis(port, tmp_path)]
    yield procs, port
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(5)


class TestRedisGoesAway:
    @pytest.fixture
    def overrides(self, own_redis):
        return {"redis.url": f"redis://127.0.0.1:{own_redis[1]}/0"}

    def test_pages_say_unavailable_then_recover(self, app, client, own_redis, steward, tmp_path):
        procs, port = own_redis
        login(client, STAFF)
        assert client.get("/staff/").status_code == 200
        procs[0].terminate()
        procs[0].wait(5)
        for path in ("/staff/", "/staff/rates/", "/public/"):
            assert _unavailable(client.get(path)), path
        anon = app.test_client()
        token = csrf_from(anon, "/login")
        assert _unavailable(anon.post("/login", data={"username": "liu", "password": STAFF[1], "csrf_token": token}))
        # Redis comes back (empty): the same processes answer again, nobody restarts anything.
        procs.append(_start_redis(port, tmp_path))
        for path in ("/staff/", "/staff/rates/", "/public/"):
            assert client.get(path).status_code == 200, path


class TestDatabaseGoesAway:
    def test_pages_say_unavailable(self, app, client, config, steward):
        from bot.app import create_app

        login(client, STAFF)
        closed = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone"
        down = create_app({"STEWARD_CONFIG": replace(config, database_url=closed), "TESTING": True})
        c = down.test_client()
        c.set_cookie("session", client.get_cookie("session").value)
        try:
            for path in ("/staff/", "/staff/rates/", "/staff/ledger/", "/public/"):
                assert _unavailable(c.get(path)), path
            resp = c.get("/api/tickets", headers={"Authorization": "Bearer sample-api-token-change-me"})
            assert resp.status_code == 503 and "暂时连不上" in resp.get_json()["error"]
        finally:
            db_mod.dispose_all()
