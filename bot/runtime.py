"""The process's `Steward`: the Flask app's (`current`) or a worker's (`for_worker`)."""

from __future__ import annotations

from flask import current_app

from bot import config as config_mod
from bot.services.uow.steward import Steward


def current() -> Steward:
    return current_app.extensions["steward"]


_worker_steward: Steward | None = None


def for_worker() -> Steward:
    """The Steward of a worker process, from the same config the web app uses ($STEWARD_CONFIG
    and the STEWARD_* environment overrides)."""
    global _worker_steward
    if _worker_steward is None:
        _worker_steward = Steward(config_mod.load())
    return _worker_steward


def set_worker_steward(steward: Steward | None) -> None:
    """Tests running an in-process SimpleWorker hand it the app's Steward (None forgets it)."""
    global _worker_steward
    _worker_steward = steward
