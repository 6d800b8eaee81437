"""回访: after 办结 the resident is asked whether it is solved and for a 1–5 rating.

The answer arrives through the webhook (`bot.services.casework.council.apply_callback_answer`); "not solved" reopens
the ticket (重办) and re-dispatches it. No answer within `callback_days` closes it as resolved with
`callback_missing` set, so the rates can count it apart.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain import texts
from bot.domain.clock import utcnow
from bot.services.push import notices
from bot.services.push.send import queue_push
from bot.services.tickets.lifecycle import add_event, close
from bot.services.uow import jobs, outbox
from bot.services.uow.steward import Steward
from bot.storage.models import Ticket

log = logging.getLogger(__name__)


def ask(s: Session, config: Config, ticket: Ticket, note: str) -> None:
    """Send the callback question (after the finish transition) and schedule the expiry check."""
    if ticket.resident_openid:
        content, text = texts.callback_question(config, ticket, note)
        queue_push(s, config, ticket=ticket, openid=ticket.resident_openid, kind="callback",
                   tag=f"a{ticket.dispatch_attempt}", content=content, text=text)
    done = f"理事会已办好（{note.strip()[:40]}）。" if note and note.strip() else "理事会已办好。"
    notices.outcome_to_merged(s, config, ticket, done + "还有问题请直接说。", f"a{ticket.dispatch_attempt}")
    at = (ticket.finished_at or utcnow()) + timedelta(days=config.callback_days)
    job_id = f"callback-expiry-{ticket.id}-{ticket.dispatch_attempt}"
    outbox.add(s, jobs.call_job(jobs.CLOSE_IF_UNANSWERED, ticket.id, job_id=job_id, at=at))


def close_if_unanswered(steward: Steward, ticket_id: int) -> bool:
    """The callback-expiry job: close a ticket whose callback went unanswered for `callback_days`."""
    with steward.session() as s:
        ticket = s.get(Ticket, ticket_id)
        return ticket is not None and close_missing(s, steward.config, ticket)


def close_missing(s: Session, config: Config, ticket: Ticket) -> bool:
    if ticket.status != "awaiting_callback" or ticket.finished_at is None:
        return False
    if utcnow() < ticket.finished_at + timedelta(days=config.callback_days):
        return False
    ticket.callback_missing = True
    add_event(s, ticket, "callback_missing", note=f"{config.callback_days:g} 天内居民未回复回访")
    close(s, ticket, "resolved", note="回访无应答，按已解决办结")
    if ticket.resident_openid:
        # Closed without their word: say so, and how to get it looked at again.
        content, text = texts.notice_closed_missing(config, ticket)
        queue_push(s, config, ticket=ticket, openid=ticket.resident_openid, kind="notice",
                   tag=f"closed-a{ticket.dispatch_attempt}", content=content, text=text)
    log.info("ticket %s closed: callback unanswered", ticket.ref)
    return True


def expire_callbacks(steward: Steward) -> int:
    config = steward.config
    cutoff = utcnow() - timedelta(days=config.callback_days)
    with steward.session() as s:
        due = list(s.scalars(select(Ticket).where(Ticket.status == "awaiting_callback",
                                                  Ticket.finished_at <= cutoff)))
        return sum(close_missing(s, config, t) for t in due)
