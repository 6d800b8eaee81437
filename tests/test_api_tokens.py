"""API tokens: stored hashed, roles read / write, an optional courtyard scope, `steward token
add/list/revoke`; the config's plain sample token only in dev and tests."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot import config as config_mod
from bot.storage.models import ApiToken
from bot.web import tokens
from tests.conftest import ROOT
from tests.workbench_helpers import make_ticket


@pytest.fixture
def refs(steward):
    with steward.session() as s:
        return make_ticket(s, courtyard="c3").ref, make_ticket(s, courtyard="c5").ref


def _token(steward, name: str, role: str = "read", courtyard: str | None = None) -> dict[str, str]:
    with steward.session() as s:
        value, _ = tokens.add(s, steward.config, name, role, courtyard)
    return {"Authorization": f"Bearer {value}"}


def test_tokens_are_stored_as_their_hash(steward):
    auth = _token(steward, "居委会系统")
    value = auth["Authorization"][7:]
    with steward.session() as s:
        row = s.scalars(select(ApiToken)).one()
        stored = [getattr(row, c.key) for c in ApiToken.__table__.columns]
    assert row.token_hash == hashlib.sha256(value.encode()).hexdigest()
    assert all(value not in str(v) for v in stored)
    assert len(value) > 40


def test_read_token_reads_but_cannot_write(client, steward, refs):
    auth = _token(steward, "reader")
    assert client.get("/api/tickets", headers=auth).status_code == 200
    resp = client.post(f"/api/tickets/{refs[0]}/notes", json={"note": "已上门"}, headers=auth)
    assert resp.status_code == 403 and "只能读取" in resp.get_json()["error"]


def test_write_token_adds_a_note(client, steward, refs):
    auth = _token(steward, "物业系统", role="write")
    resp = client.post(f"/api/tickets/{refs[0]}/notes", json={"note": "物业已派人"}, headers=auth)
    assert resp.status_code == 201
    events = client.get(f"/api/tickets/{refs[0]}/events", headers=auth).get_json()["events"]
    assert events[-1]["note"] == "物业已派人" and events[-1]["actor_type"] == "api"
    for bad in ({"note": ""}, {"note": "x\x00"}, {"note": "很" * 2001}, ["note"]):
        assert client.post(f"/api/tickets/{refs[0]}/notes", json=bad, headers=auth).status_code == 400


def test_courtyard_token_sees_only_its_courtyard(client, steward, refs):
    own, other = refs
    auth = _token(steward, "3号院", courtyard="c3")
    listed = [t["ref"] for t in client.get("/api/tickets", headers=auth).get_json()["tickets"]]
    assert listed == [own]
    assert client.get("/api/tickets?courtyard=c5", headers=auth).get_json()["tickets"] == []
    assert client.get(f"/api/tickets/{other}", headers=auth).status_code == 404
    assert client.get(f"/api/tickets/{other}/events", headers=auth).status_code == 404
    assert set(client.get("/api/rates?courtyard=c5", headers=auth).get_json()["rates"]) == {"c3"}
    writer = _token(steward, "3号院写", role="write", courtyard="c3")
    assert client.post(f"/api/tickets/{other}/notes", json={"note": "x"}, headers=writer).status_code == 404


def test_revoked_token_is_refused(client, steward):
    auth = _token(steward, "old")
    with steward.session() as s:
        assert tokens.revoke(s, "old") == 1
    assert client.get("/api/tickets", headers=auth).status_code == 401


def test_sample_token_works_only_in_dev(config, steward, redis_client):
    """In dev and tests the config's plain sample token is accepted; a service never accepts it
    (and refuses to start with it at all: bot.config.deployment_problems)."""
    from bot.app import create_app
    from bot.web import tokens

    sample = {"Authorization": "Bearer sample-api-token-change-me"}
    dev = create_app({"STEWARD_CONFIG": config, "TESTING": False}).test_client()
    assert dev.get("/api/tickets", headers=sample).status_code == 200
    with steward.session() as s:
        assert tokens.lookup(s, config, "sample-api-token-change-me", dev=False) is None
    assert any("api.tokens" in str(p) for p in config_mod.deployment_problems(config))
    # A digest in the config is fine anywhere (read-only).
    digest = "sha256:" + hashlib.sha256(b"ops-secret-token-1").hexdigest()
    hashed = create_app({"STEWARD_CONFIG": replace(config, api_tokens=(digest,)), "TESTING": False}).test_client()
    assert hashed.get("/api/tickets", headers={"Authorization": "Bearer ops-secret-token-1"}).status_code == 200
    assert hashed.post("/api/tickets/R1/notes", json={"note": "x"},
                       headers={"Authorization": "Bearer ops-secret-token-1"}).status_code == 403


def test_token_commands(tmp_path, redis_url, monkeypatch):
    from bot.cli.main import main
    from bot.storage.migrate import upgrade

    example = str(ROOT / "config.example.toml")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    monkeypatch.setenv("STEWARD_CONFIG", example)
    monkeypatch.setenv("STEWARD_DATABASE_URL", url)
    monkeypatch.setenv("STEWARD_REDIS_URL", redis_url)

    def run(*args: str):
        return CliRunner().invoke(main, ["--config", example, "token", *args])

    added = run("add", "居委会", "--role", "write", "--courtyard", "c3")
    assert added.exit_code == 0, added.output
    value = added.output.strip().splitlines()[-1]
    assert value.startswith("st_")
    listed = run("list")
    assert "居委会\twrite\tc3" in listed.output and "有效" in listed.output and value not in listed.output
    assert run("add", "x", "--courtyard", "c99").exit_code != 0
    assert run("revoke", "居委会").exit_code == 0
    assert "已吊销" in run("list").output
    assert run("revoke", "居委会").exit_code != 0
