"""Redis down between commit and enqueue: the ticket waits in the database; the sweep dispatches it.

Uses its own redis-server on a temp port (stopped and restarted here), never the machine's 6379."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import redis as redis_lib

from bot.domain import clock
from bot.services.dispatch.assign import dispatch_ticket
from bot.services.sweep import sweep_outbox
from bot.services.uow import jobs
from tests.fixtures_dispatch import *  # noqa: F403  (fixtures; redis_url is overridden below)
from tests.fixtures_dispatch import C3_FIXER, drain, new_ticket, pushes_to, ticket_of
from tests.processes import die_with_parent, fixture_owned

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")


class RedisServer:
    def __init__(self, port: int, tmp) -> None:  # noqa: ANN001
        self.port, self.dir, self.proc = port, tmp, None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent())
        fixture_owned.add(self.proc.pid)  # restarted by a test, stopped by the module fixture
        client = redis_lib.Redis(port=self.port)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis_lib.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:  # noqa: ANN001
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = RedisServer(port, tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    if server.proc.poll() is None:
        server.stop()


@pytest.fixture(scope="module")
def redis_url(redis_server: RedisServer) -> str:
    return f"redis://127.0.0.1:{redis_server.port}/0"


def test_redis_stopped_between_commit_and_enqueue_then_sweep_dispatches(steward_live, redis_server):
    st = steward_live
    redis_server.stop()
    try:
        tid = new_ticket(st, enqueue=False)  # committed: the database has it
        started = time.time()
        assert jobs.enqueue_dispatch(st.redis_raw, tid) is False  # no exception, just False
        assert time.time() - started < 15
    finally:
        redis_server.start()
    assert ticket_of(st, tid).status == "received"
    assert sweep_outbox(st)["tickets"] == 0  # too fresh: the normal path may still be on its way
    clock.shift(st.config.dispatch.outbox_after + 1)
    assert sweep_outbox(st)["tickets"] == 1
    drain(st)
    t = ticket_of(st, tid)
    assert t.status == "dispatched" and t.dispatch_attempt == 1
    assert len(pushes_to(st, C3_FIXER)) == 1
    assert sweep_outbox(st)["tickets"] == 0


def test_push_rows_left_pending_are_sent_by_the_sweep(steward_live):
    st = steward_live
    tid = new_ticket(st, enqueue=False)

    # The dispatch committed its push rows and its worker died before sending them (or the push
    # jobs it handed over were lost: Redis restarted without persistence).
    dispatch_ticket(st, tid, 1, in_process=False)
    st.redis_raw.flushdb()
    assert pushes_to(st, C3_FIXER) == []
    clock.shift(st.config.dispatch.outbox_after + 1)
    assert sweep_outbox(st)["pushes"] >= 1
    drain(st)
    assert len(pushes_to(st, C3_FIXER)) == 1
