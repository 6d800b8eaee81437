"""Which communities a signed-in request sees — the one place the web's scope is set.

staff and council accounts: their community (council: its courtyard too, `auth.scope_courtyard`).
street and admin accounts: every community, or the one they chose to look at (POST `/street/view`,
kept in the session). The request's Steward (`runtime.current()`) is scoped accordingly, so every
page, export and action below reads and writes only those communities' rows (bot.storage.tenancy).
"""

from __future__ import annotations

from typing import Protocol

from flask import abort, g, session
from sqlalchemy import select

from bot import runtime
from bot.storage.models import Ticket

CHOSEN = "community"  # session key: the community a street or admin account is looking at


class _Account(Protocol):
    role: str
    community_id: int | None


def enter(user: _Account) -> None:
    base = runtime.current().deployment
    if user.role in ("admin", "street"):
        chosen = session.get(CHOSEN)
        if isinstance(chosen, int) and any(c.id == chosen for c in base.communities):
            g.steward = base.for_community(chosen)
        else:
            g.steward = base  # the deployment: every community (the street pages roll them up)
        return
    if user.community_id is None:
        abort(403)  # a staff or council account must belong to a community
    g.steward = base.for_community(user.community_id)


def choose(community_id: int | None) -> None:
    if community_id is None:
        session.pop(CHOSEN, None)
    else:
        session[CHOSEN] = community_id


def chosen() -> int | None:
    value = session.get(CHOSEN)
    return value if isinstance(value, int) else None


def enter_ticket(ref: str) -> None:
    """On a deployment-wide request (a street or admin account, every community), work on ticket `ref`
    as its own community."""
    steward = runtime.current()
    if steward.community_id is not None or len(steward.communities) < 2:
        return
    with steward.session() as s:
        community = s.scalar(select(Ticket.community_id).where(Ticket.ref == ref[:16]))
    if community is not None:
        g.steward = steward.deployment.for_community(community)
