"""The INSERT of a new ticket with its first event: the one write every resident's report makes,
inside the webhook's transaction, so it is built once and costs as few round trips as the database
allows.

PostgreSQL: ONE statement — the id is drawn from the table's sequence first, so the ref (made from
the id) goes into the same INSERT, and the first event is inserted in a data-modifying CTE.
SQLite (in-process, no round trips to save): INSERT … RETURNING, the ref UPDATE, the event INSERT.
Both return the whole ticket row, column defaults included.
"""

from __future__ import annotations

import functools
import typing
from typing import Any

from sqlalchemy import String, Table, bindparam, cast, func, insert, literal, select, update
from sqlalchemy.engine import Connection

from bot.storage.models import Ticket, TicketEvent

TICKET_COLUMNS = ("category", "subcategory", "courtyard_id", "text", "urgent", "confidence", "status",
                  "resident_openid", "created_at", "last_activity_at", "community_id")
EVENT_COLUMNS = ("community_id", "at", "kind", "actor", "actor_name", "to_status", "note", "data")


def insert_ticket(conn: Connection, ticket: dict[str, Any], event: dict[str, Any], ref_prefix: str,
                  ref_offset: int) -> dict[str, Any]:
    """Insert `ticket` (TICKET_COLUMNS) and its first `event` (EVENT_COLUMNS); return the ticket row
    as {column: value}."""
    if conn.dialect.name == "postgresql":
        params = dict(ticket, **{f"ev_{k}": v for k, v in event.items()})
        return dict(conn.execute(_postgresql(ref_prefix, ref_offset), params).one()._mapping)
    row = dict(conn.execute(_INSERT_TICKET, ticket).one()._mapping)
    row["ref"] = f"{ref_prefix}{row['id'] + ref_offset}"
    conn.execute(_SET_REF, {"ticket_id": row["id"], "ref": row["ref"]})
    conn.execute(_INSERT_EVENT, dict(event, ticket_id=row["id"]))
    return row


# Declarative models type __table__ as a FromClause; these are Tables.
T, E = typing.cast(Table, Ticket.__table__), typing.cast(Table, TicketEvent.__table__)
_INSERT_TICKET = insert(T).returning(*T.c)
_INSERT_EVENT = insert(E)
_SET_REF = update(T).where(T.c.id == bindparam("ticket_id")).values(ref=bindparam("ref"))


@functools.cache
def _postgresql(ref_prefix: str, ref_offset: int) -> Any:
    n = select(func.nextval(func.pg_get_serial_sequence(T.name, "id")).label("id")).subquery("n")
    ref = literal(ref_prefix) + cast(n.c.id + ref_offset, String)
    # from_select renders the columns' Python-side defaults too (include_defaults).
    row = select(n.c.id, ref, *(bindparam(c, type_=T.c[c].type) for c in TICKET_COLUMNS))
    t = insert(T).from_select(["id", "ref", *TICKET_COLUMNS], row).returning(*T.c).cte("t")
    first = select(t.c.id, *(bindparam(f"ev_{c}", type_=E.c[c].type) for c in EVENT_COLUMNS))
    e = insert(E).from_select(["ticket_id", *EVENT_COLUMNS], first).cte("e")
    return select(t).add_cte(e)
