"""The process's `Steward`: the Flask app's (`current`) or a worker's (`for_worker`)."""

from __future__ import annotations

from flask import current_app, g
from rq import get_current_job

from bot import config as config_mod
from bot.services.uow.jobs import COMMUNITY_META
from bot.services.uow.steward import Steward


def current() -> Steward:
    """The request's Steward: scoped to a community by the webhook's URL or the signed-in account
    (`g.steward`), else the app's (the deployment)."""
    scoped = g.get("steward")
    return scoped if scoped is not None else current_app.extensions["steward"]


_worker_steward: Steward | None = None


def for_worker() -> Steward:
    """The Steward of a worker process, from the same config the web app uses ($STEWARD_CONFIG
    and the STEWARD_* environment overrides) — scoped to the running job's community, if it has one."""
    global _worker_steward
    if _worker_steward is None:
        _worker_steward = Steward(config_mod.load())
    job = get_current_job()
    community = job.meta.get(COMMUNITY_META) if job is not None else None
    return _worker_steward.for_job(community)


def set_worker_steward(steward: Steward | None) -> None:
    """Tests running an in-process SimpleWorker hand it the app's Steward (None forgets it)."""
    global _worker_steward
    _worker_steward = steward
