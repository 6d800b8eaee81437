"""`steward replay`: process spooled messages and inbound rows that failed."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.services import intake
from bot.services.steward import Steward
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


def replay(steward: Steward, limit: int = 1000) -> tuple[int, int]:
    """Re-run failed messages in arrival order; returns (succeeded, still failing).

    Replies cannot be delivered passively any more (WeChat stopped waiting), so the actions are
    what matters: tickets get created and dispatched, and the dispatch notices tell the resident.
    """
    import_spool(steward)
    with steward.session() as session:
        ids = session.scalars(
            select(InboundMessage.id).where(InboundMessage.status == "failed").order_by(InboundMessage.id).limit(limit)
        ).all()
    ok = bad = 0
    for inbound_id in ids:
        try:
            intake.process(steward, inbound_id)
            ok += 1
        except Exception as exc:
            log.exception("replay of inbound message %s failed", inbound_id)
            intake.mark_failed(steward, inbound_id, f"{type(exc).__name__}: {exc}")
            bad += 1
    return ok, bad
