"""A resident's report budget: beyond `conversation.reports_per_hour` new tickets in the last hour,
a further report opens no ticket and pushes nothing to a council. It is kept, word for word, on ONE
staff review item per resident (a ticket in `triage`, subcategory REVIEW, each further message an
event on it) and the resident is told politely. Council members are not counted (their commands
are no reports); other residents are not affected (issue 23: one openid sent 500 messages in 30 s,
opened 493 tickets and 493 task pushes, and everyone else waited up to 3.2 s).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain.clock import utcnow
from bot.services.tickets import lifecycle as tickets
from bot.storage.models import Ticket, TicketEvent
from handlers import actions as ha

REVIEW = "频繁留言待核"
HELD_REPLY = ("您这一小时里已经反映了很多事项，刚才这条我们已经收到并记下了，会由社区工作人员统一查看后联系您，"
              "请不用重复发送。如遇火情、有人受伤等紧急情况，请直接拨打 119 / 120 / 110。")


# Both counts in one statement, built once (issue 24: was two statements built per new ticket): the
# resident's new tickets in the last hour, and follow-ups relayed to a member (a flood of "还有…" is
# as many council pushes).
_COUNTS = select(
    select(func.count()).select_from(Ticket).where(
        Ticket.resident_openid == bindparam("openid"), Ticket.created_at >= bindparam("since"),
        Ticket.subcategory.is_distinct_from(REVIEW)).scalar_subquery(),
    select(func.count()).select_from(TicketEvent).where(
        TicketEvent.ticket_id.in_(select(Ticket.id).where(Ticket.resident_openid == bindparam("openid"))),
        TicketEvent.kind == "resident_followup", TicketEvent.at >= bindparam("since")).scalar_subquery(),
)


def over_budget(session: Session, config: Config, openid: str) -> bool:
    if config.member(openid) is not None:
        return False
    row = session.connection().execute(_COUNTS, {"openid": openid, "since": utcnow() - timedelta(hours=1)}).one()
    return (row[0] or 0) + (row[1] or 0) >= config.conversation.reports_per_hour


def hold(session: Session, openid: str, a: ha.CreateTicket) -> tuple[Ticket, bool]:
    """Keep the report on the resident's open review item (made on the first held report, in
    `triage`: staff see it, no dispatch job, no push). Returns (the item, whether it is new)."""
    item = session.scalars(select(Ticket).where(Ticket.resident_openid == openid, Ticket.subcategory == REVIEW,
                                                Ticket.status == "triage").order_by(Ticket.id.desc())).first()
    words = a.text.strip()[:1000]
    if item is None:
        item = tickets.create_ticket(session, category=a.category, subcategory=REVIEW, courtyard=a.courtyard,
                                     text=words, urgent=False, confidence=0.0, resident_openid=openid, actor=openid,
                                     note="超出每小时报事次数，待工作人员核实")
        tickets.transition(session, item, "triage", "triage", note="同一居民短时间内报事过多，暂不派单，请核实后处理")
        return item, True
    tickets.add_event(session, item, "resident_followup", actor=openid, note=words,
                      data={"held": True, "urgent": a.urgent, "emergency": a.emergency})
    return item, False
