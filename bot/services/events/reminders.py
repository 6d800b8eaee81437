"""Reminders to an activity's registrants the day before it (Beijing time).

`send_due_reminders` is meant for the periodic sweep (hourly is plenty): it finds tomorrow's
activities whose reminder has not gone out and sends them. Each push goes through
`bot.services.push.send.queue_push`, whose client_msg_id (activity, date, receiver) makes a rerun push once.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta

import redis as redis_lib
from sqlalchemy import select

from bot.domain.clock import from_local, to_local, utcnow
from bot.domain.vocabulary import EventStatus
from bot.services.push.send import queue_push
from bot.services.uow import jobs
from bot.services.uow.steward import Steward
from bot.storage.models import Event

log = logging.getLogger(__name__)


def tomorrow_bounds(now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of tomorrow in Beijing time, as naive UTC."""
    local = to_local(now)
    start = datetime(local.year, local.month, local.day) + timedelta(days=1)
    return from_local(start), from_local(start + timedelta(days=1))


def send_event_reminder(steward: Steward, event_id: int) -> int:
    """Queue one reminder push per registered (not waitlisted) resident; returns how many."""
    cfg = steward.config
    with steward.session() as s:
        event = s.get(Event, event_id, with_for_update=True)
        if event is None or event.cancelled:  # nobody is reminded of an activity called off
            return 0
        when = to_local(event.starts_at)
        tag = f"e{event.id}-{when:%Y%m%d%H%M}"
        sent = 0
        for reg in event.registrations:
            if reg.status != "registered":
                continue
            text = (f"活动提醒：您报名的「{event.title}」将于 {when:%m月%d日 %H:%M} 在{event.place}举行，"
                    "请准时参加。不能来了请回复「取消报名」。")
            queue_push(s, cfg, ticket=None, openid=reg.openid, kind="event_reminder", tag=tag,
                       content={"title": "活动提醒", "ref": event.title, "place": event.place,
                                "what": event.title, "deadline": f"{when:%m月%d日 %H:%M}", "how": "不能来了请回复「取消报名」"},
                       text=text)
            sent += 1
        event.reminder_sent = True
    log.info("event %s: %d reminders queued", event_id, sent)
    return sent


def send_due_reminders(steward: Steward, now: datetime | None = None) -> int:
    """Send the reminders for tomorrow's activities that have not had theirs; returns events done."""
    start, end = tomorrow_bounds(now or utcnow())
    with steward.session() as s:
        ids = list(s.scalars(select(Event.id).where(Event.starts_at >= start, Event.starts_at < end,
                                                     Event.reminder_sent.is_(False),
                                                     Event.status != EventStatus.cancelled.value)))
    for event_id in ids:
        send_event_reminder(steward, event_id)
    return len(ids)


def enqueue_reminder(redis_raw: redis_lib.Redis, event_id: int, community: int | None = None) -> bool:
    """Staff's "send the reminder now" button, run as the event's `community` (its account, its
    residents); False when Redis is down."""
    job = jobs.call_job(jobs.SEND_EVENT_REMINDER, event_id, job_id=f"event-reminder-{event_id}")
    return jobs.enqueue(redis_raw, replace(job, community=community))
