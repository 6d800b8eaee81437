"""The INSERT of a push row: every dispatch writes two, and whoever records a push must not write
it twice (its `client_msg_id` is unique). One statement either way: INSERT … ON CONFLICT
(client_msg_id) DO NOTHING RETURNING id — instead of a SELECT by client_msg_id and then the ORM's
INSERT. PostgreSQL and SQLite (3.35+) both have it; Python-side column defaults apply as usual."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from bot.storage.models import Push

PUSH_COLUMNS = ("ticket_id", "openid", "kind", "channel", "client_msg_id", "template_id", "payload", "status",
                "attempts", "custom_tried_at")

_STATEMENTS = {
    "postgresql": postgresql.insert(Push).on_conflict_do_nothing(index_elements=["client_msg_id"]).returning(Push.id),
    "sqlite": sqlite.insert(Push).on_conflict_do_nothing(index_elements=["client_msg_id"]).returning(Push.id),
}


_MANY = {
    "postgresql": postgresql.insert(Push).on_conflict_do_nothing(index_elements=["client_msg_id"])
    .returning(Push.id, Push.client_msg_id),
    "sqlite": sqlite.insert(Push).on_conflict_do_nothing(index_elements=["client_msg_id"])
    .returning(Push.id, Push.client_msg_id),
}


def insert_pushes(conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert several push rows in one statement (SQLAlchemy's "insertmanyvalues": one INSERT …
    VALUES (…), (…) RETURNING); → {client_msg_id: id} of the rows made (an existing one is left out)."""
    return {cmid: push_id for push_id, cmid in conn.execute(_MANY[conn.dialect.name], rows)}


def insert_push(conn: Connection, values: dict[str, Any]) -> int | None:
    """Insert a push row (PUSH_COLUMNS); its id, or None when a row with its client_msg_id exists."""
    return conn.execute(_STATEMENTS[conn.dialect.name], values).scalar()
