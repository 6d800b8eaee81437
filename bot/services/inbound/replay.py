"""`steward replay`: process spooled messages and inbound rows that failed.

A message that fails twice in a row for a reason of its own (a 129-character MediaId, NaN
coordinates …) is `poison`: marked with the reason, skipped from then on, counted — so one bad
message cannot keep `steward replay` failing forever. A failure of the database itself
(unreachable, connection lost) is not the message's fault: it stays `failed` for the next run.
Stored reasons carry neither SQL nor its parameters (openids, message text).
"""

from __future__ import annotations

import logging
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError, StatementError

from bot.services.inbound import intake
from bot.services.uow.steward import Steward
from bot.storage import spool
from bot.storage.models import InboundMessage
from bot.wechat.security import parse_xml

log = logging.getLogger(__name__)


def import_spool(steward: Steward) -> int:
    """Move spooled files into the database (duplicates are dropped); returns how many were new."""
    added = 0
    for path in spool.pending(steward.config):
        try:
            key, raw = spool.load(path)
            fields = parse_xml(raw.encode("utf-8"))
        except Exception:  # a damaged file is set aside, not allowed to block the others
            log.exception("spool file %s cannot be read; moved to %s", path.name, spool.BROKEN)
            spool.set_aside(path)
            continue
        try:
            with steward.session() as session:
                session.add(
                    InboundMessage(
                        dedup_key=key,
                        openid=fields.get("FromUserName", ""),
                        msg_type=fields.get("MsgType", ""),
                        event=(fields.get("Event") or "").lower() or None,
                        raw=raw,
                        status="failed",
                        error="spooled while the database was unreachable",
                    )
                )
            added += 1
        except IntegrityError:
            pass  # already stored (a retry that reached the database): the file is done
        except Exception:
            # The database refuses this row for a reason of its own: keep the file for a look and
            # go on with the rest.
            log.exception("spool file %s could not be stored; moved to %s", path.name, spool.BROKEN)
            spool.set_aside(path)
            continue
        path.unlink()
    return added


POISON = "poison"
TRIES = 2  # a message that fails this many times in a row is poison


class Replayed(NamedTuple):
    ok: int  # handled now
    failed: int  # still failing for a reason outside the message (the database): try again later
    poison: int  # failed twice on its own account: marked `poison` and skipped


def safe_reason(exc: BaseException, openid: str = "") -> str:
    """What went wrong, for `inbound_messages.error` and logs: the driver's first line for a
    database error (SQLAlchemy's text carries the SQL and its parameters), and never the openid."""
    inner = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    lines = str(inner).strip().splitlines()  # psycopg's DETAIL line (key values) is dropped
    reason = f"{type(inner).__name__}: {lines[0] if lines else ''}".strip()
    if openid:
        reason = reason.replace(openid, "***")
    return reason[:300]


def _database_down(exc: BaseException) -> bool:
    return isinstance(exc, (OperationalError, InterfaceError)) or (
        isinstance(exc, DBAPIError) and bool(exc.connection_invalidated))


def _openid(steward: Steward, inbound_id: int) -> str:
    try:
        with steward.session() as session:
            return session.scalar(select(InboundMessage.openid).where(InboundMessage.id == inbound_id)) or ""
    except Exception:  # noqa: BLE001 — only used to scrub the reason
        return ""


def mark_poison(steward: Steward, inbound_id: int, reason: str) -> None:
    with steward.session() as session:
        row = session.get(InboundMessage, inbound_id)
        if row is not None:
            row.status, row.error = POISON, f"{TRIES} 次处理都失败，已跳过：{reason}"


def replay(steward: Steward, limit: int = 1000) -> Replayed:
    """Re-run failed messages in arrival order; returns how many were handled, are still failing
    (the database), and were set aside as poison.

    Replies cannot be delivered passively any more (WeChat stopped waiting), so the actions are
    what matters: tickets get created and dispatched, and the dispatch notices tell the resident.
    """
    import_spool(steward)
    with steward.session() as session:
        ids = session.scalars(
            select(InboundMessage.id).where(InboundMessage.status == "failed").order_by(InboundMessage.id).limit(limit)
        ).all()
    ok = failed = poison = 0
    for inbound_id in ids:
        for attempt in range(1, TRIES + 1):
            try:
                intake.process(steward, inbound_id)
                ok += 1
                break
            except Exception as exc:
                reason = safe_reason(exc, _openid(steward, inbound_id))
                log.debug("replay of inbound message %s failed", inbound_id, exc_info=True)
                if _database_down(exc):
                    log.warning("replay of inbound message %s: database unavailable (%s)", inbound_id, reason)
                    intake.mark_failed(steward, inbound_id, reason)
                    failed += 1
                    break
                if attempt == TRIES:
                    log.warning("inbound message %s is poison, skipped: %s", inbound_id, reason)
                    mark_poison(steward, inbound_id, reason)
                    poison += 1
    return Replayed(ok, failed, poison)
