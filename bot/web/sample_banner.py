"""`demo_data` for every page: under `steward dev` (and tests), whether the demo month is in the
database, so the workbench, the digest and the public board carry a 示例数据 banner."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from bot import runtime
from bot.config import samples_allowed
from bot.domain.sample import DEMO_PREFIX
from bot.storage.models import Resident


def init_app(app: Flask) -> None:
    @app.context_processor
    def _demo_data() -> dict:
        if not samples_allowed():  # a service never holds demo data (`steward demo seed` refuses it)
            return {}
        with runtime.current().session() as s:
            found = s.scalar(select(Resident.id).where(Resident.openid.like(f"{DEMO_PREFIX}%")).limit(1))
        return {"demo_data": found is not None}
