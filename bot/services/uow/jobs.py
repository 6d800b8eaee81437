"""How work reaches RQ: queue names, deterministic job ids, and jobs named by their entry point.

`bot/` never imports `workers/`: a job is enqueued by the dotted name of its function in
`workers.jobs`, which RQ imports in the worker process. Job ids are deterministic (ticket +
attempt, push + client_msg_id), so enqueueing the same work twice while it waits is one job. That is
only a first line: the jobs themselves are idempotent in the database (a compare-and-set on
`tickets.dispatch_attempt`, `pushes.client_msg_id` unique), so a job that runs twice anyway — a
retry, a sweep, a dead worker — still dispatches and pushes once.

Nothing here raises when Redis is down: the ticket or push is already committed, and the outbox
sweep (`bot.services.uow.outbox.sweep`) enqueues whatever waited too long.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import redis as redis_lib
from rq import Queue, Retry
from rq.job import JobStatus
from rq.registry import ScheduledJobRegistry

from bot.domain import clock
from bot.domain.vocabulary import PushKind
from bot.storage.tenancy import DEFAULT_COMMUNITY

log = logging.getLogger(__name__)

URGENT = "urgent"  # pushes about a person or a home in danger: ahead of every dispatch job
DISPATCH = "dispatch"
PUSH = "push"
DEFAULT = "default"
ALL_QUEUES = (URGENT, DISPATCH, PUSH, DEFAULT)  # worker priority order


def community_queue(name: str, community: int | None) -> str:
    """Where a job waits: a community's dispatch jobs on their own queue (`dispatch:3`), taken
    round-robin by the workers (workers.run), so one community's flood does not starve the others."""
    return f"{DISPATCH}:{community}" if name == DISPATCH and community is not None else name


def worker_queues(communities: tuple[int, ...]) -> tuple[str, ...]:
    """The queues a worker listens to, in priority order: urgent, then each community's dispatch
    queue (fair among them), the plain dispatch queue, pushes, the rest."""
    ids = dict.fromkeys((DEFAULT_COMMUNITY, *communities))  # 1 always: rows are its before a directory exists
    return (URGENT, *(community_queue(DISPATCH, c) for c in ids), DISPATCH, PUSH, DEFAULT)

# The entry points in workers.jobs, by name.
DISPATCH_TICKET = "workers.jobs.dispatch_ticket"
SEND_PUSH = "workers.jobs.send_push"
SEND_PUSHES = "workers.jobs.send_pushes"
DOWNLOAD_MEDIA = "workers.jobs.download_media"
CHECK_DEADLINES = "workers.jobs.check_deadlines"
CLOSE_IF_UNANSWERED = "workers.jobs.close_if_unanswered"
PERIODIC_SWEEP = "workers.jobs.periodic_sweep"
SEND_EVENT_REMINDER = "workers.jobs.send_event_reminder"

COMMUNITY_META = "community"

# Our jobs make at most a couple of 5-second WeChat calls. The timeout also decides how soon a job
# whose worker was SIGKILLed counts as abandoned and is retried (RQ: timeout + 60 s), so keep it short.
JOB_TIMEOUT = 30
MEDIA_JOB_TIMEOUT = 120  # downloads can be slow
RESULT_TTL = 3600
# The dispatch and push jobs: nobody reads their return value, but result_ttl 0 is the dearer
# choice — RQ then deletes the finished job at once, reading its executions back one round trip at
# a time; a short expiry is one pipeline. RQ's worker-side cost of such a job: 9.3 M → 8.2 M
# instructions (callgrind, 100 no-op jobs with retries).
DONE_TTL = 60


def dispatch_job_id(ticket_id: int, attempt: int) -> str:
    return f"dispatch-{ticket_id}-{attempt}"


def push_job_id(client_msg_id: str) -> str:
    return f"push-{client_msg_id}"


def batch_job_id(first_client_msg_id: str) -> str:
    """The job sending a transaction's pushes, named by its first (a push is in one batch only)."""
    return f"pushes-{first_client_msg_id}"


@dataclass(frozen=True)
class Job:
    """One RQ job to enqueue: what, with which id, on which queue, when and how often to retry.

    `fresh`: the rows behind it were created in the same transaction, so no job with this id can be
    waiting yet — the "already waiting" read is skipped, and the enqueue may ride on a pipeline."""

    func: str
    args: tuple[Any, ...]
    job_id: str
    queue: str = DEFAULT
    at: datetime | None = None  # naive UTC on the project clock; via RQ's scheduler
    delay: timedelta | None = None
    retry: tuple[int, ...] = ()
    timeout: int = JOB_TIMEOUT
    result_ttl: int = RESULT_TTL
    fresh: bool = False
    # Not enqueued while this other job waits: the batch job that holds the push (`send_pushes`).
    unless: str | None = None
    # The community the job works for (RQ job meta): the worker's Steward is that community's.
    community: int | None = None


def urgent_push(kind: str, ticket_urgent: bool | None) -> bool:
    """Whether a push goes on the urgent queue: an emergency alert, or anything about an urgent ticket.
    The one rule for a new push's batch and for the sweep's re-enqueue of a pending one."""
    return kind == PushKind.emergency or bool(ticket_urgent)


def dispatch_job(ticket_id: int, attempt: int = 1, assignee_openid: str | None = None, fresh: bool = False,
                 urgent: bool = False) -> Job:
    # Retry covers DB hiccups (idempotent job).
    return Job(DISPATCH_TICKET, (ticket_id, attempt, assignee_openid), dispatch_job_id(ticket_id, attempt),
               queue=URGENT if urgent else DISPATCH, retry=(5, 30, 120), result_ttl=DONE_TTL, fresh=fresh)


def push_job(push_id: int, client_msg_id: str, retry_intervals: tuple[int, ...],
             delay: timedelta | None = None, unless: str | None = None, urgent: bool = False) -> Job:
    return Job(SEND_PUSH, (push_id,), push_job_id(client_msg_id), queue=URGENT if urgent else PUSH, delay=delay,
               retry=tuple(retry_intervals), result_ttl=DONE_TTL, unless=unless)


def push_batch_job(push_ids: list[int], job_id: str, retry_intervals: tuple[int, ...], urgent: bool = False) -> Job:
    # fresh: the rows were made in the committing transaction, so nothing can wait for them yet.
    # urgent: an emergency's alerts must not wait behind a busy minute's dispatch jobs (at 50 msg/s
    # they did: p95 1.9 s from commit to sent against 30 ms for tasks, docs/BENCHMARKS.md).
    return Job(SEND_PUSHES, (list(push_ids),), job_id, queue=URGENT if urgent else PUSH,
               retry=tuple(retry_intervals), result_ttl=DONE_TTL, fresh=True)


def media_job(media_row_id: int, fresh: bool = False) -> Job:
    return Job(DOWNLOAD_MEDIA, (media_row_id,), f"media-{media_row_id}", retry=(10, 60, 300),
               timeout=MEDIA_JOB_TIMEOUT, fresh=fresh)


def call_job(func: str, *args: Any, job_id: str, at: datetime | None = None) -> Job:
    return Job(func, args, job_id, at=at)


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


WAITING = {b"queued", b"scheduled", b"started", b"deferred"}


def _waiting(redis_raw: redis_lib.Redis, job_id: str) -> bool:
    """The job is already queued or running: enqueueing it again would put its id on the queue twice."""
    return redis_raw.hget(f"rq:job:{job_id}", "status") in WAITING


def waiting(redis_raw: redis_lib.Redis, job_ids: list[str]) -> list[bool]:
    """`_waiting` for several jobs, in one round trip."""
    pipe = redis_raw.pipeline(transaction=False)
    for job_id in job_ids:
        pipe.hget(f"rq:job:{job_id}", "status")
    return [status in WAITING for status in pipe.execute()] if job_ids else []


def enqueue(redis_raw: redis_lib.Redis, job: Job, pipeline: Any = None) -> bool:
    """Enqueue `job`. Never raises; False when Redis is unreachable (the sweep will pick it up).
    With `pipeline` (fresh jobs only) the commands are queued on it for the caller to execute."""
    try:
        if not job.fresh and (_waiting(redis_raw, job.job_id) or (job.unless and _waiting(redis_raw, job.unless))):
            return True
        q = queue(redis_raw, community_queue(job.queue, job.community))
        opts: dict[str, Any] = dict(job_id=job.job_id, job_timeout=job.timeout, result_ttl=job.result_ttl,
                                    retry=Retry(max=len(job.retry), interval=list(job.retry)) if job.retry else None)
        if job.community is not None:
            opts["meta"] = {COMMUNITY_META: job.community}
        delay = job.delay
        if job.at is not None:
            # A real delay from the project clock: tests that drive `bot.domain.clock` see scheduled
            # checks as "later", and the periodic sweep covers them.
            delay = timedelta(seconds=max((job.at - clock.utcnow()).total_seconds(), 0.0))
        if delay is not None:
            _schedule(redis_raw, q, job, opts, delay, pipeline if job.fresh else None)
        else:
            q.enqueue(job.func, *job.args, pipeline=pipeline if job.fresh else None, **opts)
        return True
    except (redis_lib.RedisError, OSError) as exc:
        # The DB row is committed; the sweep picks it up. Say so, without personal data.
        log.warning("could not enqueue %s (%s); the sweep will pick it up", job.job_id, exc.__class__.__name__)
        return False


def _schedule(redis_raw: redis_lib.Redis, q: Queue, job: Job, opts: dict[str, Any], delay: timedelta,
              pipeline: Any) -> None:
    """RQ's `enqueue_in` in one round trip: rq 2.12's `ScheduledJobRegistry.schedule` ignores the
    pipeline it is given and sends its ZADD alone — a second round trip for every deadline check a
    dispatch schedules. The same commands as RQ's `schedule_job`, all on the pipeline."""
    kwargs = {k: v for k, v in opts.items() if k != "job_timeout"}
    rq_job = q.create_job(job.func, args=job.args, timeout=opts["job_timeout"], status=JobStatus.SCHEDULED, **kwargs)
    # Our own pipeline without MULTI/EXEC (fewer replies to parse): a job hash whose ZADD was lost
    # is never run (the sweep covers its ticket), a ZADD without its hash is skipped by RQ's scheduler.
    pipe = pipeline if pipeline is not None else redis_raw.pipeline(transaction=False)
    pipe.sadd(q.redis_queues_keys, q.key)
    rq_job.set_status(JobStatus.SCHEDULED, pipeline=pipe)
    rq_job.save(pipeline=pipe)
    pipe.zadd(ScheduledJobRegistry(queue=q).key, {rq_job.id: int(time.time() + delay.total_seconds())})
    if pipeline is None:
        pipe.execute()


def enqueue_dispatch(redis_raw: redis_lib.Redis, ticket_id: int, attempt: int = 1,
                     assignee_openid: str | None = None) -> bool:
    return enqueue(redis_raw, dispatch_job(ticket_id, attempt, assignee_openid))


def enqueue_push(redis_raw: redis_lib.Redis, push_id: int, client_msg_id: str, retry_intervals: tuple[int, ...],
                 delay: timedelta | None = None) -> bool:
    return enqueue(redis_raw, push_job(push_id, client_msg_id, retry_intervals, delay))
