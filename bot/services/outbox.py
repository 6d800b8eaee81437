"""Outbox sweep: a ticket is committed before its dispatch job is enqueued, and a push row before
its send job. If Redis was down or the process died in between, the row waits; this sweep enqueues
whatever waited longer than `dispatch.outbox_after`, so nothing that reached the database is lost.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from bot.domain.clock import utcnow
from bot.runtime import for_worker
from bot.services import jobs
from bot.services.push import PENDING
from bot.storage.models import Push, Ticket
from bot.storage.redis_conn import get_redis

log = logging.getLogger(__name__)


def sweep_outbox(older_than: float | None = None) -> dict[str, int]:
    """Enqueue tickets stuck in `received` and pushes stuck in `pending`. Returns the counts."""
    steward = for_worker()
    config = steward.config
    wait = config.dispatch.outbox_after if older_than is None else older_than
    cutoff = utcnow() - timedelta(seconds=wait)
    with steward.session() as s:
        tickets = s.execute(
            select(Ticket.id, Ticket.dispatch_attempt).where(Ticket.status == "received", Ticket.created_at <= cutoff)
        ).all()
        pushes = s.execute(
            select(Push.id, Push.client_msg_id).where(Push.status == PENDING, Push.created_at <= cutoff)
        ).all()
    r = get_redis(config.redis_url)
    sent_t = sum(jobs.enqueue_dispatch(r, tid, attempt + 1) for tid, attempt in tickets)
    sent_p = sum(jobs.enqueue_push(r, pid, cmid, config.dispatch.retry_intervals) for pid, cmid in pushes)
    if tickets or pushes:
        log.info("outbox sweep: %s tickets, %s pushes re-enqueued", sent_t, sent_p)
    return {"tickets": sent_t, "pushes": sent_p}
