"""Running the workers: `steward worker` calls `run_worker(steward)`.

RQ 2.12 has a cron scheduler (`rq.cron.CronScheduler`), but it is a separate long-running process
with its own loop. We keep one process kind instead: every worker runs RQ's scheduler
(`with_scheduler=True`, which RQ makes a single active holder via a Redis lock) and on start makes
sure the self-rescheduling sweep job exists (`bot.services.deadline_sweep.periodic_sweep`, one job id per
time slot, so many workers still make one chain). The sweep is idempotent, so an extra run is
harmless and a lost one is made up by the next.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import redis as redis_lib
from rq import Queue, SimpleWorker, Worker
from sqlalchemy import text

import workers.jobs  # noqa: F401 — imported before the first job arrives (see warm_up)
from bot.runtime import for_worker, set_worker_steward
from bot.services import jobs
from bot.services.steward import Steward
from bot.services.sweep import schedule_next_sweep

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

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()  # type: ignore[misc]
        try:
            schedule_periodic(self.connection, steward=for_worker())  # type: ignore[attr-defined]
        except redis_lib.RedisError:
            log.warning("could not re-arm the periodic sweep; will try at the next maintenance")


class StewardWorker(_Rearming, Worker):
    pass


class StewardSimpleWorker(_Rearming, SimpleWorker):
    pass


def make_worker(steward: Steward, simple: bool = True, name: str | None = None) -> Worker:
    set_worker_steward(steward)
    conn = steward.redis_raw
    qs = [Queue(n, connection=conn) for n in jobs.ALL_QUEUES]
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


def run_worker(steward: Steward, burst: bool = False, simple: bool = True, name: str | None = None) -> bool:
    """Run an RQ worker on the dispatch, push and default queues with the scheduler.

    By default jobs run in this warm process (no fork per job: a forked work horse re-imports the
    database driver and opens new connections for every job, which collapses under a burst; our jobs
    are short and bounded by their RQ timeouts). `simple=False` forks a work horse per job for
    isolation. Run several `steward worker` processes for more throughput."""
    worker = make_worker(steward, simple=simple, name=name)
    if simple:
        warm_up(steward)
    if not burst:
        schedule_periodic(steward.redis_raw, steward=steward)
    log.info("worker %s on queues %s", worker.name, ", ".join(jobs.ALL_QUEUES))
    return worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")
