"""The durable floor for `bench/webhook.py`: the baseline plus the least any webhook that keeps
what it acknowledges must do — claim the MsgId in Redis (SET NX) and INSERT the raw message in its
own committed transaction, through the bare database driver (psycopg / sqlite3, no SQLAlchemy), then
answer `success`. No understanding, no ticket, no reply.

It shows what part of the bare baseline's throughput is left once a message is stored durably, on
the same machine and under the same gunicorn settings; our webhook does this plus the rest.
Run as `gunicorn bench.floor_app:app` with STEWARD_DATABASE_URL and STEWARD_REDIS_URL set; the
bench creates the table (`TABLE_SQL`) before starting it.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import redis
from flask import Response
from wechatpy.exceptions import InvalidSignatureException

from bench.baseline_app import app, open_message

TABLE = "bench_floor_message"
TABLE_SQL = {
    "postgresql": f"CREATE TABLE {TABLE} (id BIGSERIAL PRIMARY KEY, dedup_key TEXT UNIQUE NOT NULL, raw TEXT NOT NULL)",
    "sqlite": f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, dedup_key TEXT UNIQUE NOT NULL, raw TEXT NOT NULL)",
}

DB_URL = os.environ.get("STEWARD_DATABASE_URL", "")
store = redis.Redis.from_url(os.environ.get("STEWARD_REDIS_URL", "redis://127.0.0.1:6379/9"))
_conn: Any = None


def connection() -> Any:
    """One connection per gunicorn worker, opened on first use (after the fork)."""
    global _conn
    if _conn is None:
        if DB_URL.startswith("postgresql"):
            import psycopg

            _conn = psycopg.connect(DB_URL.replace("postgresql+psycopg://", "postgresql://"))
        else:
            _conn = sqlite3.connect(DB_URL.removeprefix("sqlite:///"), timeout=30)
            _conn.execute("PRAGMA journal_mode=WAL")
    return _conn


def placeholder() -> str:
    return "%s" if DB_URL.startswith("postgresql") else "?"


@app.post("/floor")
def floor() -> Response:
    try:
        body, msg = open_message()
    except InvalidSignatureException:
        return Response("forbidden", status=403)
    key = f"msg:{msg.id}"
    if store.set(f"bench-floor:{key}", 1, nx=True, ex=600):
        conn, p = connection(), placeholder()
        conn.execute(f"INSERT INTO {TABLE} (dedup_key, raw) VALUES ({p}, {p})",
                     (key, body.decode("utf-8") if isinstance(body, bytes) else body))
        conn.commit()
    return Response("success", mimetype="text/plain")
