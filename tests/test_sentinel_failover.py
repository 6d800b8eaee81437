"""Past one machine (issue 24): Redis behind Sentinel, its master killed while messages flow through
the webhook and a worker — nothing is lost: every message a ticket, every ticket dispatched.

Real processes on free ports: a redis-server master, a replica, and one redis-sentinel (quorum 1).
The app's `[redis] sentinels` / `master_name` make every client (app state, RQ, the sandbox) a
`Sentinel.master_for` client. Skipped, with the reason, where redis-server or redis-sentinel is absent.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib
from sqlalchemy import func, select

from bot.config.loader import sentinel_url
from bot.services import sweep
from bot.services.inbound import replay
from bot.storage import redis_conn
from bot.storage.models import InboundMessage, Push, Ticket
from tests.conftest import free_port
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import drain

pytestmark = [
    pytest.mark.fault,
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which("redis-sentinel") or not shutil.which("redis-server"),
                       reason="redis-server and redis-sentinel are needed (apt-get install redis-sentinel)"),
]

MASTER_NAME = "stewardm"


class Cluster:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.master_port, self.replica_port, self.sentinel_port = free_port(), free_port(), free_port()
        self.procs: dict[str, subprocess.Popen] = {}

    def _redis(self, name: str, *args: str) -> None:
        log = (self.work / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(
            ["redis-server", *args, "--save", "", "--appendonly", "no", "--bind", "127.0.0.1", "--dir", str(self.work)],
            stdout=log, stderr=subprocess.STDOUT)

    def start(self) -> None:
        self._redis("master", "--port", str(self.master_port))
        self._redis("replica", "--port", str(self.replica_port), "--replicaof", "127.0.0.1", str(self.master_port))
        conf = self.work / "sentinel.conf"
        conf.write_text(
            f"port {self.sentinel_port}\nbind 127.0.0.1\ndir {self.work}\n"
            f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.master_port} 1\n"
            f"sentinel down-after-milliseconds {MASTER_NAME} 1000\n"
            f"sentinel failover-timeout {MASTER_NAME} 5000\n"
        )
        log = (self.work / "sentinel.log").open("wb")
        self.procs["sentinel"] = subprocess.Popen(["redis-sentinel", str(conf)], stdout=log, stderr=subprocess.STDOUT)
        sentinel = redis_lib.Redis(port=self.sentinel_port, decode_responses=True)
        replica = redis_lib.Redis(port=self.replica_port, decode_responses=True)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                linked = replica.info("replication").get("master_link_status") == "up"
                known = len(sentinel.execute_command("SENTINEL", "REPLICAS", MASTER_NAME)) == 1
                if linked and known:
                    return
            except redis_lib.RedisError:
                pass
            time.sleep(0.2)
        raise AssertionError("the replica and the sentinel did not come up: " + self.logs())

    def master(self) -> tuple[str, int]:
        host, port = redis_lib.Redis(port=self.sentinel_port, decode_responses=True).execute_command(
            "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)
        return host, int(port)

    def kill_master(self) -> None:
        self.procs["master"].send_signal(signal.SIGKILL)
        self.procs["master"].wait(5)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in sorted(self.work.glob("*.log")))

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("sentinel"))
    try:
        c.start()
        yield c
    finally:
        c.stop()


@pytest.fixture
def redis_url(cluster: Cluster) -> str:
    return f"redis://127.0.0.1:{cluster.master_port}/0"  # the db number; the master comes from the sentinel


@pytest.fixture
def overrides(cluster: Cluster) -> dict:
    return {"dispatch.retry_intervals": [0, 0, 0], "redis.sentinels": [f"127.0.0.1:{cluster.sentinel_port}"],
            "redis.master_name": MASTER_NAME}


@pytest.fixture
def redis_client(cluster: Cluster) -> Iterator[redis_lib.Redis]:
    url = sentinel_url([f"127.0.0.1:{cluster.sentinel_port}"], MASTER_NAME)
    client = redis_conn.get_redis(url, decode=True)
    client.flushdb()
    yield client
    redis_conn.reset()


def test_config_makes_a_sentinel_url_and_the_clients_follow_it(config, steward, cluster: Cluster) -> None:
    assert config.redis_url == f"sentinel://127.0.0.1:{cluster.sentinel_port}/{MASTER_NAME}/0"
    assert redis_conn.parse_sentinel_url("sentinel://:pw@a:1,b:2/m/3") == ([("a", 1), ("b", 2)], "m", 3, "pw")
    steward.redis.set("steward:probe", "1")
    assert redis_lib.Redis(port=cluster.master()[1]).get("steward:probe") == b"1"


def test_the_master_killed_mid_stream_loses_nothing(steward, live, wechat, cluster: Cluster) -> None:
    old = cluster.master()
    n, sent, failures = 60, [], []
    killed = threading.Event()

    def resident(i: int) -> None:
        # As WeChat does: an answer other than our reply is retried (same MsgId), up to 5 times.
        msg_id = 9_000_000 + i
        for _ in range(5):
            try:
                ex = wechat.text(f"o-failover-{i}", f"3号院{i % 9 + 1}号楼{i}单元的楼道灯坏了，晚上黑乎乎的", msg_id=msg_id)
                if ex.status == 200 and ex.reply:
                    sent.append(i)
                    return
            except Exception as exc:  # noqa: BLE001 — counted below
                failures.append(repr(exc))
            time.sleep(0.5)
        failures.append(f"message {i} never answered")

    def stream() -> None:
        for i in range(n):
            if i == n // 3:
                cluster.kill_master()
                killed.set()
            resident(i)
            time.sleep(0.05)

    sender = threading.Thread(target=stream)
    sender.start()
    while sender.is_alive():  # the worker, in this (main) thread, while the messages flow
        try:
            drain(steward, rounds=50)
        except (redis_lib.RedisError, AssertionError):
            time.sleep(0.2)
        time.sleep(0.1)
    sender.join()
    assert killed.is_set()
    assert cluster.master() != old, "the sentinel did not fail over"
    # What a running system does on its own: `steward replay` for a message kept as failed (none
    # expected), the minute's outbox sweep for a job Redis lost with its master (async replication).
    replay.replay(steward)
    sweep.sweep_outbox(steward, older_than=0)
    drain(steward, rounds=50)

    with steward.session() as s:
        msgs = s.scalar(select(func.count()).select_from(InboundMessage).where(InboundMessage.ticket_id.is_not(None)))
        statuses = dict(s.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all())
        tasks = s.scalar(select(func.count()).select_from(Push).where(Push.kind == "task", Push.status == "sent"))
    assert not failures, failures
    assert sorted(sent) == list(range(n))
    assert msgs == n, (msgs, statuses)
    assert statuses == {"dispatched": n}, statuses
    assert tasks == n

