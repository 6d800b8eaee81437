"""The config seeds an empty database once (courtyards, council members, staff accounts, FAQ entries
and outside parties); from then on the database is the truth, and where the config disagrees it is
reported, never applied."""

from __future__ import annotations

from bot.services.community import members, reference
from bot.services.community.users import sync_config_staff
from bot.services.uow.steward import Steward


def sync_from_config(steward: Steward) -> list[str]:
    """Seed the directory if it is empty and sync the staff accounts; returns where the config
    disagrees with an already-seeded directory (`steward config check` prints them)."""
    with steward.session() as session:
        cfg = steward.file_config
        seeded = members.seed(session, cfg)
        copied = reference.seed(session, cfg)
        sync_config_staff(session, cfg)
        return ((reference.differences(session, cfg) if not copied else [])
                + ([] if seeded else members.differences(session, cfg)))


def config_differences(steward: Steward) -> list[str]:
    with steward.session() as session:
        return members.differences(session, steward.file_config) + reference.differences(session, steward.file_config)
