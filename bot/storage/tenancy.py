"""Communities as tenants of one deployment: the one place where a session's scope is enforced.

Every row a community owns carries `community_id` (the `Tenant` mixin). A session is given a scope
(`scope(session, community, visible)`, done by `Steward.session()`):
- `community`: the community new rows belong to — the column's default reads it from the
  connection, so the ORM's inserts and our Core INSERTs alike are stamped without naming it;
- `visible`: the communities the session may read, update and delete; every ORM statement on a
  tenant model gets `community_id IN (…)` added (`with_loader_criteria`). No scope: the whole
  deployment (the admin, the sweeps) — and a one-community deployment pays nothing for tenancy.

PostgreSQL row-level security is the second wall (migration 0020 writes the policies): with
`[database] row_level_security = true` each transaction sets `steward.scope` to the visible ids
(or `*`), so even a raw SQL statement of ours cannot read another community's rows once the app
connects as a role that does not own the tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Integer, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    SessionTransaction,
    mapped_column,
    with_loader_criteria,
)

DEFAULT_COMMUNITY = 1  # a one-community deployment, and everything from before communities existed
_ROW_COMMUNITY = "steward.community"  # connection.info: the community of rows inserted now
COMMUNITY = "steward.community"  # session.info: the community new rows belong to
VISIBLE = "steward.visible"  # session.info: tuple of community ids; absent: every community
RLS = "steward.rls"  # session.info: set PostgreSQL's `steward.scope` at each transaction's start
RLS_SETTING = "steward.scope"


def _row_community(context: Any) -> int:
    """Column default of `community_id`: the inserting session's community."""
    return int(context.connection.info.get(_ROW_COMMUNITY, DEFAULT_COMMUNITY))


class Tenant:
    """Mixin: the row belongs to one community."""

    community_id: Mapped[int] = mapped_column(Integer, default=_row_community, server_default=str(DEFAULT_COMMUNITY),
                                              index=True)


def scope(session: Session, community: int | None, visible: tuple[int, ...] | None, rls: bool = False) -> None:
    """Scope `session` (before its first statement): new rows belong to `community`; only the
    `visible` communities' rows are read, changed or deleted (None: all)."""
    session.info[COMMUNITY] = community if community is not None else DEFAULT_COMMUNITY
    if visible is None:
        session.info.pop(VISIBLE, None)
    else:
        session.info[VISIBLE] = tuple(sorted(set(visible)))
    session.info[RLS] = rls


@contextmanager
def unscoped(session: Session) -> Iterator[None]:
    """The whole deployment for a moment, in a scoped session: seeding the deployment's own community
    on the first page a community's staff open must see the member rows older versions left."""
    visible = session.info.pop(VISIBLE, None)
    try:
        yield
    finally:
        if visible is not None:
            session.info[VISIBLE] = visible


def community_of(session: Session) -> int:
    return int(session.info.get(COMMUNITY, DEFAULT_COMMUNITY))


def visible_of(session: Session) -> tuple[int, ...] | None:
    return session.info.get(VISIBLE)


@event.listens_for(Session, "do_orm_execute")
def _only_visible(state: ORMExecuteState) -> None:
    ids = state.session.info.get(VISIBLE)
    if ids is None or not (state.is_select or state.is_update or state.is_delete):
        return
    state.statement = state.statement.options(
        with_loader_criteria(Tenant, lambda cls: cls.community_id.in_(ids), include_aliases=True))


@event.listens_for(Session, "after_begin")
def _begin(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    connection.info[_ROW_COMMUNITY] = session.info.get(COMMUNITY, DEFAULT_COMMUNITY)
    if session.info.get(RLS) and connection.dialect.name == "postgresql":
        ids = session.info.get(VISIBLE)
        value = "*" if ids is None else ",".join(str(i) for i in ids)
        connection.execute(text("SELECT set_config(:name, :value, true)"), {"name": RLS_SETTING, "value": value})
