"""What one dispatch job costs, counted on the real thing: database commits (SQLAlchemy's engine
events) and Redis commands (the server's own command statistics, on a Redis of this module only).

At 50 messages/s with 2 workers every round trip per ticket is paid 50 times a second; these
budgets keep the ones removed for issue 14 from coming back: a read-back and a pipeline per
deadline check, and a transaction per sent push."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event

from bot.services.dispatch import workcalendar
from bot.services.dispatch.assign import dispatch_ticket, route_facts
from bot.storage import db as db_mod
from bot.storage import redis_conn
from bot.wechat.client import shared_client
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import C3_FIXER, RESIDENT, new_ticket, push_rows, pushes_to


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis nobody else talks to, so its command counters are this test's alone."""
    path = tmp_path_factory.mktemp("redis-cost") / "cost.db"
    yield redis_conn.embedded_url(path)
    redis_conn.stop_embedded(path)


def _calls(steward) -> dict[str, int]:
    return {k.removeprefix("cmdstat_"): v["calls"] for k, v in steward.redis.info("commandstats").items()}


def test_a_dispatch_job_sends_both_pushes_with_one_commit_and_one_redis_pipeline(steward_live):
    st = steward_live
    tid = new_ticket(st, enqueue=False)
    _ = shared_client(st.config, st.redis).access_token  # the token fetch is not per ticket
    with st.session() as s:  # nor the work calendar's first load (seeded, then cached per process)
        workcalendar.current(s, st.config)
    commits: list[int] = []
    statements: list[str] = []
    engine = db_mod.engine_for(st.config.database_url)

    def count(_conn) -> None:
        commits.append(1)

    def statement(_conn, _cursor, sql, *_rest) -> None:  # noqa: ANN001
        statements.append(sql)

    from bot.services.push.deployment import deployment_id

    with st.session() as s:
        deployment_id(s)  # read once per process and database (issue 23), not per push
    event.listen(engine, "commit", count)
    event.listen(engine, "before_cursor_execute", statement)
    try:
        before = _calls(st)
        assert dispatch_ticket(st, tid, 1) == "dispatched"
        after = _calls(st)
    finally:
        event.remove(engine, "commit", count)
        event.remove(engine, "before_cursor_execute", statement)
    rows = push_rows(st, tid)
    assert sorted(p.kind for p in rows) == ["notice", "task"] and {p.status for p in rows} == {"sent"}
    assert len(pushes_to(st, C3_FIXER)) == 1 and len(pushes_to(st, RESIDENT)) == 1
    # The dispatch's own transaction; both sent pushes are then recorded together in autocommit,
    # no transaction of their own (was: one more per push, then one for both).
    assert len(commits) == 1, commits
    # The claim (UPDATE … RETURNING the ticket), the merge suggestion's SELECT (the ticket has a
    # courtyard), routing's one read (unreachable, returned, load, and the receivers' last
    # messages), ticket UPDATE, event, both push rows in one INSERT … ON CONFLICT; then both
    # successes in one UPDATE executed for both rows. Was 14: a SELECT by client_msg_id before each
    # push's INSERT; 13 in issue 24's first round (the merge suggestion moved here from the webhook);
    # 8 since its second (claim and read one statement, routing's three reads one, per push
    # statements one); 7 since its third (the last messages read with routing's facts).
    pushes = [sql for sql in statements if sql.startswith("INSERT INTO pushes")]
    assert len(pushes) == 1 and "ON CONFLICT" in pushes[0], pushes
    assert not [sql for sql in statements if sql.startswith("SELECT pushes")], statements
    assert len(statements) == 7, statements
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    # The deadline check: no read-back of a job that cannot exist yet, one job (was two: remind and
    # due), its commands on one plain pipeline (was: a MULTI/EXEC and, apart from it, rq's ZADD).
    assert delta.get("hget", 0) == 0, delta
    assert delta.get("exec", 0) == 0, delta


def test_open_load_counts_only_the_candidates(steward_live):
    st = steward_live
    for _ in range(3):
        dispatch_ticket(st, new_ticket(st, enqueue=False), 1, in_process=False)
    members = [m.openid for m in st.config.council("c3")]
    with st.session() as s:
        assert sum(route_facts(s, 0, members).load.values()) == 3
        assert set(route_facts(s, 0, [C3_FIXER]).load) <= {C3_FIXER}
        assert route_facts(s, 0, []).load == {}
