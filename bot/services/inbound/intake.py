"""From an inbound message to a reply: context, decision, actions in one transaction.

The webhook runs `handle` inside the same transaction that stores the raw message (one commit on
the happy path); if anything fails it rolls back and stores the raw row as `failed` in a fresh
transaction, so nothing is lost and `steward replay` runs it again through `process`.
"""

from __future__ import annotations

import functools
import logging
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import redis as redis_lib
from sqlalchemy import (
    Table,
    and_,
    bindparam,
    case,
    func,
    select,
    true,
)
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from bot.domain.clock import to_local, utcnow
from bot.domain.vocabulary import EventStatus
from bot.services.actions import executors, relays  # noqa: F401 — importing them registers their executors
from bot.services.actions.run import Run, execute
from bot.services.community import invitations
from bot.services.inbound.ticket_rows import MINE, mine_params, sender_tickets, task_views
from bot.services.uow import outbox
from bot.services.uow.steward import Steward
from bot.storage import tenancy
from bot.storage.models import CouncilMember as MemberRow
from bot.storage.models import Event, InboundMessage, Registration, Resident
from bot.wechat.messages import to_inbound
from bot.wechat.security import parse_xml
from handlers.base import Context, Decision, EventView, Inbound, Outcome
from handlers.conversation import decide
from handlers.replies import compose
from handlers.state import DialogueState

log = logging.getLogger(__name__)

DIALOGUE_KEY = "steward:dialogue:{}"


@dataclass
class Handled:
    reply: str | None
    state: DialogueState | None
    run: Run
    outbox: outbox.Outbox


def load_state(steward: Steward, openid: str) -> DialogueState:
    try:
        raw = steward.redis.get(DIALOGUE_KEY.format(openid))
    except Exception:  # Redis down: carry on without dialogue memory rather than fail the message
        log.warning("dialogue state unavailable", exc_info=True)
        return DialogueState()
    return parse_state(raw)


def parse_state(raw: str | bytes | None) -> DialogueState:
    """The stored JSON as a state; another version or garbage reads as a fresh state."""
    return DialogueState.from_json(raw)


def save_state(steward: Steward, openid: str, state: DialogueState | None, pipe: Any = None) -> None:
    """Write (or clear) the dialogue state; queued on `pipe` when given (the caller executes it)."""
    key = DIALOGUE_KEY.format(openid)
    try:
        r = pipe if pipe is not None else steward.redis
        if state is not None and not state.is_empty():
            ttl = steward.config.dialogue_ttl
            if state.handoff_until is not None:  # a hand-off outlives the usual memory
                ttl = max(ttl, int(steward.config.conversation.handoff_minutes * 60) + 60)
            r.set(key, state.to_json(), ex=ttl)
        else:
            r.delete(key)
    except Exception:
        log.warning("could not save dialogue state", exc_info=True)


def upcoming_events(session: Session, openid: str, now: Any, limit: int = 10) -> list[EventView]:
    """The next events with their registered count and whether `openid` holds a place: one grouped
    query (it used to load each event's registrations lazily, one query per event)."""
    reg = Registration
    registered = func.count(case((reg.status == "registered", 1))).label("registered")
    mine = func.count(case((and_(reg.openid == openid, reg.guest == "", reg.status != "cancelled"), 1))).label("mine")
    rows = session.execute(
        select(Event.id, Event.title, Event.starts_at, Event.place, Event.capacity, Event.courtyard_id,
               registered, mine, Event.status)
        .outerjoin(reg, reg.event_id == Event.id)
        .where(Event.starts_at >= now)
        .group_by(Event.id)
        .order_by(Event.starts_at, Event.id)
        .limit(limit)
    ).all()
    return [EventView(id=r.id, title=r.title, starts_at=to_local(r.starts_at), place=r.place, capacity=r.capacity,
                      registered=r.registered, courtyard=r.courtyard_id, mine=r.mine > 0,
                      cancelled=r.status == EventStatus.cancelled)
            for r in rows]


# The latest start of any event, per Steward (one per process), re-read after EVENTS_TTL seconds
# and whenever this process writes an Event row: `bool(ctx.events)` is asked of every text
# (handlers.events.matches_explicit: `ctx.events and guest_name(text)`), and "is there an upcoming
# event at all" needs no per-resident query. Cost: an event published or moved by another process
# is seen by that truth test up to EVENTS_TTL late (the list itself is always read fresh).
# Issue 24: one grouped query fewer on most messages (bench/webhook_cpu.py).
EVENTS_TTL = 10.0
_latest_start: weakref.WeakKeyDictionary[Steward, tuple[float, Any]] = weakref.WeakKeyDictionary()


@sa_event.listens_for(Event, "after_insert")
@sa_event.listens_for(Event, "after_update")
@sa_event.listens_for(Event, "after_delete")
def _events_changed(*_: Any) -> None:
    _latest_start.clear()


def any_upcoming(session: Session, steward: Steward, now: Any) -> bool:
    seen = _latest_start.get(steward)
    clock = time.monotonic()
    if seen is None or clock - seen[0] > EVENTS_TTL:
        seen = (clock, session.scalar(select(func.max(Event.starts_at))))
        _latest_start[steward] = seen
    return seen[1] is not None and seen[1] >= now


class LazyEvents(Sequence[EventView]):
    """`ctx.events`, read on first use: only event talk (活动, 报名…) looks at it, so most messages
    skip the query. Used only while the message's transaction is open (handle → compose). Its truth
    is answered without the list when it is not read yet (`any_upcoming`)."""

    def __init__(self, load: Callable[[], list[EventView]], exists: Callable[[], bool] | None = None) -> None:
        self._load = load
        self._exists = exists
        self._items: list[EventView] | None = None

    def __bool__(self) -> bool:
        if self._items is None and self._exists is not None:
            return self._exists()
        return bool(self._get())

    def _get(self) -> list[EventView]:
        if self._items is None:
            self._items = self._load()
        return self._items

    def __getitem__(self, i):  # noqa: ANN001, ANN204 — Sequence's int/slice overloads
        return self._get()[i]

    def __len__(self) -> int:
        return len(self._get())

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None  # type: ignore[assignment]


def build_context(session: Session, steward: Steward, msg: Inbound, courtyard: str | None,
                  state: DialogueState | None = None, mine_rows: list[Any] | None = None) -> Context:
    cfg = steward.config
    now = utcnow()
    mine, withdrawn = sender_tickets(session, msg.openid, now, mine_rows)
    member = cfg.member(msg.openid)
    if member is not None:
        # Only configured members have a row worth reading (a deactivated one is not a member).
        row = session.scalars(select(MemberRow).where(MemberRow.openid == msg.openid)).first()
        if row is not None and not row.active:
            member = None
    return Context(
        config=cfg,
        courtyard=courtyard or (member.courtyard if member is not None else None),  # a member's own courtyard
        state=load_state(steward, msg.openid) if state is None else state,
        member=member,
        open_tickets=mine,
        awaiting_callback=[t for t in mine if t.status == "awaiting_callback"],
        events=LazyEvents(lambda: upcoming_events(session, msg.openid, now),  # type: ignore[arg-type]
                          lambda: any_upcoming(session, steward, now)),
        now=now,
        tasks=task_views(session, msg.openid) if member is not None else [],
        withdrawn=withdrawn,
    )


@functools.cache
def _touch_statement(dialect: str, changed: tuple[str, ...]) -> Any:
    """INSERT … ON CONFLICT (openid) DO UPDATE SET <changed> … RETURNING courtyard_id, per dialect and
    set of changed columns (a handful in all), built once."""
    from sqlalchemy.dialects import postgresql, sqlite

    # Core, not the ORM entity: no ORM bulk-insert layer per message (declarative types it FromClause)
    table = cast(Table, Resident.__table__)
    stmt = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    excluded = stmt.excluded
    set_ = {c: excluded[c] for c in changed} or {"openid": excluded.openid}
    return stmt.on_conflict_do_update(index_elements=[table.c.openid], set_=set_).returning(
        table.c.courtyard_id, table.c.no_default_offer)


@functools.cache
def _touch_and_mine(changed: tuple[str, ...]) -> Any:
    """PostgreSQL: the resident's upsert (a data-modifying CTE) and the sender's tickets (`_MINE`,
    LEFT JOINed to its one row) in ONE statement — issue 24: one statement and round trip less on
    every message. A CTE's INSERT gets no Python-side column defaults: every column is bound here."""
    from sqlalchemy.dialects import postgresql

    table = cast(Table, Resident.__table__)
    names = ("openid", "created_at", "no_default_offer", "subscribed", "community_id", *changed)
    stmt = postgresql.insert(table).values({c: bindparam(f"r_{c}", type_=table.c[c].type) for c in dict.fromkeys(names)})
    set_ = {c: stmt.excluded[c] for c in changed} or {"openid": stmt.excluded.openid}
    r = stmt.on_conflict_do_update(index_elements=[table.c.openid], set_=set_).returning(
        table.c.courtyard_id, table.c.no_default_offer).cte("r")
    m = MINE.subquery("m")
    return select(r.c.courtyard_id.label("resident_courtyard"), r.c.no_default_offer.label("resident_no_offer"),
                  m).select_from(r.outerjoin(m, true()))


def touch_resident(session: Session, msg: Inbound, steward: Steward | None = None,
                   mine: list[Any] | None = None) -> tuple[str | None, bool]:
    """Create or update the sender's resident row in one statement; return their courtyard and
    whether they declined the default-courtyard offer. With `mine` (a list) on PostgreSQL, the
    sender's ticket rows for `build_context` are read in the same statement and put in it."""
    now = utcnow()
    changes: dict[str, Any] = {}
    if msg.kind != "event" or msg.event in ("subscribe", "scan", "click", "view", "location"):
        # The 48-hour customer-service window opens on a user's message or interaction.
        changes["last_message_at"] = now
    if msg.kind == "event" and msg.event == "unsubscribe":
        changes["subscribed"] = False
    elif msg.kind == "event" and msg.event == "subscribe":
        changes["subscribed"] = True
    conn = session.connection()
    if mine is not None and conn.dialect.name == "postgresql":
        values = {"openid": msg.openid, "created_at": now, "no_default_offer": False, "subscribed": True,
                  "community_id": tenancy.community_of(session), **changes}
        rows = conn.execute(_touch_and_mine(tuple(changes)), {f"r_{k}": v for k, v in values.items()}
                            | mine_params(msg.openid, now)).all()
        mine.extend(r for r in rows if r.id is not None)  # no tickets: the resident's row alone
        courtyard, no_offer = rows[0].resident_courtyard, rows[0].resident_no_offer
    else:
        stmt = _touch_statement(conn.dialect.name, tuple(changes))
        row = conn.execute(stmt, {"openid": msg.openid, "created_at": now, "no_default_offer": False, **changes}).one()
        courtyard, no_offer = row.courtyard_id, row.no_default_offer
    # Council-member rows exist only for configured members (`ensure_member_row`): skip the query
    # for everyone else — nearly every message.
    if steward is None or steward.config.member(msg.openid) is not None:
        member = session.scalars(select(MemberRow).where(MemberRow.openid == msg.openid)).first()
        if member is not None:
            member.last_message_at = now
            if not member.reachable and msg.event != "unsubscribe":
                member.reachable, member.unreachable_reason = True, None
            session.flush()
    return courtyard, bool(no_offer)


def invitation_reply(session: Session, steward: Steward, msg: Inbound) -> str | None:
    """A council invitation's scan, or the 是 that answers its question (bot.services.community.invitations):
    handled here, before the dialogue, which never sees it."""
    event = (msg.event or "").lower()
    if msg.kind == "event" and event in ("scan", "subscribe") and invitations.is_invitation(msg.event_key):
        return invitations.on_scan(session, steward.config, steward.redis, msg.openid, msg.event_key or "")
    if msg.kind == "text" and msg.text and len(msg.text) <= 8:
        try:
            return invitations.on_answer(session, steward.config, steward.redis, msg.openid, msg.text)
        except redis_lib.RedisError:
            log.warning("invitation answer not checked (Redis)", exc_info=True)
    return None


def handle(session: Session, steward: Steward, msg: Inbound, state: DialogueState | None = None) -> Handled:
    """Decide and carry out `msg` inside `session` (the caller commits, then calls `finish`)."""
    mine_rows: list[Any] = []
    courtyard, no_offer = touch_resident(session, msg, steward, mine_rows)
    read = mine_rows if session.connection().dialect.name == "postgresql" else None
    invited = invitation_reply(session, steward, msg)
    if invited is not None:
        kept = load_state(steward, msg.openid) if state is None else state
        outbox.of(session).deferred = True
        return Handled(invited, kept, Run(steward.config, msg, session), outbox.of(session))
    ctx = build_context(session, steward, msg, courtyard, state, read)
    if no_offer and not ctx.state.declined_default:  # remembered in the database, not only for the TTL
        ctx.state = replace(ctx.state, declined_default=True)
    decision: Decision = decide(msg, ctx)
    run = Run(steward.config, msg, session)
    outbox.of(session).deferred = True  # `finish` flushes it, on the same pipeline as the state
    outcomes: list[Outcome] = [execute(run, a) for a in decision.actions]
    return Handled(compose(decision, outcomes, ctx), decision.state, run, outbox.of(session))


def finish(steward: Steward, done: Handled, extra: Callable[[Any], None] | None = None) -> None:
    """After commit: enqueue the jobs, save the dialogue state (and `extra`, the webhook's dedup
    reply) in ONE Redis round trip. Never raises: the outbox sweep covers a lost enqueue."""
    openid = done.run.msg.openid
    try:
        pipe = steward.redis_raw.pipeline()
        outbox.flush(steward.redis_raw, done.outbox, pipe)  # RQ puts the pipeline in MULTI: its commands go first
        save_state(steward, openid, done.state, pipe)
        if extra is not None:
            extra(pipe)
        pipe.execute()
    except Exception:
        log.warning("post-commit Redis steps failed; the outbox sweep will enqueue", exc_info=True)


def process(steward: Steward, inbound_id: int) -> str | None:
    """Run the message stored as `inbound_id` (replay); return the reply text (None: nothing to say)."""
    with steward.session() as session:
        row = session.get(InboundMessage, inbound_id)
        if row is None:
            return None
        msg = to_inbound(parse_xml(row.raw.encode("utf-8")))
        done = handle(session, steward, msg)
        row.status = "handled"
        row.error = None
        row.ticket_id = done.run.ticket_ids[0] if done.run.ticket_ids else None
    finish(steward, done)
    return done.reply


def mark_failed(steward: Steward, inbound_id: int, error: str) -> None:
    try:
        with steward.session() as session:
            row = session.get(InboundMessage, inbound_id)
            if row is not None:
                row.status, row.error = "failed", error[:2000]
    except Exception:
        log.exception("could not mark inbound message %s failed", inbound_id)
