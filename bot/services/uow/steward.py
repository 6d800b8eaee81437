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
from bot.storage import db, directory, tenancy
from bot.storage.redis_conn import get_redis


class Steward:
    """`community_id` None: the deployment — every community's rows, the first community's directory
    (a one-community deployment is just that). Else one community (`for_community`): its sessions
    read only that community's rows and stamp new rows with its `community_id` (bot.storage.tenancy)."""

    def __init__(self, config: Config, community_id: int | None = None) -> None:
        self.file_config = config
        self.community_id = community_id
        self.visible = None if community_id is None else (community_id,)  # the communities its sessions see
        self._scoped: dict[int, Steward] = {}

    def for_community(self, community_id: int | None) -> Steward:
        """This deployment as one community sees it (None: the deployment itself). Shares the
        database and Redis connections; made once per community."""
        base = self.deployment
        if community_id is None:
            return base
        child = base._scoped.get(community_id)
        if child is None:
            child = base._scoped[community_id] = Steward(base.file_config, community_id)
            child.__dict__["sessions"] = base.sessions
            child.deployment = base
        return child

    @cached_property
    def deployment(self) -> Steward:
        return self

    @property
    def communities(self) -> tuple[directory.CommunityView, ...]:
        return directory.communities(self.file_config.database_url, self._redis_or_none)

    def community_by_key(self, key: str) -> directory.CommunityView | None:
        return next((c for c in self.communities if c.key == key or str(c.id) == key), None)

    def for_job(self, community_id: int | None) -> Steward:
        """A job's Steward: its community's once the deployment has several (one: the deployment)."""
        if community_id is None or len(self.communities) < 2:
            return self.deployment
        return self.for_community(community_id)

    @property
    def config(self) -> Config:
        """The file config, with courtyards and council members from the database once it is seeded
        (bot.storage.directory: cached, reloaded when the directory changes) — this community's, with
        its own account where it has one."""
        return directory.view(self.file_config, self._redis_or_none, self.community_id)

    @config.setter
    def config(self, value: Config) -> None:
        self.file_config = value
        self._scoped.clear()

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
        if self.visible is not None or self.file_config.row_level_security:
            tenancy.scope(s, self.community_id, self.visible, self.file_config.row_level_security)
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
