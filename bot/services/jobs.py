"""Queue names, job ids and enqueueing — the only place that knows how work reaches RQ.

Job ids are deterministic (ticket + attempt, push + client_msg_id), so enqueueing the same work twice
while it waits is one job. That is only a first line: the jobs themselves are idempotent in the
database (a compare-and-set on `tickets.dispatch_attempt`, `pushes.client_msg_id` unique), so a
job that runs twice anyway — a retry, a sweep, a dead worker — still dispatches and pushes once.

Nothing here raises when Redis is down: the ticket or push is already committed, and the periodic
sweep (`bot.services.outbox`) enqueues whatever waited too long.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import redis as redis_lib
from rq import Queue, Retry
from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.domain import clock

log = logging.getLogger(__name__)

DISPATCH = "dispatch"
PUSH = "push"
DEFAULT = "default"
ALL_QUEUES = (DISPATCH, PUSH, DEFAULT)  # worker priority order

# Our jobs make at most a couple of 5-second WeChat calls. The timeout also decides how soon a job
# whose worker was SIGKILLed counts as abandoned and is retried (RQ: timeout + 60 s), so keep it short.
JOB_TIMEOUT = 30
MEDIA_JOB_TIMEOUT = 120  # downloads can be slow
RESULT_TTL = 3600


def dispatch_job_id(ticket_id: int, attempt: int) -> str:
    return f"dispatch-{ticket_id}-{attempt}"


def push_job_id(client_msg_id: str) -> str:
    return f"push-{client_msg_id}"


_queues: dict[tuple[int, str], Queue] = {}


def queue(redis_raw: redis_lib.Redis, name: str) -> Queue:
    """One Queue per client and name: a Queue caches the server version, which RQ otherwise asks
    for (an INFO round trip) on every enqueue."""
    key = (id(redis_raw), name)
    q = _queues.get(key)
    if q is None or q.connection is not redis_raw:
        if len(_queues) > 64:  # tests make many clients; production has one or two
            _queues.clear()
        q = _queues[key] = Queue(name, connection=redis_raw)
    return q


def _safe(what: str, fn: Callable[[], Any]) -> bool:
    try:
        fn()
        return True
    except (redis_lib.RedisError, OSError) as exc:
        # The DB row is committed; the sweep picks it up. Say so, without personal data.
        log.warning("could not enqueue %s (%s); the sweep will pick it up", what, exc.__class__.__name__)
        return False


WAITING = {b"queued", b"scheduled", b"started", b"deferred"}


def _waiting(redis_raw: redis_lib.Redis, job_id: str) -> bool:
    """The job is already queued or running: enqueueing it again would put its id on the queue twice."""
    return redis_raw.hget(f"rq:job:{job_id}", "status") in WAITING


def enqueue_dispatch(
    redis_raw: redis_lib.Redis, ticket_id: int, attempt: int = 1, assignee_openid: str | None = None,
    pipeline: Any = None, fresh: bool = False,
) -> bool:
    """Enqueue the dispatch of a committed ticket. Never raises; False when Redis is unreachable.

    The webhook calls this right after committing a new ticket (attempt 1) with `fresh` (no job can
    exist for it yet, so the "already waiting" read is skipped) and its `pipeline` (which it runs)."""
    from bot.services.dispatch import dispatch_ticket

    job_id = dispatch_job_id(ticket_id, attempt)
    return _safe(
        job_id,
        lambda: (not fresh and _waiting(redis_raw, job_id)) or queue(redis_raw, DISPATCH).enqueue(
            dispatch_ticket,
            ticket_id,
            attempt,
            assignee_openid,
            job_id=job_id,
            job_timeout=JOB_TIMEOUT,
            result_ttl=0,  # nobody reads a dispatch job's return value
            retry=Retry(max=3, interval=[5, 30, 120]),  # DB hiccups; the job is idempotent
            pipeline=pipeline,
        ),
    )


def enqueue_push(redis_raw: redis_lib.Redis, push_id: int, client_msg_id: str, retry_intervals: tuple[int, ...],
                 delay: timedelta | None = None) -> bool:
    """Enqueue `send_push` (after `delay` via the scheduler: a retry the dispatch job hands over)."""
    from bot.services.push import send_push

    job_id = push_job_id(client_msg_id)
    intervals = list(retry_intervals)
    retry = Retry(max=len(intervals), interval=intervals) if intervals else None
    q = queue(redis_raw, PUSH)
    opts = dict(job_id=job_id, job_timeout=JOB_TIMEOUT, result_ttl=0, retry=retry)  # results never read
    return _safe(
        job_id,
        lambda: _waiting(redis_raw, job_id) or (
            q.enqueue_in(delay, send_push, push_id, **opts) if delay else q.enqueue(send_push, push_id, **opts)),
    )


def enqueue_call(
    redis_raw: redis_lib.Redis,
    func: Callable[..., Any],
    *args: Any,
    job_id: str | None = None,
    at: datetime | None = None,
    queue_name: str = DEFAULT,
) -> bool:
    """Enqueue `func(*args)` now, or at `at` (naive UTC on the project clock) via RQ's scheduler.

    `at` is converted to a real delay: tests that drive `bot.domain.clock` see scheduled checks as "later",
    and the periodic sweep covers them, so nothing depends on RQ's own notion of time."""
    q = queue(redis_raw, queue_name)
    what = job_id or func.__name__
    if at is None:
        return _safe(what, lambda: q.enqueue(func, *args, job_id=job_id, job_timeout=JOB_TIMEOUT,
                                             result_ttl=RESULT_TTL))
    delay = max((at - clock.utcnow()).total_seconds(), 0.0)
    return _safe(what, lambda: q.enqueue_in(timedelta(seconds=delay), func, *args, job_id=job_id,
                                            job_timeout=JOB_TIMEOUT, result_ttl=RESULT_TTL))


# -- after-commit enqueueing -------------------------------------------------------------------------
# Jobs that read what a transaction writes must not be enqueued before it commits (the worker would
# see the old rows). Code running inside someone else's session (the webhook's) registers its jobs
# here; they go to Redis right after that session commits and are dropped on rollback.

_PENDING = "steward_pending_jobs"


def on_commit(session: Session, redis_raw: redis_lib.Redis, job: Callable[[redis_lib.Redis], Any], label: str) -> None:
    """Run `job(redis_raw)` (an enqueue) after `session` commits; forget it on rollback."""
    pending = session.info.setdefault(_PENDING, [])
    if not session.info.get(_PENDING + "_hooked"):
        session.info[_PENDING + "_hooked"] = True
        event.listen(session, "after_commit", _flush_pending)
        event.listen(session, "after_rollback", _drop_pending)
    pending.append((redis_raw, job, label))


def pending_labels(session: Session) -> list[str]:
    return [label for _r, _j, label in session.info.get(_PENDING, [])]


def _flush_pending(session: Session) -> None:
    jobs = session.info.pop(_PENDING, [])
    for redis_raw, job, label in jobs:
        _safe(label, lambda j=job, r=redis_raw: j(r))


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def enqueue_media(redis_raw: redis_lib.Redis, media_row_id: int, pipeline: Any = None) -> bool:
    """Download a `media` row's file now (WeChat deletes media after 3 days). Never raises.
    With `pipeline` (a row just created, so no job yet) the commands are queued on it, unchecked."""
    from bot.services.media import download_media

    job_id = f"media-{media_row_id}"
    return _safe(
        job_id,
        lambda: (pipeline is None and _waiting(redis_raw, job_id)) or queue(redis_raw, DEFAULT).enqueue(
            download_media, media_row_id, job_id=job_id, job_timeout=MEDIA_JOB_TIMEOUT, result_ttl=RESULT_TTL,
            retry=Retry(max=3, interval=[10, 60, 300]), pipeline=pipeline,
        ),
    )
