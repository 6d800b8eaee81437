"""The periodic sweep: everything the database says is due, whatever Redis lost.

One job chain (`workers.jobs.periodic_sweep`, one job id per time slot, so many workers still make
one chain) runs the outbox sweep, the deadline checks, callback expiry, event reminders and the
rates cache refresh. Each step is idempotent, so an extra run is harmless and a lost one is made up
by the next.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import redis as redis_lib

from bot.domain.clock import utcnow
from bot.services.casework.callback import expire_callbacks
from bot.services.dispatch.deadlines import sweep_deadlines
from bot.services.dispatch.emergencies import chase_unaccepted
from bot.services.events.reminders import send_due_reminders
from bot.services.media import attach as media
from bot.services.privacy import retention
from bot.services.rates.cache import refresh_cache
from bot.services.rates.definitions import fingerprint
from bot.services.uow import audit, jobs, outbox
from bot.services.uow.steward import Steward

log = logging.getLogger(__name__)

SWEEP_JOB = "sweep-{slot}"
RATES_FULL_KEY = "steward:rates:full-refresh"
RETENTION_KEY = "steward:retention:hourly"


def sweep(steward: Steward) -> dict[str, int]:
    """Everything the database says is due: outbox, unsent pushes, reminders, 督办, callback expiry."""
    result = sweep_outbox(steward)
    result["chased"] = _guarded("chase", lambda: chase_unaccepted(steward))
    result["deadlines"] = sweep_deadlines(steward)
    result["callbacks_closed"] = expire_callbacks(steward)
    result["event_reminders"] = _guarded("event_reminders", lambda: send_due_reminders(steward))
    result["rates_months"] = _guarded("rates", lambda: refresh_rates(steward))
    result["media_refetched"] = _guarded("media", lambda: refetch_media(steward))
    result["audit_purged"] = _guarded("audit", lambda: purge_audit(steward))
    result["retention_removed"] = _guarded("retention", lambda: enforce_retention(steward))
    return result


def purge_audit(steward: Steward) -> int:
    """Audit entries older than `[audit] keep_days`."""
    with steward.session() as s:
        return audit.purge(s, steward.config.audit.keep_days)


def enforce_retention(steward: Steward) -> int:
    """Media bytes and raw messages older than `[retention]` (bot.services.privacy.retention), once an
    hour (it reads the whole of both tables' dates; a day's precision is all it needs)."""
    if not steward.redis.set(RETENTION_KEY, "1", nx=True, ex=3600):
        return 0
    done = retention.enforce(steward)
    return done.media + done.messages


def refetch_media(steward: Steward) -> int:
    """Media left pending (a lost job): fetched again while WeChat still keeps it (3 days)."""
    with steward.session() as s:
        return media.requeue_pending(s)


def sweep_outbox(steward: Steward, older_than: float | None = None) -> dict[str, int]:
    """Tickets and pushes that waited too long for their job (`bot.services.uow.outbox.sweep`)."""
    config = steward.config
    wait = config.dispatch.outbox_after if older_than is None else older_than
    return outbox.sweep(steward.session, steward.redis_raw, wait, config.dispatch.retry_intervals)


def _guarded(label: str, fn: Callable[[], int]) -> int:
    """Housekeeping that must not stop the sweep's ticket work when it fails."""
    try:
        return fn()
    except Exception:
        log.exception("sweep step %s failed", label)
        return 0


def refresh_rates(steward: Steward) -> int:
    """Keep the workbench's rates cache warm so no page view computes a month: the current and the
    previous month every sweep (they still change), all twelve once an hour."""
    full = steward.redis.set(RATES_FULL_KEY, "1", nx=True, ex=3600)
    months = 12 if full else 2
    base = steward.deployment
    # Each community's own rates too (its staff's pages, the street page): cached apart and never kept,
    # a cold view computed 12 months (3.8 s at 1M tickets in 20 communities, bench/street.py). On
    # PostgreSQL they come out of the deployment's own query (GROUPING SETS); elsewhere one query each.
    ids = tuple(c.id for c in base.communities) if len(base.communities) > 1 else ()
    fp = fingerprint(base.config)
    grouped = tuple(i for i in ids if fingerprint(base.for_community(i).config) == fp)
    with base.session() as s:
        if s.get_bind().dialect.name != "postgresql":
            grouped = ()
        done = refresh_cache(s, base.config, base.redis, months=months, each_community=grouped)
    for cid in (i for i in ids if i not in grouped):
        scoped = base.for_community(cid)
        with scoped.session() as s:
            refresh_cache(s, scoped.config, scoped.redis, months=months)
    return done


def periodic_sweep(steward: Steward, interval: int | None = None) -> dict[str, int]:
    """Sweep, then schedule the next one."""
    interval = interval or steward.config.dispatch.sweep_interval
    try:
        return sweep(steward)
    finally:
        schedule_next_sweep(steward.redis_raw, interval)


def schedule_next_sweep(redis_raw: redis_lib.Redis, interval: int) -> bool:
    now = utcnow()
    slot = int(now.timestamp()) // interval + 1
    at = now + timedelta(seconds=slot * interval - now.timestamp())
    return jobs.enqueue(redis_raw, jobs.call_job(jobs.PERIODIC_SWEEP, interval, job_id=SWEEP_JOB.format(slot=slot), at=at))
