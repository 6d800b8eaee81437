"""`Steward`: the per-process handle on config, Redis and the database (an app extension)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property

import redis
from flask import Flask, current_app
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Config
from bot.storage import db
from bot.storage.redis_conn import get_redis


class Steward:
    def __init__(self, config: Config) -> None:
        self.config = config

    def init_app(self, app: Flask) -> None:
        app.extensions["steward"] = self

    @property
    def redis(self) -> redis.Redis:
        """str-decoding client for app state (dedup keys, dialogue, tokens)."""
        return get_redis(self.config.redis_url, decode=True)

    @property
    def redis_raw(self) -> redis.Redis:
        """bytes client, as RQ needs."""
        return get_redis(self.config.redis_url, decode=False)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return db.session_factory(self.config.database_url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        s = self.sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()


def current() -> Steward:
    return current_app.extensions["steward"]


_worker_steward: Steward | None = None


def for_worker() -> Steward:
    """The Steward of a worker process, from the same config the web app uses ($STEWARD_CONFIG
    and the STEWARD_* environment overrides)."""
    global _worker_steward
    if _worker_steward is None:
        from bot import config as config_mod

        _worker_steward = Steward(config_mod.load())
    return _worker_steward


def set_worker_steward(steward: Steward | None) -> None:
    """Tests running an in-process SimpleWorker hand it the app's Steward (None forgets it)."""
    global _worker_steward
    _worker_steward = steward
