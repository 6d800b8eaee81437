"""Where the rates come from: Redis first, then the months kept in `monthly_rates`, and only what
is left is computed — every missing month of a request in one grouped query (`compute`).

A month is kept in the database once it is final: a week past its end (no later accept can count
for it) and no dispatch of it still inside its accept deadline; events are appended, never
back-dated. What can still change a kept month is a ticket's own columns, which the definitions
read as they are now (courtyard, category, finish deadline, close reason): those change only with
a `moved`, `reclassified`, `dispatched` or `reopened` event or a close with an excluded reason, so
a kept month is recomputed when such an event came after it was kept for a ticket whose events
reach into that month. Both caches carry the definitions' fingerprint: a changed `[rates]` or
deadline setting recomputes every month.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from bot.config import Config
from bot.domain.clock import utcnow
from bot.services.rates.compute import aggregate, aggregate_by_community
from bot.services.rates.definitions import (
    LATE_ACCEPT_WINDOW,
    Month,
    Rates,
    fingerprint,
    last_months,
    month_bounds,
    month_of,
)
from bot.storage import tenancy
from bot.storage.models import MonthlyRates, TicketEvent

# events that rewrite a ticket's rate inputs (a close only with an excluded reason, see _touches)
CHANGE_KINDS = ("moved", "reclassified", "dispatched", "reopened", "closed")


def _key(fp: str, ym: Month) -> str:
    return f"steward:rates:v2:{fp}:{_label(ym)}"


def _label(ym: Month) -> str:
    return f"{ym[0]:04d}-{ym[1]:02d}"


def _ttl(ym: Month, now: datetime) -> int:
    """Redis: the current month for 2 minutes, the two before 15 minutes, older ones 6 hours."""
    year, month = month_of(now)
    age = (year - ym[0]) * 12 + month - ym[1]
    return 120 if age <= 0 else 900 if age <= 2 else 6 * 3600


def _decode(data: dict[str, Any]) -> dict[str, Rates]:
    return {k: Rates.from_dict(v) for k, v in data.items()}


def _runs(months: list[Month]) -> list[list[Month]]:
    """Consecutive months together: one query each."""
    runs: list[list[Month]] = []
    for ym in sorted(set(months)):
        prev = runs[-1][-1] if runs else None
        if prev and (prev[0] * 12 + prev[1]) + 1 == ym[0] * 12 + ym[1]:
            runs[-1].append(ym)
        else:
            runs.append([ym])
    return runs


def _keep(session: Session, ym: Month, fp: str, data: dict[str, Any], now: datetime) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    kept = {"definitions": fp, "rates": data}
    stmt = insert(MonthlyRates).values(month=_label(ym), data=kept, computed_at=now)
    session.execute(stmt.on_conflict_do_update(index_elements=["month"],
                                               set_={"data": stmt.excluded.data, "computed_at": now}))


def _touches(kind: str, data: Any, config: Config) -> bool:
    if kind != "closed":
        return True
    return isinstance(data, dict) and data.get("reason") in config.rates.excluded_reasons


def _kept(session: Session, config: Config, fp: str, months: list[Month]) -> dict[Month, dict[str, Any]]:
    """The kept months among `months`, kept under these definitions, that no later change touched."""
    if not months:
        return {}
    wanted = {_label(ym): ym for ym in months}
    rows = [r for r in session.execute(select(MonthlyRates.month, MonthlyRates.data, MonthlyRates.computed_at)
                                       .where(MonthlyRates.month.in_(list(wanted)))).all()
            if isinstance(r.data, dict) and r.data.get("definitions") == fp]
    if not rows:
        return {}
    # Each change since the oldest of them, with the span of its ticket's events (index on kind, at).
    c, x = aliased(TicketEvent), aliased(TicketEvent)
    changes = [
        (at, first, last) for at, kind, data, first, last in session.execute(
            select(c.at, c.kind, c.data, func.min(x.at), func.max(x.at)).join(x, x.ticket_id == c.ticket_id)
            .where(c.kind.in_(CHANGE_KINDS), c.at > min(r.computed_at for r in rows))
            .group_by(c.id))  # the other columns depend on it
        if _touches(kind, data, config)
    ]
    out = {}
    for label, data, computed_at in rows:
        start, end = month_bounds(*wanted[label])
        if not any(at > computed_at and first < end + LATE_ACCEPT_WINDOW and last >= start
                   for at, first, last in changes):
            out[wanted[label]] = data["rates"]
    return out


def months_rates(session: Session, config: Config, months: list[Month], redis: Any = None,
                 courtyard: str | None = None, force: bool = False,
                 now: datetime | None = None, each_community: tuple[int, ...] = ()) -> dict[Month, dict[str, Rates]]:
    """Rates for every courtyard (and ALL) of each month. With `courtyard`, that courtyard only and
    nothing cached; `force` recomputes (the sweep); `now` decides what is due (tests).
    `each_community` (the sweep, a deployment's session on PostgreSQL): those communities' own rates
    are computed in the same query and cached where their sessions look for them."""
    now = now or utcnow()
    fp = fingerprint(config)
    # A community's session: its own rates (its total is not the deployment's), cached apart; the
    # kept months table holds the deployment's only.
    communities = tenancy.visible_of(session)
    if communities is not None:
        fp = f"{fp}-c{'.'.join(map(str, communities))}"
    out: dict[Month, dict[str, Rates]] = {}
    todo = list(dict.fromkeys(months))
    if courtyard is None and not force and todo:
        if redis is not None:
            for ym, raw in zip(todo, redis.mget([_key(fp, ym) for ym in todo]), strict=True):
                if raw:
                    out[ym] = _decode(json.loads(raw))
        kept = _kept(session, config, fp, [ym for ym in todo if ym not in out]) if communities is None else {}
        for ym, data in kept.items():
            out[ym] = _decode(data)
            if redis is not None:
                redis.set(_key(fp, ym), json.dumps(data), ex=_ttl(ym, now))
        todo = [ym for ym in todo if ym not in out]
    for run in _runs(todo):
        bounds = [month_bounds(*ym)[0] for ym in run] + [month_bounds(*run[-1])[1]]
        if each_community and redis is not None:
            results, per = aggregate_by_community(session, config, bounds, now)
            for cid in each_community:
                for i, ym in enumerate(run):
                    mine = per[cid][i][0] if cid in per else {}
                    redis.set(_key(f"{fp}-c{cid}", ym), json.dumps(mine), ex=_ttl(ym, now))
        else:
            results = aggregate(session, config, bounds, now, courtyard, communities)
        for i, (data, pending) in enumerate(results):
            ym = run[i]
            out[ym] = _decode(data)
            if courtyard is not None:
                continue
            if redis is not None:
                redis.set(_key(fp, ym), json.dumps(data), ex=_ttl(ym, now))
            if pending == 0 and bounds[i + 1] + LATE_ACCEPT_WINDOW <= now and communities is None:
                _keep(session, ym, fp, data, now)
    return out


def month_rates(session: Session, config: Config, year: int, month: int, redis: Any = None,
                courtyard: str | None = None, force: bool = False,
                now: datetime | None = None) -> dict[str, Rates]:
    return months_rates(session, config, [(year, month)], redis, courtyard, force, now)[(year, month)]


def refresh_cache(session: Session, config: Config, redis: Any, months: int = 12,
                  each_community: tuple[int, ...] = ()) -> int:
    """Recompute the last `months` months into Redis (and keep the final ones), for the sweep: with
    it running, page views find every month cached. 12 cold months take ~3.3 s at 1M tickets."""
    todo = last_months(*month_of(utcnow()), months)
    months_rates(session, config, todo, redis=redis, force=True, each_community=each_community)
    return len(todo)
