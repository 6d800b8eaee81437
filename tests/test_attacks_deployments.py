"""Issue 23, item 12: two deployments sharing one WeChat account (a test instance beside production,
two communities on one account) both push ticket 1's task: every client_msg_id carries the
deployment's id (migration 0013), so WeChat — the sandbox, which keeps its rule — drops neither."""

from __future__ import annotations

from dataclasses import replace

import redis as redis_lib

from bot.services.push.deployment import deployment_id
from bot.services.uow.steward import Steward
from bot.storage.migrate import upgrade
from bot.storage.models import Push
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import C3_FIXER, drain, new_ticket, pushes_to


def test_two_deployments_on_one_account_both_deliver(steward_live, config, redis_url, tmp_path):
    first = steward_live
    other_db = f"sqlite:///{tmp_path / 'other.db'}"
    upgrade(other_db)
    other_redis = redis_url.rsplit("/", 1)[0] + "/13"  # its own Redis database, the same sandbox
    redis_lib.Redis.from_url(other_redis).flushdb()
    second = Steward(replace(config, database_url=other_db, redis_url=other_redis))
    try:
        a, b = new_ticket(first), new_ticket(second)
        drain(first)
        drain(second)
        assert a == b  # both deployments' first ticket
        tasks = [m for m in pushes_to(first, C3_FIXER) if m.get("client_msg_id")]
        assert len(tasks) == 2, tasks
        with first.session() as s1, second.session() as s2:
            assert deployment_id(s1) != deployment_id(s2)
            assert all(p.client_msg_id.startswith(deployment_id(s1)) for p in s1.query(Push))
    finally:
        redis_lib.Redis.from_url(other_redis).flushdb()
