"""No openid, phone or message text in logs above DEBUG or in stored error texts: SQL parameters
are hidden by the engine, and a failure is described by its class and first line only."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from bot.storage import db as db_mod
from bot.storage.models import InboundMessage

OPENID = "oSecretOpenid0123456789abcd"
PHONE = "13912345678"
ROOT = Path(__file__).resolve().parent.parent


def test_engine_hides_sql_parameters(any_db_url):
    engine = db_mod.engine_for(any_db_url)
    with pytest.raises(DBAPIError) as info, engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # over-long: PostgreSQL's message does not echo the value
            conn.execute(text("INSERT INTO residents (openid, phone, subscribed, created_at) "
                              "VALUES (:o, :p, true, now())"), {"o": OPENID * 3, "p": PHONE})
        else:
            conn.execute(text("INSERT INTO residents (openid, phone) VALUES (NULL, :p)"), {"p": PHONE})
    assert PHONE not in str(info.value) and OPENID not in str(info.value)
    assert "hidden" in str(info.value)


def test_describe_error_drops_detail_lines():
    exc = RuntimeError('duplicate key value violates unique constraint "uq"\nDETAIL:  Key (openid)=(o-x) exists.')
    assert db_mod.describe_error(exc) == 'RuntimeError: duplicate key value violates unique constraint "uq"'


@pytest.fixture
def db_url(any_db_url):
    return any_db_url


def test_webhook_failure_logs_and_stores_no_personal_data(wechat, steward, monkeypatch, caplog):
    from bot.services.inbound import intake

    def broken(msg, ctx):
        # A real database error with the sender's openid and words bound to it.
        secret = {"p": msg.openid + " " + msg.text}
        if steward.config.database_url.startswith("postgresql"):  # PostgreSQL echoes the row in DETAIL
            with steward.session() as s:
                s.execute(text("INSERT INTO residents (openid, unit) VALUES (NULL, :p)"), secret)
        with db_mod.engine_for("sqlite:///:memory:").connect() as conn:
            conn.execute(text("SELECT * FROM nowhere WHERE x = :p"), secret)

    monkeypatch.setattr(intake, "decide", broken)
    caplog.set_level(logging.INFO)
    words = f"3号院楼道灯坏了 电话{PHONE}"
    assert wechat.text(OPENID, words).status == 200
    with steward.session() as s:
        row = s.scalars(select(InboundMessage)).one()
    assert row.status == "failed" and ("IntegrityError" in row.error or "OperationalError" in row.error)
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records if r.levelno > logging.DEBUG)
    for secret in (OPENID, PHONE, "楼道灯坏了"):
        assert secret not in row.error, secret
        assert secret not in logged, secret


def test_web_log_calls_name_no_personal_fields():
    """Log calls of the web layer pass no openid, phone, name or message text as arguments."""
    import re

    pattern = re.compile(r"log\.(info|warning|error|exception|critical)\((.*)")
    bad = re.compile(r"openid|phone|\.text\b|content|\.name\b|resident|note")
    for path in [*ROOT.joinpath("bot", "web").glob("*.py"), ROOT / "bot" / "entrypoints" / "webhook.py",
                 ROOT / "bot" / "wechat" / "security.py"]:
        for line in path.read_text(encoding="utf-8").splitlines():
            m = pattern.search(line)
            if m:
                assert not bad.search(m.group(2)), f"{path.name}: {line.strip()}"
