"""Running the workers: `steward worker` calls `run_worker(steward)`.

RQ 2.12 has a cron scheduler (`rq.cron.CronScheduler`), but it is a separate long-running process
with its own loop. We keep one process kind instead: every worker runs RQ's scheduler
(`with_scheduler=True`, which RQ makes a single active holder via a Redis lock) and on start makes
sure the self-rescheduling sweep job exists (`workers.deadline_jobs.periodic_sweep`, one job id per
time slot, so many workers still make one chain). The sweep is idempotent, so an extra run is
harmless and a lost one is made up by the next.
"""

from __future__ import annotations

import logging

import redis as redis_lib
from rq import Queue, SimpleWorker, Worker

from bot.state import Steward, set_worker_steward
from workers import queues

log = logging.getLogger(__name__)


def schedule_periodic(redis_raw: redis_lib.Redis, interval: int | None = None, steward: Steward | None = None) -> bool:
    """Make sure the periodic sweep is scheduled (call at worker start; safe to call often)."""
    from workers.deadline_jobs import schedule_next_sweep

    if interval is None:
        interval = steward.config.dispatch.sweep_interval if steward else 60
    return schedule_next_sweep(redis_raw, interval)


def make_worker(steward: Steward, simple: bool = False, name: str | None = None) -> Worker:
    set_worker_steward(steward)
    conn = steward.redis_raw
    qs = [Queue(n, connection=conn) for n in queues.ALL_QUEUES]
    cls = SimpleWorker if simple else Worker
    return cls(qs, connection=conn, name=name)


def run_worker(steward: Steward, burst: bool = False, simple: bool = False, name: str | None = None) -> bool:
    """Run an RQ worker on the dispatch, push and default queues with the scheduler.

    `simple=True` runs jobs in this process (no fork per job: faster, for dev and benchmarks);
    the default forks a work horse per job so a stuck job can be killed by its timeout."""
    worker = make_worker(steward, simple=simple, name=name)
    if not burst:
        schedule_periodic(steward.redis_raw, steward=steward)
    log.info("worker %s on queues %s", worker.name, ", ".join(queues.ALL_QUEUES))
    return worker.work(burst=burst, with_scheduler=True, logging_level="WARNING")
