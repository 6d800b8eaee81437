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
from bot.storage import db
from bot.storage.redis_conn import get_redis


class Steward:
    def __init__(self, config: Config) -> None:
        self.config = config

    def init_app(self, app: Flask) -> None:
        app.extensions["steward"] = self

    @property
    def redis(self) -> redis_lib.Redis:
        """str-decoding client for app state (dedup keys, dialogue, tokens)."""
        return get_redis(self.config.redis_url, decode=True)

    @property
    def redis_raw(self) -> redis_lib.Redis:
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
            outbox.discard(s)
            raise
        finally:
            s.close()
        box = outbox.take(s)
        if box is not None and not box.deferred:
            outbox.flush(self.redis_raw, box)
