"""The outbox: after-commit work, recorded in the transaction that causes it.

Whatever a transaction wants done outside the database — RQ jobs to enqueue, pushes to send — is
recorded on its session while it runs (`add`), carried out right after it commits (`flush`, called
by `Steward.session`) and dropped if it rolls back. Jobs that read what the transaction wrote must
never be enqueued before it commits: the worker would see the old rows.

The durable side is the rows themselves — tickets in `received`, pushes in `pending`, media in
`pending`: if the process dies between commit and flush, `sweep` enqueues whatever waited longer
than `dispatch.outbox_after`, so nothing that reached the database is lost.

The one choice — send a push from this process after the commit, or enqueue a job — is made
here, by the session's mode (`send_in_process`): the dispatch job sends the pushes it records
itself (no worker hand-over per push); everyone else enqueues ONE job for all the pushes the
transaction recorded (`send_pushes`: an emergency's alerts to the member and every staff member
are one job, one claim and one record transaction, not one of each per push). The rows name that
job (`payload["job"]`), so a push job for one of them (the sweep, a re-record) waits for it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import redis as redis_lib
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.clock import utcnow
from bot.domain.vocabulary import PushStatus, TicketStatus
from bot.services.uow.jobs import (
    Job,
    batch_job_id,
    dispatch_job,
    enqueue,
    push_batch_job,
    push_job,
    urgent_push,
)
from bot.storage import tenancy
from bot.storage.models import Push, Ticket

log = logging.getLogger(__name__)

_KEY = "steward_outbox"


@dataclass
class Outbox:
    jobs: list[Job] = field(default_factory=list)
    # Pushes to send in-process after the commit (only while `sender` is set), else push jobs.
    pushes: list[Any] = field(default_factory=list)
    sender: Callable[[list[Any]], None] | None = None
    # The caller flushes itself, on its own Redis pipeline (the webhook: one round trip per message).
    deferred: bool = False
    # New push rows for one `send_pushes` job (when not sending in process), and its id.
    batch: list[int] = field(default_factory=list)
    batch_id: str | None = None
    retry_intervals: tuple[int, ...] = ()
    urgent: bool = False  # the batch holds an urgent push: it goes on the urgent queue
    community: int | None = None  # a scoped session's community: its jobs carry it to the worker

    @property
    def labels(self) -> list[str]:
        return ([j.job_id for j in self.all_jobs] + [f"push {getattr(p, 'push_id', p)}" for p in self.pushes])

    @property
    def all_jobs(self) -> list[Job]:
        if not self.batch or self.batch_id is None:
            return self.jobs
        return [*self.jobs, push_batch_job(self.batch, self.batch_id, self.retry_intervals, self.urgent)]


def of(session: Session) -> Outbox:
    box = session.info.get(_KEY)
    if box is None:
        box = session.info[_KEY] = Outbox(community=session.info.get(tenancy.COMMUNITY))
    return box


def add(session: Session, job: Job) -> None:
    """Enqueue `job` after `session` commits; forget it on rollback."""
    of(session).jobs.append(job)


def batch_for(session: Session, client_msg_id: str) -> str | None:
    """The id of the job that will send this session's new pushes (None when it sends them in
    process); the first new push names it. Asked before the row is written, which records it."""
    box = of(session)
    if box.sender is not None:
        return None
    if box.batch_id is None:
        box.batch_id = batch_job_id(client_msg_id)
    return box.batch_id


def unname_batch(session: Session) -> None:
    """The push that named the batch existed already (an older row, not in it): the next new one
    names it."""
    box = of(session)
    if not box.batch:
        box.batch_id = None


def add_push(session: Session, push_id: int, retry_intervals: tuple[int, ...], ready: Callable[[], Any],
             urgent: bool = False) -> None:
    """A push row made in this transaction: sent in-process after the commit when the session
    sends in process (`ready()` builds what sending needs, inside the transaction), else by the
    session's one `send_pushes` job (`batch_for` named it)."""
    box = of(session)
    if box.sender is not None:
        box.pushes.append(ready())
    else:
        box.batch.append(push_id)
        box.retry_intervals = retry_intervals
        box.urgent = box.urgent or urgent


def send_in_process(session: Session, sender: Callable[[list[Any]], None]) -> None:
    """From now on, pushes recorded in `session` are sent by `sender` right after the commit."""
    of(session).sender = sender


def discard(session: Session) -> None:
    session.info.pop(_KEY, None)


def take(session: Session) -> Outbox | None:
    return session.info.pop(_KEY, None)


def flush(redis_raw: redis_lib.Redis, box: Outbox | None, pipeline: Any = None) -> None:
    """Carry out a committed transaction's outbox. Never raises: the sweep covers what is lost."""
    if box is None:
        return
    own = None
    # RQ puts a pipeline in MULTI on an immediate enqueue, which must come before any queued
    # command: immediate jobs first, scheduled ones (deadline checks) after.
    todo = sorted(box.all_jobs, key=lambda job: job.at is not None or job.delay is not None)
    if box.community is not None:
        todo = [job if job.community is not None else replace(job, community=box.community) for job in todo]
    if pipeline is None and sum(job.fresh for job in todo) > 1:
        own = pipeline = redis_raw.pipeline()  # fresh jobs (a dispatch's deadline checks): one round trip
    for job in todo:
        enqueue(redis_raw, job, pipeline)
    if own is not None:
        try:
            own.execute()
        except (redis_lib.RedisError, OSError) as exc:
            log.warning("could not enqueue %d jobs (%s); the sweep will pick them up", len(todo),
                        type(exc).__name__)
    if box.pushes and box.sender is not None:
        try:
            box.sender(box.pushes)
        except Exception:  # the rows are committed and pending: the sweep sends them
            log.exception("sending %d pushes after commit failed", len(box.pushes))


def sweep(session_factory: Callable[[], Any], redis_raw: redis_lib.Redis, older_than: float,
          retry_intervals: tuple[int, ...]) -> dict[str, int]:
    """Enqueue tickets stuck in `received` and pushes stuck in `pending`. Returns the counts."""
    cutoff = utcnow() - timedelta(seconds=older_than)
    with session_factory() as s:
        tickets = s.execute(
            select(Ticket.id, Ticket.dispatch_attempt, Ticket.urgent, Ticket.community_id)
            .where(Ticket.status == TicketStatus.received, Ticket.created_at <= cutoff)
        ).all()
        pushes = s.execute(
            select(Push.id, Push.client_msg_id, Push.payload, Push.kind, Ticket.urgent, Push.community_id)
            .outerjoin(Ticket, Ticket.id == Push.ticket_id)
            .where(Push.status == PushStatus.pending, Push.created_at <= cutoff)
        ).all()
    sent_t = sum(enqueue(redis_raw, replace(dispatch_job(tid, attempt + 1, urgent=bool(urgent)), community=cid))
                 for tid, attempt, urgent, cid in tickets)
    sent_p = sum(enqueue(redis_raw, replace(push_job(pid, cmid, retry_intervals, unless=(payload or {}).get("job"),
                                                     urgent=urgent_push(kind, urgent)), community=cid))
                 for pid, cmid, payload, kind, urgent, cid in pushes)
    if tickets or pushes:
        log.info("outbox sweep: %s tickets, %s pushes re-enqueued", sent_t, sent_p)
    return {"tickets": sent_t, "pushes": sent_p}
