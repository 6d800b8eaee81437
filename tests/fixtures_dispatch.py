"""Fixtures for the dispatch tests: a dedicated Redis db, the real app served over HTTP (webhook,
sandbox, action pages), an in-process RQ SimpleWorker, tickets made the way the webhook makes them.

Import what a module uses: `from tests.fixtures_dispatch import *  # noqa: F403`.
Candidates to lift into conftest.py: `drain`, `new_ticket`, `pushes_to` (none of them clash).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.domain import clock
from bot.sandbox import state as sbx
from bot.services.tickets.lifecycle import create_ticket
from bot.services.uow import jobs
from bot.services.uow.steward import Steward
from bot.storage.models import Push, Resident, Ticket, TicketEvent
from workers.run import make_worker

__all__ = ["redis_url", "overrides", "live", "steward_live", "drain", "new_ticket", "pushes_to", "events_of",
           "ticket_of", "C3_FIXER", "C3_BACKUP", "C3_CHAIR", "RESIDENT"]

C3_CHAIR, C3_FIXER, C3_BACKUP = "o-sample-c3-1", "o-sample-c3-2", "o-sample-c3-3"
RESIDENT = "o-test-resident-c3"


@pytest.fixture(scope="session")
def redis_url(request: pytest.FixtureRequest) -> str:
    """Our own db number of the test process's private Redis (conftest's `private_redis`), so the
    app tests' db is never the dispatch tests' db."""
    explicit = os.environ.get("STEWARD_TEST_DISPATCH_REDIS_URL")
    if explicit:  # asked for by name: its database is flushed per test
        return explicit
    return request.getfixturevalue("private_redis").url(12)


@pytest.fixture
def overrides() -> dict:
    # Retries without waiting (RQ re-enqueues at once when the interval is 0); sweeps see everything.
    return {"dispatch.retry_intervals": [0, 0, 0]}


@pytest.fixture
def live(live_app: str, steward: Steward) -> Iterator[str]:
    """The app (webhook, sandbox, /m pages) over real HTTP; sandbox state cleared."""
    sbx.reset(steward.redis)
    clock.reset()
    yield live_app
    clock.reset()


@pytest.fixture
def steward_live(live: str, steward: Steward) -> Steward:
    return steward


def drain(steward: Steward, rounds: int = 20) -> None:
    """Run every queued job in this process (SimpleWorker, burst) until the queues stay empty."""
    conn = steward.redis_raw
    for _ in range(rounds):
        if not any(jobs.queue(conn, n).count for n in jobs.worker_queues(tuple(c.id for c in steward.communities))):
            return
        make_worker(steward, simple=True, name=f"test-{uuid.uuid4().hex[:8]}").work(burst=True)
    raise AssertionError("queues did not drain")


def new_ticket(
    steward: Steward, *, courtyard: str | None = "c3", category: str = "repair", subcategory: str | None = "照明",
    text: str = "3号楼2单元楼道灯坏了，晚上黑乎乎的", urgent: bool = False, resident: str = RESIDENT,
    enqueue: bool = True,
) -> int:
    """A ticket committed the way the webhook does it, then (optionally) `enqueue_dispatch`."""
    with steward.session() as s:
        if s.scalars(select(Resident).where(Resident.openid == resident)).first() is None:
            s.add(Resident(openid=resident, courtyard_id=courtyard))
        t = create_ticket(s, category=category, subcategory=subcategory, courtyard=courtyard, text=text,
                          urgent=urgent, resident_openid=resident, actor=resident)
        s.flush()
        tid = t.id
    if enqueue:
        assert jobs.enqueue_dispatch(steward.redis_raw, tid)
    return tid


def pushes_to(steward: Steward, openid: str) -> list[dict]:
    """What the sandbox received for `openid` (template and customer-service messages)."""
    return sbx.messages(steward.redis, openid)


def ticket_of(steward: Steward, tid: int) -> Ticket:
    with steward.session() as s:
        return s.get(Ticket, tid)


def events_of(steward: Steward, tid: int) -> list[str]:
    with steward.session() as s:
        return list(s.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == tid).order_by(TicketEvent.id)))


def push_rows(steward: Steward, tid: int) -> list[Push]:
    with steward.session() as s:
        return list(s.scalars(select(Push).where(Push.ticket_id == tid).order_by(Push.id)))
