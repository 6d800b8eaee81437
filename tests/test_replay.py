"""`steward replay`: spooled and failed messages become tickets exactly once; a damaged spool file
is set aside without stopping the others; a message that fails twice is `poison`, skipped, counted,
and `steward replay` still exits 0."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli.main import main
from bot.services.inbound.replay import replay
from bot.storage import spool
from bot.storage.models import InboundMessage, Ticket
from bot.wechat import signing
from tests.conftest import ROOT

RESIDENT = "o-replay-poison-resident"
LONG_MEDIA = "M" * 129  # WeChat's MediaIds are 64 characters; the column holds 128


@pytest.fixture
def overrides(tmp_path):
    return {"spool.dir": str(tmp_path / "spool")}


def _count(steward, model) -> int:
    with steward.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_spooled_messages_replay_once_and_broken_files_are_set_aside(steward, config):
    good = signing.build_text_xml(config.wechat.original_id, "o-spooled-1", "粮食局家属院3号楼楼道灯不亮了", msg_id=11)
    spool.save(config, "msg:11", good)
    spool.save(config, "msg:11", good)  # WeChat's retry during the same outage: one file
    broken = spool.spool_dir(config) / "damaged.json"
    broken.write_text("{not json", encoding="utf-8")

    assert replay(steward) == (1, 0, 0)
    assert _count(steward, Ticket) == 1 and _count(steward, InboundMessage) == 1
    assert spool.pending(config) == []
    assert (spool.spool_dir(config) / spool.BROKEN / "damaged.json").exists()

    # Spooled again after it was stored (a late copy): dropped as a duplicate, no second ticket.
    spool.save(config, "msg:11", good)
    assert replay(steward) == (0, 0, 0)
    assert _count(steward, Ticket) == 1 and spool.pending(config) == []


@pytest.fixture
def db_url(any_db_url: str) -> str:
    """These run on SQLite and PostgreSQL (the 129-character MediaId only fails on PostgreSQL)."""
    return any_db_url


def _failed_row(steward, key: str, xml: str) -> int:
    """A message the webhook could not handle, stored `failed` as the webhook stores it."""
    with steward.session() as s:
        row = InboundMessage(dedup_key=key, openid=RESIDENT, msg_type="x", raw=xml, status="failed",
                             error="DataError: (psycopg.errors.X) … [SQL: INSERT …] [parameters: {…}]")
        s.add(row)
        s.flush()
        return row.id


def _cli_replay(config) -> tuple[int, str]:
    """`steward replay` as an operator runs it (CliRunner restores these variables afterwards)."""
    env = {"STEWARD_DATABASE_URL": config.database_url, "STEWARD_REDIS_URL": config.redis_url,
           "STEWARD_CONFIG": str(ROOT / "config.example.toml")}
    result = CliRunner().invoke(main, ["replay"], env=env)
    return result.exit_code, result.output


def test_poison_messages_are_marked_skipped_and_replay_exits_0(steward, config, wechat, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the CLI's spool dir (var/spool) is relative
    acct = config.wechat.original_id
    assert wechat.text(RESIDENT, "粮食局家属院3号楼楼道灯坏了").status == 200  # an open ticket to attach to
    image = _failed_row(steward, "poison-media", signing.build_image_xml(acct, RESIDENT, LONG_MEDIA))
    _failed_row(steward, "poison-nan", signing.build_location_xml(acct, RESIDENT, float("nan"), float("nan")))
    good = _failed_row(steward, "good", signing.build_text_xml(acct, RESIDENT, "粮食局家属院5号楼水管漏了"))

    code, output = _cli_replay(config)
    assert code == 0, output
    with steward.session() as s:
        rows = {r.id: r for r in s.scalars(select(InboundMessage))}
    assert rows[good].status == "handled"
    assert all(r.status in ("handled", "poison") for r in rows.values()), {r.id: r.status for r in rows.values()}
    poison = [r for r in rows.values() if r.status == "poison"]
    assert f"有毒消息 {len(poison)} 条" in output
    if config.database_url.startswith("postgresql"):
        assert rows[image].status == "poison"
        assert "StringDataRightTruncation" in rows[image].error
    for r in poison:  # the reason, without the SQL, its parameters or the resident
        assert "2 次处理都失败" in r.error
        assert "[SQL" not in r.error and "parameters" not in r.error
        assert RESIDENT not in r.error and LONG_MEDIA not in r.error

    # Skipped from now on: a second run has nothing left to do and still exits 0.
    code, output = _cli_replay(config)
    assert code == 0 and "成功 0 条，失败 0 条，有毒消息 0 条" in output, output
