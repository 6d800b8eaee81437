"""Sending a dispatch's pushes from the dispatch job itself, instead of one RQ job per push.

Each ticket used to cost a dispatch job plus a push job per receiver (the task to the member, the
notice to the resident), each with its own Redis traffic, worker hand-over and DB session. Now the
dispatch job records the push rows as before (committed, with their `client_msg_id`, BEFORE anything
is sent) and then sends them in-process. Only a retryable failure (5xx, timeout, 45009) falls back to
a push job, scheduled after the first retry interval with the remaining retries — the same tries
and backoff a push job alone would have had. If the process dies after the commit, the rows stay
`pending`: the retried dispatch job (`requeue_pending`) or the outbox sweep enqueues them, and
`deliver` never sends a push that is no longer pending.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from bot.services.push.channel import choose_channel
from bot.services.push.send import PENDING, Ready, deliver, record_sent
from bot.services.uow import jobs
from bot.services.uow.steward import Steward
from bot.storage.models import Push
from bot.wechat.errors import Throttled, TransientError

log = logging.getLogger(__name__)


def send_all(steward: Steward, pushes: list[Ready]) -> None:
    """Send committed push rows now; never raises (each failure falls back to a push job). The
    successes are recorded together, in one transaction after the last send (one database round
    trip per dispatch instead of one per push)."""
    intervals = steward.config.dispatch.retry_intervals
    sent: list[dict] = []
    for ready in pushes:
        push_id, cmid = ready.push_id, ready.cmid
        try:
            deliver(steward, push_id, last_try=not intervals, ready=ready, sent=sent)
        except (TransientError, Throttled):
            _retry_later(steward, push_id, cmid, intervals)
        except Exception:  # a DB hiccup after the commit: a push job (with its retries) takes over
            log.exception("inline push %s failed; handing it to a push job", push_id)
            jobs.enqueue(steward.redis_raw, jobs.push_job(push_id, cmid, intervals))
    if sent:
        try:
            record_sent(steward, sent)
        except Exception:  # noqa: BLE001 — rows stay pending: the sweep's push job finds them sent at
            # WeChat by client_msg_id (templates) or goes template-only (customer-service, custom_once)
            log.exception("recording %d sent pushes failed", len(sent))


def send_batch(steward: Steward, push_ids: list[int]) -> int:
    """The `send_pushes` job: one transaction counts the attempt (and a customer-service try) of
    every push of the batch still pending, then they are sent as the dispatch job sends its own.
    A push with a push job of its own waiting (a retry handed over by an earlier run) is left to
    it. Returns how many were sent or handed on."""
    config = steward.config
    with steward.session() as s:
        rows = list(s.scalars(select(Push).where(Push.id.in_(push_ids), Push.status == PENDING)
                              .order_by(Push.id).with_for_update()))
        busy = jobs.waiting(steward.redis_raw, [jobs.push_job_id(p.client_msg_id) for p in rows])
        ready = []
        for push, taken in zip(rows, busy, strict=True):
            if not taken:
                push.attempts += 1
                ready.append(Ready.of(push, choose_channel(s, config, push)))
    send_all(steward, ready)
    return len(ready)


def _retry_later(steward: Steward, push_id: int, cmid: str, intervals: tuple[int, ...]) -> None:
    first, rest = intervals[0], tuple(intervals[1:])
    delay = timedelta(seconds=first) if first > 0 else None
    jobs.enqueue(steward.redis_raw, jobs.push_job(push_id, cmid, rest, delay=delay))
