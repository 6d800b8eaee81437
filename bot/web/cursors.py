"""Keyset cursors for ticket lists ordered urgent first: the workbench queues (then newest activity)
and the search tab and the JSON API (then newest ticket).

A cursor names the last row of a page — its urgent flag first, so paging crosses from the urgent
tickets to the rest without losing or repeating one. It is opaque to the reader; a malformed or
out-of-range one is a 400, never a silent first page.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import tuple_

from bot.storage.models import Ticket
from bot.web.inputs import INT_MAX, YEAR_MAX, YEAR_MIN, BadInput

BAD = "翻页参数无效，请回到第一页重新查看。"
_ACTIVITY = re.compile(r"([01])_(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)_(\d{1,10})")
_ID = re.compile(r"([01])_(\d{1,10})")

# ORDER BY of each list; the cursor's tuple follows the same columns.
BY_ACTIVITY = (Ticket.urgent.desc(), Ticket.last_activity_at.desc(), Ticket.id.desc())
BY_ID = (Ticket.urgent.desc(), Ticket.id.desc())


def _ticket_id(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= INT_MAX:
        raise BadInput(BAD)
    return value


def activity_cursor(t: Ticket) -> str:
    return f"{int(t.urgent)}_{t.last_activity_at.isoformat()}_{t.id}"


def id_cursor(t: Ticket) -> str:
    return f"{int(t.urgent)}_{t.id}"


def _match(pattern: re.Pattern[str], raw: str | None) -> re.Match[str] | None:
    if not raw:
        return None
    m = pattern.fullmatch(raw.strip())
    if not m:
        raise BadInput(BAD)
    return m


def after_activity(raw: str | None) -> Any | None:
    """The WHERE clause for the rows after an activity cursor; None for the first page."""
    if (m := _match(_ACTIVITY, raw)) is None:
        return None
    try:
        when = datetime.fromisoformat(m[2])
    except ValueError:
        raise BadInput(BAD) from None
    if not YEAR_MIN <= when.year <= YEAR_MAX:
        raise BadInput(BAD)
    key = (m[1] == "1", when, _ticket_id(m[3]))
    return tuple_(Ticket.urgent, Ticket.last_activity_at, Ticket.id) < tuple_(*key)


def after_id(raw: str | None) -> Any | None:
    """The WHERE clause for the rows after an id cursor; None for the first page."""
    if (m := _match(_ID, raw)) is None:
        return None
    return tuple_(Ticket.urgent, Ticket.id) < tuple_(m[1] == "1", _ticket_id(m[2]))
