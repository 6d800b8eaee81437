"""Communities sharing the deployment's official account (no `[wechat]` of their own): which one a
message to `/wechat` is for — the courtyard poster the sender just scanned, else the community the
sender already belongs to, else the deployment's own. One query, and only when several communities
share the account."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.uow.steward import Steward
from bot.storage.models import CourtyardRow, Resident
from handlers.base import Inbound


def community_for(steward: Steward, msg: Inbound) -> Steward:
    base = steward.deployment
    if steward is not base:
        return steward  # `/wechat/<community>`: said by the URL
    sharing = {c.id for c in base.communities if not c.own_account}
    if len(sharing) < 2:
        return steward
    scene = (msg.event_key or "").removeprefix("qrscene_") if msg.kind == "event" else ""
    with base.session() as s:
        found = s.scalar(select(CourtyardRow.community_id).where(CourtyardRow.key == scene[:16])) if scene else None
        if found is None:
            found = s.scalar(select(Resident.community_id).where(Resident.openid == msg.openid))
    return base.for_community(found) if found in sharing else steward
