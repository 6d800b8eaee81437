"""Running the workers: `steward worker` calls `run_worker(steward)`.

RQ 2.12 has a cron scheduler (`rq.cron.CronScheduler`), but it is a separate long-running process
with its own loop. We keep one process kind instead: every worker runs RQ's scheduler
(`with_scheduler=True`, which RQ makes a single active holder via a Redis lock) and on start makes
sure the self-rescheduling sweep job exists (`workers.jobs.periodic_sweep`, scheduled by
`bot.services.sweep.schedule_next_sweep` with one job id per time slot, so many workers still make
one chain). The sweep is idempotent, so an extra run is harmless and a lost one is made up by the next.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import redis as redis_lib
from rq import Queue, SimpleWorker, Worker
from rq.worker import BaseWorker
from sqlalchemy import text

import workers.jobs  # noqa: F401 — imported before the first job arrives (see warm_up)
from bot.runtime import for_worker, set_worker_steward
from bot.services.sweep import schedule_next_sweep
from bot.services.uow import jobs
from bot.services.uow.steward import Steward

log = logging.getLogger(__name__)


def schedule_periodic(redis_raw: redis_lib.Redis, interval: int | None = None, steward: Steward | None = None) -> bool:
    """Make sure the periodic sweep is scheduled (call at worker start; safe to call often)."""
    if interval is None:
        interval = steward.config.dispatch.sweep_interval if steward else 60
    return schedule_next_sweep(redis_raw, interval)


# How often a worker runs RQ's maintenance, which is also when it takes over the scheduler lock of
# a worker that died without releasing it (the lock lives 61 s). RQ's default of 600 s would let
# retries, deadline checks and the periodic sweep stall for ten minutes after a SIGKILL.
MAINTENANCE_INTERVAL = 30
# An idle worker blocks on the queues for worker_ttl - 15 s between maintenance runs (RQ: 420 s);
# keep it short so an idle worker notices a dead one within a minute.
WORKER_TTL = 45


class _Rearming:
    """Worker behaviour for Redis outages. RQ's worker keeps retrying a lost Redis, but its scheduler
    process dies, and a Redis that restarts empty has lost the self-rescheduling sweep chain. So as
    soon as Redis answers again, run maintenance (RQ restarts its scheduler there) and re-arm the
    sweep, which then dispatches whatever the outage left in `received`."""

    def heartbeat(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().heartbeat(*args, **kwargs)  # type: ignore[misc]
        except redis_lib.exceptions.ConnectionError:
            self.last_cleaned_at = datetime.now(UTC) - timedelta(days=1)  # maintenance due on reconnect
            raise

    def teardown(self) -> None:
        # RQ stops the scheduler first, then writes the worker's death to Redis. With Redis gone
        # that write raises out of `work()`; the supervisor only needs the scheduler stopped.
        try:
            super().teardown()  # type: ignore[misc]
        except redis_lib.RedisError:
            log.warning("worker %s could not record its end in Redis", self.name)  # type: ignore[attr-defined]
            try:
                self.unsubscribe()
            except Exception:  # noqa: BLE001 — the pubsub thread is gone with the connection
                pass

    def unsubscribe(self) -> None:
        # RQ unsubscribes, then stops its pubsub thread (sleep_time 60 s) and redis-py's stop()
        # joins it. If the thread has already read UNSUBSCRIBE's reply it waits up to 60 s for a
        # new subscription before it looks at its stop flag: a stopping worker (SIGTERM, every
        # burst drain in the tests) hung for a minute. So: the stop flag first, then UNSUBSCRIBE,
        # whose reply wakes the thread into seeing the flag.
        thread = getattr(self, "pubsub_thread", None)
        if thread is None:
            return
        thread._running.clear()  # redis-py's PubSubWorkerThread: what stop() clears before its join
        try:
            self.pubsub.unsubscribe()  # type: ignore[attr-defined]
        except redis_lib.RedisError:
            pass
        thread.join(2)
        self.pubsub.close()  # type: ignore[attr-defined]

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()  # type: ignore[misc]
        try:
            schedule_periodic(self.connection, steward=for_worker())  # type: ignore[attr-defined]
        except redis_lib.RedisError:
            log.warning("could not re-arm the periodic sweep; will try at the next maintenance")


class _FairCommunities:
    """Each community's dispatch jobs wait on its own queue (`dispatch:<id>`); after a job from one of
    them that queue goes to the back of their run, so the communities take turns (urgent first
    still, pushes after). New communities' queues are picked up at the next maintenance."""

    def reorder_queues(self, reference_queue: Queue) -> None:
        name = reference_queue.name
        if not name.startswith(jobs.DISPATCH + ":"):
            return
        qs: list[Queue] = self._ordered_queues  # type: ignore[has-type]
        fair = [q for q in qs if q.name.startswith(jobs.DISPATCH + ":")]
        turned = [q for q in fair if q.name != name] + [q for q in fair if q.name == name]
        it = iter(turned)
        self._ordered_queues = [next(it) if q.name.startswith(jobs.DISPATCH + ":") else q for q in qs]

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()  # type: ignore[misc]
        wanted = jobs.worker_queues(tuple(c.id for c in for_worker().deployment.communities))
        have = [q.name for q in self.queues]  # type: ignore[has-type]
        if list(wanted) != have:
            conn = self.connection  # type: ignore[attr-defined]
            self.queues = [Queue(n, connection=conn) for n in wanted]
            self._ordered_queues = self.queues[:]
            log.info("worker %s now on queues %s", self.name, ", ".join(wanted))  # type: ignore[attr-defined]


# rq 2.12 leaves BaseWorker.last_cleaned_at unannotated (`= None`), so mypy types it as None only,
# though rq itself sets a datetime there; _Rearming's datetime clashes with that.
class StewardWorker(_FairCommunities, _Rearming, Worker):  # type: ignore[misc]  # rq: last_cleaned_at typed as None
    pass


class StewardSimpleWorker(_FairCommunities, _Rearming, SimpleWorker):  # type: ignore[misc]  # rq: last_cleaned_at typed as None
    pass


def make_worker(steward: Steward, simple: bool = True, name: str | None = None) -> BaseWorker:
    set_worker_steward(steward)
    conn = steward.redis_raw
    qs = [Queue(n, connection=conn) for n in jobs.worker_queues(tuple(c.id for c in steward.communities))]
    cls = StewardSimpleWorker if simple else StewardWorker
    return cls(qs, connection=conn, name=name, maintenance_interval=MAINTENANCE_INTERVAL, worker_ttl=WORKER_TTL)


def warm_up(steward: Steward) -> None:
    """Open a database connection before taking jobs (the job modules are imported with this
    module), so the first tickets after a (re)start do not wait behind connection set-up. Best effort: a
    worker must start while the database is down and ride the outage out."""
    try:
        with steward.session() as s:
            s.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 — any failure only means a cold first job
        log.warning("database not reachable at worker start (%s); jobs will wait for it", type(exc).__name__)


# Waiting for Redis to answer again (seconds between pings).
RECONNECT_BACKOFF = (0.5, 1, 2, 4, 5)
# Pause before a new RQ worker, by how many runs in a row ended within 30 s.
RESTART_BACKOFF = (0.2, 1, 5, 15, 30)


class _StopFlag:
    """SIGTERM/SIGINT while no RQ worker is running (waiting for Redis): stop instead of dying."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.event.set())


def _redis_answers(conn: redis_lib.Redis) -> bool:
    try:
        return bool(conn.ping())
    except (redis_lib.RedisError, OSError):
        return False


def wait_for_redis(conn: redis_lib.Redis, stop: threading.Event, backoff: tuple[float, ...] = RECONNECT_BACKOFF) -> bool:
    """Block until Redis answers (True) or a stop is asked for (False)."""
    tries = 0
    while not stop.is_set():
        if _redis_answers(conn):
            return True
        stop.wait(backoff[min(tries, len(backoff) - 1)])
        tries += 1
    return False


def _stop_asked(worker: BaseWorker) -> bool:
    """SIGTERM/SIGINT reached RQ's handler (idle: it only notes the date and leaves the loop)."""
    return worker._stop_requested or getattr(worker, "_shutdown_requested_date", None) is not None


def run_worker(steward: Steward, burst: bool = False, simple: bool = True, name: str | None = None) -> bool:
    """Run an RQ worker on the dispatch, push and default queues with the scheduler — supervised.

    By default jobs run in this warm process (no fork per job: a forked work horse re-imports the
    database driver and opens new connections for every job, which collapses under a burst; our jobs
    are short and bounded by their RQ timeouts). `simple=False` forks a work horse per job for
    isolation. Run several `steward worker` processes for more throughput.

    RQ's work loop quits on a Redis error anywhere but its dequeue wait (a heartbeat after a job,
    maintenance, registering at start): "found an unhandled exception, quitting". So the loop is
    supervised here: when RQ's loop ends without a stop being asked for, wait until Redis answers
    and start a fresh RQ worker (new name; its first maintenance restarts the scheduler and re-arms
    the sweep, which dispatches what the outage left in `received`). Only SIGTERM/SIGINT or `--burst`
    end the process."""
    if simple:
        warm_up(steward)
    stop = _StopFlag()
    worked, runs, quick_ends = False, 0, 0
    stop.install()
    while True:
        if not wait_for_redis(steward.redis_raw, stop.event):
            log.info("worker stopping on request while waiting for Redis")
            return worked
        try:  # RQ's Worker() already talks to Redis (CLIENT SETNAME), which may be gone again
            worker = make_worker(steward, simple=simple, name=f"{name}-{runs}" if name and runs else name)
        except (redis_lib.RedisError, OSError):
            if stop.event.wait(RECONNECT_BACKOFF[0]):
                return worked
            continue
        runs += 1
        started = time.monotonic()
        try:
            if not burst:
                schedule_periodic(steward.redis_raw, steward=steward)
            log.info("worker %s on queues %s", worker.name, ", ".join(q.name for q in worker.queues))
            worked = worker.work(burst=burst, with_scheduler=True, logging_level="WARNING") or worked
        except (redis_lib.RedisError, OSError) as exc:  # registering or tearing down without Redis
            log.warning("worker %s lost Redis (%s)", worker.name, type(exc).__name__)
        stop.install()  # RQ's handlers talk to Redis: not while we wait for it
        if burst or _stop_asked(worker) or stop.event.is_set():
            return worked
        # RQ's loop ends without a stop request only on an error (almost always Redis): start a
        # fresh one, backing off if it keeps ending at once (a bug must not become a busy loop).
        quick_ends = quick_ends + 1 if time.monotonic() - started < 30 else 0
        pause = RESTART_BACKOFF[min(quick_ends, len(RESTART_BACKOFF) - 1)]
        log.warning("worker %s ended without a stop request; a new one starts when Redis answers", worker.name)
        if stop.event.wait(pause):
            return worked
