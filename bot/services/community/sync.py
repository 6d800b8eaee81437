"""Mirror the config's council members (and staff accounts) into the database."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.community.users import sync_config_staff
from bot.services.uow.steward import Steward
from bot.storage.models import CouncilMember


def sync_members(session, config) -> int:
    """Insert or update members from config; members no longer in config are marked inactive.

    Reachability learned by the workers (43004 …) is kept: config does not know it.
    """
    rows = {m.openid: m for m in session.scalars(select(CouncilMember))}
    seen = set()
    for m in config.members:
        row = rows.get(m.openid)
        if row is None:
            row = CouncilMember(openid=m.openid)
            session.add(row)
        row.name, row.courtyard_id, row.role = m.name, m.courtyard, m.role
        row.skills, row.active = ",".join(m.skills), True
        seen.add(m.openid)
    for openid, row in rows.items():
        if openid not in seen:
            row.active = False
    return len(seen)


def sync_from_config(steward: Steward) -> None:
    with steward.session() as session:
        sync_members(session, steward.config)
        sync_config_staff(session, steward.config)
