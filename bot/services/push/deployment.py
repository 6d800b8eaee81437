"""This deployment's id (migration 0014 makes it, random, once per database): part of every
idempotency key that leaves the house, so two deployments sharing one official account (a test
instance next to production, two communities on one account) never collide at WeChat."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.storage.models import Deployment

_CACHE: dict[str, str] = {}  # per database URL: the id never changes once made


def deployment_id(session: Session) -> str:
    bind = session.get_bind()
    key = str(bind.engine.url)
    found = _CACHE.get(key)
    if found is None:
        found = session.scalar(select(Deployment.deployment_id).where(Deployment.id == 1))
        if found is None:  # a database made without migration 0014's row
            found = secrets.token_hex(4)
            session.add(Deployment(id=1, deployment_id=found))
            session.flush()
        _CACHE[key] = found
    return found
