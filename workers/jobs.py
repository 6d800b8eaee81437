"""RQ job entry points: each takes ids, finds the worker's `Steward`, and calls into `bot.services`.

`bot.services.uow.jobs` enqueues these by their dotted names (`workers.jobs.dispatch_ticket` …), so
nothing in `bot/` imports this package. Keep them thin: what a job does lives in the service layer.
"""

from __future__ import annotations

from bot.runtime import for_worker
from bot.services import sweep
from bot.services.casework import callback
from bot.services.civic import referrals
from bot.services.dispatch import assign as dispatch
from bot.services.dispatch import deadlines as deadline_sweep
from bot.services.events import reminders as event_reminders
from bot.services.inbound import media_fetch
from bot.services.push import inline
from bot.services.push import send as push


def dispatch_ticket(ticket_id: int, attempt: int = 1, assignee_openid: str | None = None) -> str:
    return dispatch.dispatch_ticket(for_worker(), ticket_id, attempt, assignee_openid)


def send_push(push_id: int) -> str:
    return push.send_push(for_worker(), push_id)


def send_pushes(push_ids: list[int]) -> int:
    return inline.send_batch(for_worker(), push_ids)


def download_media(media_row_id: int) -> str:
    return media_fetch.download_media(for_worker(), media_row_id)


def check_deadlines(ticket_id: int) -> list[str]:
    return deadline_sweep.check_deadlines(for_worker(), ticket_id)


def close_if_unanswered(ticket_id: int) -> bool:
    return callback.close_if_unanswered(for_worker(), ticket_id)


def send_event_reminder(event_id: int) -> int:
    return event_reminders.send_event_reminder(for_worker(), event_id)


def periodic_sweep(interval: int | None = None) -> dict[str, int]:
    steward = for_worker()
    out = sweep.periodic_sweep(steward, interval)
    # Referrals: hand over those still pending, report closed 派单 back to their desk.
    return out | {"referrals_sent": referrals.retry_pending(steward), "referrals_reported": referrals.report_closed(steward)}
