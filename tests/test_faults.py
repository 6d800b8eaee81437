"""Fault tests with real processes: gunicorn webhook, `steward worker`, the sandbox as "WeChat", and a
Redis server of our own (never the machine's 6379: we stop ours on purpose).

Run alone with `pytest -m fault`. Each test keeps under about a minute; the config shortens the
retry intervals, the outbox delay and the sweep interval so faults resolve in seconds.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis as redis_lib
from sqlalchemy import select

from bench import loadgen
from bot import config as config_mod
from bot.sandbox import state as sandbox
from bot.services.uow.steward import Steward
from bot.storage import db as db_mod
from bot.storage.models import CouncilMember, InboundMessage, Push, Ticket, TicketEvent
from bot.wechat.signing import SignedPoster, build_text_xml
from tests.conftest import ROOT

pytestmark = [pytest.mark.fault, pytest.mark.slow]

REDIS_SERVER = shutil.which("redis-server")
needs_redis_server = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")
STEWARD = str(loadgen.VENV_BIN / "steward")
# How long the SIGKILL test waits for the retried push (longer by hand to see when it recovers).
# RQ counts the killed job abandoned when its heartbeat lapses (job timeout 30 s + 60 s); the
# killed worker's scheduler lock lapses after 61 s and the others take it over at their next
# maintenance (workers.run.MAINTENANCE_INTERVAL, 30 s); only then is the retry enqueued.
KILL_WAIT = float(os.environ.get("STEWARD_FAULT_KILL_WAIT", "150"))


def wait_for(predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.25) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


class RedisServer:
    """A throwaway redis-server on a free loopback port, stoppable and restartable on that port."""

    def __init__(self, work: Path) -> None:
        self.port = loadgen.free_port()
        self.work = work
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.work)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis_lib.Redis.from_url(self.url)
        wait_for(lambda: _pings(client), 10, "redis-server to start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)  # as abrupt as a crash: no final save, connections cut
            self.proc.wait(10)


def _pings(client: redis_lib.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis_lib.RedisError:
        return False


def fault_config(work: Path) -> Path:
    """The sample config with fresh secrets (services refuse the sample ones), fast retries and sweeps,
    and the spool in the temp dir."""
    text = config_mod.production_copy((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    for pattern, value in ((r"retry_intervals = \[[^\]]*\]", "retry_intervals = [1, 2, 2]"),
                           (r"outbox_after = \d+", "outbox_after = 3"),
                           (r"sweep_interval = \d+", "sweep_interval = 2"),
                           # the sample now has a [spool] section: point its dir at the temp dir
                           (r'(\[spool\]\ndir = )"[^"]*"', f'\\g<1>"{work / "spool"}"')):
        text, n = re.subn(pattern, value, text, count=1)
        assert n == 1, f"config.example.toml no longer has {pattern}"
    path = work / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


class System:
    """The bot's processes on loopback, as in production, plus handles on Redis, the DB and the sandbox."""

    def __init__(self, work: Path, redis_url: str, db_url: str | None = None) -> None:
        self.work = work
        self.config_path = fault_config(work)
        self.db_url = db_url or f"sqlite:///{work / 'steward.db'}"
        self.redis_url = redis_url
        self.web_port, self.sandbox_port = loadgen.free_port(), loadgen.free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
        self.env.update(
            STEWARD_CONFIG=str(self.config_path),
            STEWARD_DATABASE_URL=self.db_url,
            STEWARD_REDIS_URL=redis_url,
            STEWARD_WECHAT_API_BASE_URL=f"http://127.0.0.1:{self.sandbox_port}/sandbox/cgi-bin",
            PYTHONPATH=str(ROOT),
        )
        self.config = config_mod.load(self.config_path, {"database.url": self.db_url, "redis.url": redis_url,
                                                         "wechat.api_base_url": self.env[
                                                             "STEWARD_WECHAT_API_BASE_URL"]})
        self.steward = Steward(self.config)
        self.redis = redis_lib.Redis.from_url(redis_url, decode_responses=True)
        self.procs: list[loadgen.Proc] = []
        self.workers: list[loadgen.Proc] = []
        self.poster = SignedPoster(self.config.wechat, f"http://127.0.0.1:{self.web_port}/wechat", timeout=10)
        self._n = 0

    # -- processes -------------------------------------------------------------------------------

    def run(self, *args: str, db_url: str | None = None) -> subprocess.CompletedProcess:
        env = self.env | ({"STEWARD_DATABASE_URL": db_url} if db_url else {})
        return subprocess.run([STEWARD, *args], env=env, cwd=self.work, capture_output=True, text=True, timeout=120)

    def start(self, worker: bool = True, web_db_url: str | None = None) -> System:
        done = self.run("db", "upgrade")
        assert done.returncode == 0, done.stderr
        sbx = loadgen.gunicorn("bench.sandbox_wsgi:app", self.sandbox_port, self.env, self.work,
                               self.work / "sandbox.log", 2)
        web_env = self.env | ({"STEWARD_DATABASE_URL": web_db_url} if web_db_url else {})
        web = loadgen.gunicorn("bot.wsgi:app", self.web_port, web_env, self.work, self.work / "web.log", 2)
        self.procs += [sbx, web]
        loadgen.wait_http(f"http://127.0.0.1:{self.sandbox_port}/healthz", sbx)
        loadgen.wait_http(f"http://127.0.0.1:{self.web_port}/healthz", web)
        if _pings(self.redis):
            sandbox.reset(self.redis)
            sandbox.configure(self.redis, window_check=False)  # the 45015 case is injected explicitly
        if worker:
            self.start_worker()
        return self

    def start_worker(self) -> loadgen.Proc:
        proc = loadgen.spawn([STEWARD, "worker"], self.env, self.work, self.work / f"worker{len(self.workers)}.log")
        self.workers.append(proc)
        return proc

    def supervise(self) -> int:
        """What systemd's Restart=always does: start a worker for each one that exited. Returns how many."""
        dead = [w for w in self.workers if w.popen.poll() is not None]
        for w in dead:
            self.workers.remove(w)
            self.start_worker()
        return len(dead)

    def stop(self) -> None:
        for p in self.workers + self.procs:
            p.stop()
        db_mod.engine_for(self.db_url).dispose()

    # -- traffic ---------------------------------------------------------------------------------

    def resident(self) -> str:
        self._n += 1
        return f"o-fault-{os.getpid()}-{self._n:04d}"

    def report(self, openid: str, courtyard: str = "c3", what: str = "2号楼楼道灯坏了，晚上看不见") -> tuple[int, str]:
        name = self.config.courtyard(courtyard).name
        status, reply = self.poster.exchange(build_text_xml(self.config.wechat.original_id, openid, name + what),
                                             openid=openid)
        return status, reply.get("Content", "")

    # -- state -----------------------------------------------------------------------------------

    def tickets(self, openid: str | None = None) -> list[Ticket]:
        with self.steward.session() as s:
            q = select(Ticket).order_by(Ticket.id)
            if openid:
                q = q.where(Ticket.resident_openid == openid)
            return list(s.scalars(q))

    def pushes(self, ticket_id: int, kind: str | None = None) -> list[Push]:
        with self.steward.session() as s:
            q = select(Push).where(Push.ticket_id == ticket_id).order_by(Push.id)
            if kind:
                q = q.where(Push.kind == kind)
            return list(s.scalars(q))

    def events(self, ticket_id: int) -> list[str]:
        with self.steward.session() as s:
            return list(s.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id)
                                  .order_by(TicketEvent.id)))

    def recorded(self, ticket_id: int, kind: str = "task") -> list[dict]:
        """What the sandbox (WeChat) actually received for this ticket's pushes of `kind`."""
        # client_msg_id is "<deployment>-t<ticket>-<kind>-…" (bot.services.push.send.client_msg_id)
        part = f"-t{ticket_id}-{kind}-"
        return [m for m in sandbox.messages(self.redis) if part in (m.get("client_msg_id") or "")]

    def logs(self) -> str:
        return "\n".join(f"--- {p.log.name}\n{p.tail(15)}" for p in self.workers + self.procs)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def own_redis(work: Path) -> Iterator[RedisServer]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer(work)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def system(work: Path, own_redis: RedisServer) -> Iterator[System]:
    s = System(work, own_redis.url)
    try:
        yield s.start()
    except BaseException:
        print(s.logs())
        raise
    finally:
        s.stop()


@pytest.fixture(scope="module")
def shared_system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    """One set of processes for the sandbox-fault cases (each uses its own courtyard and resident)."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    work = tmp_path_factory.mktemp("faults")
    server = RedisServer(work)
    server.start()
    s = System(work, server.url)
    try:
        yield s.start()
    finally:
        s.stop()
        server.stop()


def dispatched_once(system: System, openid: str, timeout: float = 30) -> Ticket:
    ticket = wait_for(lambda: [t for t in system.tickets(openid) if t.status != "received"], timeout,
                      "the ticket to be dispatched")[0]
    return ticket


# -- Redis ---------------------------------------------------------------------------------------


@needs_redis_server
def test_redis_down_for_10s_during_a_stream(system: System, own_redis: RedisServer):
    """Every message is answered while Redis is down; the same worker processes ride the outage out
    (nobody restarts them) and afterwards every ticket committed during it is dispatched and pushed.
    Before the supervised loop, RQ's worker quit ("found an unhandled exception") in 2 of 3 runs."""
    rate, duration, down_at, down_for = 4.0, 18.0, 4.0, 10.0
    results: dict[str, tuple[int, str]] = {}
    openids = [system.resident() for _ in range(int(rate * duration))]
    pids = [w.popen.pid for w in system.workers]

    def send(openid: str) -> None:
        try:
            results[openid] = system.report(openid, "c5")
        except Exception as exc:  # a timeout or a reset connection is a failed answer
            results[openid] = (0, type(exc).__name__)

    def outage() -> None:
        time.sleep(down_at)
        own_redis.stop()
        time.sleep(down_for)
        own_redis.start()

    chaos = threading.Thread(target=outage)
    chaos.start()
    start = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        for i, openid in enumerate(openids):
            time.sleep(max(0.0, start + i / rate - time.monotonic()))
            pool.submit(send, openid)
    chaos.join()

    bad = {o: r for o, r in results.items() if r[0] != 200 or not r[1]}
    assert not bad, f"{len(bad)} messages not answered with a reply: {list(bad.values())[:3]}"

    def all_pushed() -> bool:
        tickets = system.tickets()
        return len(tickets) == len(openids) and all(
            t.status == "dispatched" and [p.status for p in system.pushes(t.id, "task")] == ["sent"] for t in tickets)

    def not_dispatched() -> str:
        return str(sorted(t.ref for t in system.tickets() if t.status != "dispatched")[:10])

    try:
        wait_for(all_pushed, 45, "every ticket to be dispatched and its task pushed after Redis came back")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; not dispatched: {not_dispatched()}") from None
    # No restart by hand: the very processes started before the outage did it.
    assert [w.popen.poll() for w in system.workers] == [None] * len(pids)
    assert [w.popen.pid for w in system.workers] == pids
    # The sandbox keeps its log in the Redis that was wiped, so it only saw the later pushes: at most once each.
    for t in system.tickets():
        assert len(system.recorded(t.id)) <= 1, f"ticket {t.ref}: task pushed {len(system.recorded(t.id))} times"
    assert sum(len(system.recorded(t.id)) for t in system.tickets()) > 0


@needs_redis_server
def test_worker_started_while_redis_is_down_waits_then_works_and_stops_on_sigterm(system: System,
                                                                                   own_redis: RedisServer):
    """Before the supervised loop, `steward worker` started without Redis died at once (RQ's
    registration raised); now it waits, takes work when Redis is back, and SIGTERM still stops it."""
    system.workers[0].stop()
    own_redis.stop()
    late = system.start_worker()
    time.sleep(4)
    assert late.popen.poll() is None, late.tail()
    own_redis.start()
    sandbox.configure(system.redis, window_check=False)
    openid = system.resident()
    assert system.report(openid, "c19")[0] == 200
    dispatched_once(system, openid, timeout=40)
    late.popen.send_signal(signal.SIGTERM)  # the main process only, as systemd's stop would
    assert late.popen.wait(15) == 0, late.tail()


# -- a worker killed mid-job --------------------------------------------------------------------


@needs_redis_server
def test_worker_killed_mid_push_is_retried_and_pushes_once(system: System):
    # The first template send hangs 4 s and then fails: the worker is killed while it waits.
    sandbox.inject(system.redis, "message/template/send", [{"timeout": 4, "http": 503}])
    openid = system.resident()
    status, reply = system.report(openid, "c7")
    assert status == 200 and reply
    wait_for(lambda: not sandbox.pending_faults(system.redis), 20, "the task push to reach the sandbox")
    victim = system.workers[0]
    victim.stop(signal.SIGKILL)  # the worker and its work horse, with no chance to clean up
    system.supervise()
    ticket = system.tickets(openid)[0]
    try:
        wait_for(lambda: len(system.recorded(ticket.id)) >= 1, KILL_WAIT, "the killed push to be retried")
    except AssertionError as exc:
        (task,) = system.pushes(ticket.id, "task")
        job_status = system.redis.hget(f"rq:job:push-{task.client_msg_id}", "status")
        raise AssertionError(f"{exc}; push row {task.status}, RQ job status {job_status!r}, "
                             f"started registry {system.redis.zrange('rq:wip:push', 0, -1, withscores=True)}") from None
    time.sleep(3)  # room for a wrong second push
    assert len(system.recorded(ticket.id)) == 1
    task = system.pushes(ticket.id, "task")
    assert len(task) == 1 and task[0].status == "sent"


@needs_redis_server
def test_worker_killed_mid_customer_service_send_never_sends_it_twice(system: System):
    """The resident just wrote, so their notice goes as a customer-service text — which has no
    idempotency key at WeChat. The worker is killed while WeChat is still answering (it did get
    the text). The recovered push must not send the text again: it goes as the template message
    (with its client_msg_id) instead. Before: the retried push sent the same text a second time."""
    openid = system.resident()
    sandbox.inject(system.redis, "message/custom/send", [{"timeout": 4}], openid=openid)
    status, reply = system.report(openid, "c17")
    assert status == 200 and reply
    wait_for(lambda: not sandbox.pending_faults(system.redis), 20, "the notice to reach the sandbox")
    victim = system.workers[0]
    victim.stop(signal.SIGKILL)
    system.supervise()  # the service manager restarts the killed process (the fault here is the kill)
    ticket = system.tickets(openid)[0]

    def notice_sent() -> list[Push]:
        return [p for p in system.pushes(ticket.id, "notice") if p.status == "sent"]

    try:
        (notice,) = wait_for(notice_sent, KILL_WAIT, "the killed notice to be recovered")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; notice rows {[(p.status, p.error) for p in system.pushes(ticket.id)]}") from None
    time.sleep(3)  # room for a wrong second text
    got = sandbox.messages(system.redis, openid)
    assert [m["kind"] for m in got].count("custom") == 1, got
    assert notice.channel == "template" and "结果未知" in (notice.error or "")
    assert [m["client_msg_id"] for m in got if m["kind"] == "template"] == [notice.client_msg_id]


# -- the sandbox failing in each way issue 4 names ---------------------------------------------


def test_sandbox_5xx_three_times_then_ok_pushes_once(shared_system: System):
    s = shared_system
    sandbox.inject(s.redis, "message/template/send", [{"http": 503}] * 3)
    openid = s.resident()
    assert s.report(openid, "c1")[0] == 200
    ticket = dispatched_once(s, openid)
    wait_for(lambda: s.recorded(ticket.id), 30, "the task push after three 503s")
    time.sleep(2)
    assert len(s.recorded(ticket.id)) == 1
    (task,) = s.pushes(ticket.id, "task")
    assert task.status == "sent" and task.attempts == 4


def test_sandbox_timeout_is_retried_and_pushes_once(shared_system: System):
    s = shared_system
    # Longer than the client's 5 s timeout; the sandbox still answers afterwards, as a slow WeChat
    # would, so the resend must be recognised by its client_msg_id.
    sandbox.inject(s.redis, "message/template/send", [{"timeout": 6}])
    openid = s.resident()
    assert s.report(openid, "c9")[0] == 200
    ticket = dispatched_once(s, openid)
    wait_for(lambda: s.pushes(ticket.id, "task")[0].status == "sent", 30, "the task push after a timeout")
    time.sleep(2)
    assert len(s.recorded(ticket.id)) == 1
    assert s.pushes(ticket.id, "task")[0].attempts >= 2


def test_sandbox_40001_refreshes_the_token_once(shared_system: System):
    s = shared_system
    s.report(s.resident(), "c11")  # make sure a token exists before counting
    wait_for(lambda: sandbox.token_fetches(s.redis) > 0, 30, "a first token")
    time.sleep(1)
    before = sandbox.token_fetches(s.redis)
    sandbox.inject(s.redis, "message/template/send", [{"errcode": 40001}])
    openid = s.resident()
    assert s.report(openid, "c11")[0] == 200
    ticket = dispatched_once(s, openid)
    wait_for(lambda: s.recorded(ticket.id), 30, "the task push after 40001")
    assert len(s.recorded(ticket.id)) == 1
    assert sandbox.token_fetches(s.redis) - before == 1


def test_sandbox_45015_falls_back_to_a_template(shared_system: System):
    s = shared_system
    openid = s.resident()
    # The resident just wrote, so their notice goes as a customer-service message — which WeChat refuses.
    sandbox.inject(s.redis, "message/custom/send", [{"errcode": 45015}], openid=openid)
    assert s.report(openid, "c13")[0] == 200
    ticket = dispatched_once(s, openid)

    def notice_sent() -> list[Push]:
        return [p for p in s.pushes(ticket.id, "notice") if p.status == "sent"]

    (notice,) = wait_for(notice_sent, 30, "the resident's notice")
    assert notice.channel == "template" and "45015" in (notice.error or "")
    got = sandbox.messages(s.redis, openid)
    assert [m["kind"] for m in got] == ["template"]


def test_sandbox_43004_goes_to_the_backup_and_tells_staff(shared_system: System):
    s = shared_system
    sandbox.inject(s.redis, "message/template/send", [{"errcode": 43004}])
    openid = s.resident()
    assert s.report(openid, "c15")[0] == 200
    dispatched_once(s, openid)

    def redispatched() -> Ticket | None:
        t = s.tickets(openid)[0]
        return t if t.dispatch_attempt >= 2 and s.recorded(t.id) else None

    t = wait_for(redispatched, 30, "dispatch to the backup")
    first = s.pushes(t.id, "task")[0].openid  # attempt 1's receiver, the one WeChat refused
    assert t.assignee_openid != first
    assert [m["openid"] for m in s.recorded(t.id)] == [t.assignee_openid]
    assert "receiver_unreachable" in s.events(t.id)
    with s.steward.session() as db:
        row = db.scalars(select(CouncilMember).where(CouncilMember.openid == first)).one()
        assert row.reachable is False
    if s.config.staff_openids:
        wait_for(lambda: s.recorded(t.id, "alert"), 20, "an alert to staff")


# -- the database unreachable ------------------------------------------------------------------


@needs_redis_server
def test_database_unreachable_answers_and_keeps_messages_for_replay(work: Path, own_redis: RedisServer):
    closed = loadgen.free_port()  # nothing listens here: PostgreSQL is "down"
    s = System(work, own_redis.url)
    try:
        s.start(worker=False, web_db_url=f"postgresql+psycopg://postgres@127.0.0.1:{closed}/steward")
        openids = [s.resident() for _ in range(4)]
        for openid in openids:
            status, _ = s.poster.exchange(build_text_xml(s.config.wechat.original_id, openid, "育英街3号院楼道灯坏了",
                                                         msg_id=9_300_000_000_000 + int(openid[-4:])),
                                          openid=openid)
            assert status == 200  # WeChat never sees an error page
        # WeChat's retry of the first message while the database is still down: one spooled copy.
        xml = build_text_xml(s.config.wechat.original_id, openids[0], "育英街3号院楼道灯坏了",
                             msg_id=9_300_000_000_000 + int(openids[0][-4:]))
        assert s.poster.exchange(xml, openid=openids[0])[0] == 200
        spooled = sorted((work / "spool").glob("*.json"))
        assert len(spooled) == len(openids)
        assert not s.tickets()

        # The database is back: `steward replay` creates each ticket exactly once, however often it runs.
        for _ in range(2):
            done = s.run("replay")
            assert done.returncode == 0, done.stdout + done.stderr
        tickets = s.tickets()
        assert sorted(t.resident_openid for t in tickets) == sorted(openids)
        with s.steward.session() as db:
            rows = list(db.scalars(select(InboundMessage)))
        assert len(rows) == len(openids) and all(r.status == "handled" for r in rows)
        assert not list((work / "spool").glob("*.json"))
    except BaseException:
        print(s.logs())
        raise
    finally:
        s.stop()
