"""The community's directory (courtyards, council members; FAQ entries, outside parties) as the rest
of the code reads it: the file config with its `courtyards` and `members` replaced by the database's
once the database has been seeded (a `communities` row exists), and its `faq` and `outside_parties`
once those were copied too (`communities.reference_seeded`). Before that the file config decides.

Cached per process: a snapshot is reloaded when the Redis version counter moves (checked at most
every `CHECK_SECONDS`), and at once in the process that made the change (`invalidate`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, cast

import redis as redis_lib
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.config import Config, FaqEntry
from bot.config import CouncilMember as MemberView
from bot.config import Courtyard as CourtyardView
from bot.storage import accounts, db, tenancy
from bot.storage.models import Community, CouncilMember, CourtyardRow, FaqRow, OutsidePartyRow

VERSION_KEY = "steward:directory:version"
CHECK_SECONDS = 2.0
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    community_id: int
    name: str
    account: dict | None  # its own official account; None: the deployment's [wechat], shared
    courtyards: tuple[CourtyardView, ...]
    members: tuple[MemberView, ...]  # active and bound, by courtyard then backup order: routing's order
    faq: tuple[FaqEntry, ...] | None = None  # None: not copied from the config yet, the config's stand
    outside_parties: dict[str, dict[str, str]] | None = None


@dataclass
class _Entry:
    version: str | None
    value: Any  # a Snapshot (or None), or the tuple of communities
    checked_at: float


_cache: dict[tuple[str, int | str | None], _Entry] = {}  # (database url, community id or "communities")


def community_id(session: Session) -> int | None:
    """The session's community when it is scoped to communities (bot.storage.tenancy), else the
    first: the deployment's own (its file config's), and `/wechat`'s. (`communities` is not a
    tenant table, so the scope does not filter it: a community's directory must not fall back to
    the first community's.)"""
    if tenancy.visible_of(session) is not None:
        own = tenancy.community_of(session)
        return own if session.get(Community, own) is not None else None
    return session.scalars(select(Community.id).order_by(Community.id).limit(1)).first()


def _member_view(row: CouncilMember) -> MemberView:
    skills = tuple(s for s in (row.skills or "").split(",") if s)
    return MemberView(openid=row.openid or "", name=row.name, courtyard=row.courtyard_id, role=row.role,  # type: ignore[arg-type]
                      skills=skills, phone=row.phone or "", digest_consent=bool(row.digest_consent))


def faq_view(row: FaqRow) -> FaqEntry:
    return FaqEntry(patterns=tuple(row.patterns or ()), answer=row.answer, places=tuple(row.places or ()))


def party_view(row: OutsidePartyRow) -> dict[str, str]:
    """The shape of `[outside_parties.KEY]` in the typed config (routing reads these keys)."""
    return {"name": row.name, "openid": row.openid or "", "subcategories": row.subcategories or ""}


_WHO = ("name", "openid", "subcategories")


def _reach(party: dict) -> dict:
    return {k: v for k, v in party.items() if k not in _WHO}


def _reference(session: Session, cid: int) -> dict:
    if not session.scalar(select(Community.reference_seeded).where(Community.id == cid)):
        return {}
    faq = session.scalars(select(FaqRow).where(FaqRow.community_id == cid).order_by(FaqRow.position, FaqRow.id))
    parties = session.scalars(select(OutsidePartyRow).where(OutsidePartyRow.community_id == cid)
                              .order_by(OutsidePartyRow.id))
    return {"faq": tuple(faq_view(r) for r in faq), "outside_parties": {p.key: party_view(p) for p in parties}}


def load(session: Session, cid: int | None = None) -> Snapshot | None:
    """The directory of community `cid` (None: the first)."""
    row = session.get(Community, cid) if cid is not None else None
    if row is None:
        first = community_id(session) if cid is None else None
        row = session.get(Community, first) if first is not None else None
    if row is None:
        return None
    cid = row.id
    yards = session.scalars(select(CourtyardRow).where(CourtyardRow.community_id == cid, CourtyardRow.active)
                            .order_by(CourtyardRow.id)).all()
    rows = session.scalars(
        select(CouncilMember)
        .where(CouncilMember.community_id == cid, CouncilMember.active, CouncilMember.openid.is_not(None))
        .order_by(CouncilMember.courtyard_id, CouncilMember.backup_order, CouncilMember.id)
    ).all()
    return Snapshot(
        community_id=cid,
        name=row.name,
        account=row.account or None,
        courtyards=tuple(CourtyardView(id=y.key, name=y.name, aliases=tuple(y.aliases or ()), lat=y.lat, lon=y.lon)
                         for y in yards),
        members=tuple(_member_view(r) for r in rows),
        **_reference(session, cid),
    )


RedisFactory = Callable[[], "redis_lib.Redis | None"]


def _version(redis_factory: RedisFactory) -> str | None:
    redis = redis_factory()
    if redis is None:
        return None
    try:
        value = redis.get(VERSION_KEY)
    except redis_lib.RedisError:
        return None
    return None if value is None else str(value)


def _cached(url: str, what: int | str | None, redis_factory: RedisFactory, load: Callable[[Session], Any],
            empty: Any) -> Any:
    """`load`'s answer from the database, kept per process and reloaded when the version counter moves
    (checked at most every CHECK_SECONDS); `empty` before the database can answer at all."""
    now = time.monotonic()
    entry = _cache.get((url, what))
    if entry is not None and now - entry.checked_at < CHECK_SECONDS:
        return entry.value
    version = _version(redis_factory)
    if entry is not None and version is not None and version == entry.version:
        entry.checked_at = now
        return entry.value
    try:
        with db.session_scope(url) as s:
            value = load(s)
    except SQLAlchemyError as exc:  # not migrated yet (`steward config check`, a first `db upgrade`)
        log.debug("directory not loaded: %s", db.describe_error(exc))
        return entry.value if entry else empty
    _cache[(url, what)] = _Entry(version, value, now)
    return value


def snapshot(url: str, redis_factory: RedisFactory, cid: int | None = None) -> Snapshot | None:
    return cast("Snapshot | None", _cached(url, cid, redis_factory, lambda s: load(s, cid), None))


@dataclass(frozen=True)
class CommunityView:
    id: int
    key: str
    name: str
    own_account: bool


def _load_communities(session: Session) -> tuple[CommunityView, ...]:
    rows = session.scalars(select(Community).order_by(Community.id))
    return tuple(CommunityView(r.id, r.key or str(r.id), r.name, bool(r.account)) for r in rows)


def communities(url: str, redis_factory: RedisFactory) -> tuple[CommunityView, ...]:
    """Every community of the deployment, by id (cached like the snapshots)."""
    return cast("tuple[CommunityView, ...]", _cached(url, "communities", redis_factory, _load_communities, ()))


def view(config: Config, redis_factory: RedisFactory, cid: int | None = None) -> Config:
    """The config as community `cid` (None: the first) sees it."""
    snap = snapshot(config.database_url, redis_factory, cid)
    if snap is None:
        return config
    return _merged(config, snap)


# (file config, snapshot) → merged; the key objects are kept alive so their ids are not reused.
_merged_cache: dict[tuple[int, int], tuple[Config, Snapshot, Config]] = {}


def _merged(config: Config, snap: Snapshot) -> Config:
    key = (id(config), id(snap))
    hit = _merged_cache.get(key)
    if hit is None:
        if len(_merged_cache) > 32:
            _merged_cache.clear()
        extra: dict = {}
        if snap.faq is not None:
            extra["faq"] = snap.faq
        if snap.outside_parties is not None:
            # Who a party is lives in the database (the workbench edits it); how a referral reaches it —
            # endpoint, api_key, phone — stays in the config with the other secrets, overlaid by key.
            extra["outside_parties"] = {key: {**_reach(config.outside_parties.get(key, {})), **party}
                                        for key, party in snap.outside_parties.items()}
        if snap.account:
            extra.update(accounts.overlay(config, snap.account))
        merged = replace(config, courtyards=snap.courtyards, members=snap.members, community=snap.name,
                         community_id=snap.community_id, **extra)
        hit = _merged_cache[key] = (config, snap, merged)
    return hit[2]


def invalidate(url: str, redis: redis_lib.Redis | None) -> None:
    """After a change: this process reloads at once, the others within `CHECK_SECONDS`."""
    for key in [k for k in _cache if k[0] == url]:
        _cache.pop(key, None)
    if redis is not None:
        try:
            redis.incr(VERSION_KEY)
        except redis_lib.RedisError as exc:
            log.warning("directory version not bumped (%s): other processes reload within their cache time",
                        type(exc).__name__)
