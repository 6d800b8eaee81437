"""Issue 23, item 4: one resident flooding the bot. Beyond `conversation.reports_per_hour` new
tickets an hour his reports open no ticket and push nothing to the council: each is kept on one
staff review item (triage) and he is told politely; another resident is served as usual.
(bench/flood.py measures the other residents' answer times while one floods.)"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.services.actions.budget import REVIEW
from bot.storage.models import InboundMessage, Push, Ticket, TicketEvent

FLOODER, NEIGHBOUR = "o-flood-resident-0001", "o-flood-resident-0002"
PLACES = ["1号楼", "2号楼", "3号楼", "4号楼", "5号楼", "6号楼", "7号楼", "8号楼"]
THINGS = ["楼道灯坏了", "下水道堵了", "单元门关不上", "墙皮掉了", "水管漏水了"]


@pytest.fixture
def overrides():
    return {"conversation.reports_per_hour": 5}


def test_a_flood_is_kept_for_review_without_tickets_or_council_pushes(wechat, steward):
    replies = []
    for i in range(20):
        text = f"粮食局家属院{PLACES[i % 8]}{THINGS[i % 5]}，第{i + 1}次说了"
        replies.append(wechat.text(FLOODER, text, msg_id=10_000 + i).text)
    with steward.session() as s:
        mine = s.scalars(select(Ticket).where(Ticket.resident_openid == FLOODER)).all()
        normal = [t for t in mine if t.subcategory != REVIEW]
        review = [t for t in mine if t.subcategory == REVIEW]
        assert len(normal) <= 5, [t.text for t in mine]
        assert len(review) == 1 and review[0].status == "triage"
        held = s.scalars(select(TicketEvent.note).where(TicketEvent.ticket_id == review[0].id,
                                                         TicketEvent.kind == "resident_followup")).all()
        assert held  # reports past the budget are kept on the item (others went to open tickets as follow-ups)
        assert s.scalar(select(func.count()).select_from(InboundMessage).where(InboundMessage.openid == FLOODER)) == 20
        # nothing pushed for the held reports (pushes are recorded by the dispatch job of a normal ticket)
        assert not s.scalar(select(func.count()).select_from(Push).where(Push.ticket_id == review[0].id))
    assert "统一查看" in replies[-1] and "119" in replies[-1]
    # another resident is not affected
    reply = wechat.text(NEIGHBOUR, "粮食局家属院3号楼楼道灯坏了", msg_id=99_999).text
    assert "统一查看" not in reply
    with steward.session() as s:
        assert s.scalar(select(func.count()).select_from(Ticket).where(
            Ticket.resident_openid == NEIGHBOUR, Ticket.status == "received")) == 1


def test_an_emergency_past_the_budget_still_opens_an_urgent_ticket(wechat, steward):
    for i in range(8):
        wechat.text(FLOODER, f"粮食局家属院{PLACES[i]}{THINGS[i % 5]}", msg_id=20_000 + i)
    reply = wechat.text(FLOODER, "粮食局家属院3号楼着火了，楼道里全是烟", msg_id=20_100).text
    assert "119" in reply
    with steward.session() as s:
        fire = s.scalars(select(Ticket).where(Ticket.resident_openid == FLOODER, Ticket.urgent.is_(True))).all()
        assert fire and all(t.subcategory != REVIEW for t in fire), [(t.text, t.subcategory) for t in fire]
