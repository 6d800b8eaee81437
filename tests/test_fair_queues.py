"""Issue 21 item 4: one pool of workers for every community, and one community's flood does not
starve another: each community's dispatch jobs wait on their own queue and the worker takes the
communities in turn (workers.run._FairCommunities)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from bot.services.uow import jobs
from bot.storage.models import Ticket
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import drain, new_ticket
from tests.test_communities import add_xinhua

FLOOD = 12


def test_a_flood_in_one_community_does_not_starve_another(steward_live):
    xid = add_xinhua(steward_live)
    yuying = [new_ticket(steward_live, resident=f"o-flood-{i:04d}", enqueue=False) for i in range(FLOOD)]
    xinhua_steward = steward_live.for_community(xid)
    late = new_ticket(xinhua_steward, courtyard="x1", resident="o-xinhua-late-0001", enqueue=False)
    for tid in yuying:  # the flood is queued first …
        assert jobs.enqueue(steward_live.redis_raw, replace(jobs.dispatch_job(tid), community=1))
    assert jobs.enqueue(steward_live.redis_raw, replace(jobs.dispatch_job(late), community=xid))  # … then one
    assert jobs.queue(steward_live.redis_raw, f"dispatch:{xid}").count == 1
    drain(steward_live)
    with steward_live.session() as s:
        order = [t.id for t in s.scalars(select(Ticket).where(Ticket.dispatched_at.is_not(None))
                                         .order_by(Ticket.dispatched_at, Ticket.id))]
        late_ticket = s.get(Ticket, late)
    assert len(order) == FLOOD + 1
    assert order.index(late) <= 1, order  # its turn came at once, not after the twelve before it
    assert late_ticket.community_id == xid and late_ticket.assignee_openid == "o-xinhua-x1-chair"


def test_a_worker_listens_to_every_community_s_queue(steward_live):
    from workers.run import make_worker

    xid = add_xinhua(steward_live)
    names = [q.name for q in make_worker(steward_live, name="fair-queues-check").queues]
    assert names == ["urgent", "dispatch:1", f"dispatch:{xid}", "dispatch", "push", "default"]
