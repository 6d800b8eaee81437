"""`Steward`: one process's handle on config, Redis and the database — and its unit of work.

`with steward.session() as s:` is one transaction: it commits at the end of the block (rolls back
on an exception) and then carries out the transaction's outbox (`bot.services.uow.outbox`): the jobs it
recorded are enqueued, the pushes it chose to send in-process are sent. Nothing is enqueued for a
transaction that rolled back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property

import redis as redis_lib
from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Config
from bot.services.uow import outbox
from bot.storage import db, directory
from bot.storage.redis_conn import get_redis


class Steward:
    def __init__(self, config: Config) -> None:
        self.file_config = config

    @property
    def config(self) -> Config:
        """The file config, with courtyards and council members from the database once it is seeded
        (bot.storage.directory: cached, reloaded when the directory changes)."""
        return directory.view(self.file_config, self._redis_or_none)

    @config.setter
    def config(self, value: Config) -> None:
        self.file_config = value

    def _redis_or_none(self) -> redis_lib.Redis | None:
        try:
            return self.redis
        except Exception:  # noqa: BLE001 — no Redis yet: the database alone decides
            return None

    def directory_changed(self) -> None:
        directory.invalidate(self.file_config.database_url, self._redis_or_none())

    def init_app(self, app: Flask) -> None:
        app.extensions["steward"] = self

    @property
    def redis(self) -> redis_lib.Redis:
        """str-decoding client for app state (dedup keys, dialogue, tokens)."""
        return get_redis(self.file_config.redis_url, decode=True)

    @property
    def redis_raw(self) -> redis_lib.Redis:
        """bytes client, as RQ needs."""
        return get_redis(self.file_config.redis_url, decode=False)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return db.session_factory(self.file_config.database_url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        s = self.sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            outbox.discard(s)
            s.info.pop("directory_changed", None)
            raise
        finally:
            s.close()
        if s.info.pop("directory_changed", False):  # after the commit: others must not reload the old rows
            self.directory_changed()
        box = outbox.take(s)
        if box is not None and not box.deferred:
            outbox.flush(self.redis_raw, box)
