"""The rates computed inside the database: one grouped query for a run of consecutive months.

The rules are `bot.services.rates.definitions`; this is their only implementation (the workbench, the API,
the public board and the cache all come here). Each ticket's events of the month are walked with
window functions, so only a few rows per courtyard come back instead of ~72,000 events a month at
1M tickets (measured against Python over the fetched rows: docs/BENCHMARKS.md). Durations are
integer microseconds on both databases (SQLite's instants too), so PostgreSQL and SQLite give
identical answers; medians are `percentile_cont` on PostgreSQL, `statistics.median` of the
per-ticket rows on SQLite. tests/rates_oracle.py is the independent reference the tests compare with.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain.deadlines import accept_hours
from bot.services.rates.definitions import (
    ALL,
    ANSWERED,
    COUNTS,
    LATE_ACCEPT_WINDOW,
    MISSING_KINDS,
    NO_COURTYARD,
    OVERDUE_KINDS,
    RATING_KINDS,
    UNABLE,
)
from bot.services.rates.dialects import Lite, Pg, sql_list

_EPOCH = datetime(1970, 1, 1)
_US = timedelta(microseconds=1)
MonthResult = tuple[dict[str, dict[str, Any]], int]


def epoch_us(dt: datetime) -> int:
    return (dt - _EPOCH) // _US


def us_to_hours(us: float | None) -> float | None:
    return None if us is None else round(us / 3_600_000_000, 2)


_BODY = """
WITH src AS (
  SELECT e.ticket_id, e.id, e.at, e.kind, e.from_status, e.to_status, {data} AS data
  FROM ticket_events e
  WHERE e.at >= :lo AND e.at < :late AND (
    (e.at < :hi AND (e.from_status <> e.to_status OR e.to_status = 'dispatched' OR e.kind IN {kinds}))
    OR (e.from_status = 'dispatched' AND e.to_status = 'accepted')){tenant} {fence}
), ev AS (
  SELECT e.ticket_id AS tid, e.id AS eid, {at} AS at_t, CASE {month_cases} ELSE {n} END AS m,
    CASE WHEN e.to_status = 'dispatched' THEN 1 ELSE 0 END AS is_disp,
    CASE WHEN e.from_status = 'dispatched' AND e.to_status = 'accepted' THEN 1 ELSE 0 END AS is_acc,
    CASE WHEN e.from_status = 'accepted' AND e.to_status = 'awaiting_callback' THEN 1 ELSE 0 END AS is_fin,
    CASE WHEN e.from_status = 'awaiting_callback' AND (e.to_status IS NULL OR e.to_status <> 'awaiting_callback')
      THEN 1 ELSE 0 END AS is_reset,
    CASE WHEN e.kind IN {missing_kinds} OR {missing_flag} THEN 1 ELSE 0 END AS is_missing,
    {solved} AS solved, {rating} AS rating,
    CASE WHEN e.kind IN {overdue_kinds} THEN 1 ELSE 0 END AS is_od,
    CASE WHEN e.from_status = 'awaiting_callback' AND e.to_status = 'closed' THEN 1 ELSE 0 END AS is_cb_close,
    CASE WHEN coalesce({reason}, 'resolved') = 'resolved' THEN 1 ELSE 0 END AS reason_ok,
    CASE WHEN e.from_status = 'awaiting_callback' AND e.to_status = 'dispatched' THEN 1 ELSE 0 END AS is_redo,
    CASE WHEN e.from_status IN ('awaiting_callback', 'closed') AND (e.to_status IS NULL
      OR (e.to_status <> 'closed' AND e.to_status <> e.from_status)) THEN 1 ELSE 0 END AS is_reopen,
    CASE WHEN e.to_status = 'triage' AND e.from_status IN ('dispatched', 'accepted') THEN 1 ELSE 0 END AS is_misroute,
    CASE WHEN e.to_status = 'closed' AND {reason} = '{unable}' THEN 1 ELSE 0 END AS is_unable,
    CASE WHEN e.to_status = 'closed' AND {reason} = '{answered}' THEN 1 ELSE 0 END AS is_answered,
    CASE WHEN e.to_status = 'dispatched' THEN {due} END AS due_us
  FROM src e
), w1 AS (
  -- one sorted pass: what came before each event in its ticket's month; `seg` numbers the stretches
  -- between transitions out of awaiting_callback (a callback's answer counts up to the next one)
  -- (running sums up to the current row minus the row itself: the cheapest frame to evaluate)
  SELECT ev.*, row_number() OVER w AS pos, sum(is_disp) OVER w - is_disp AS prev_disp,
    sum(is_fin) OVER w - is_fin AS prev_fin, sum(is_reset) OVER w - is_reset AS seg
  FROM ev WINDOW w AS (PARTITION BY tid, m ORDER BY at_t, eid)
), sg AS (
  -- a close from awaiting_callback or a 重办 is a reset, so it is the last event of its stretch
  SELECT tid, m,
    max(CASE WHEN is_disp = 1 AND prev_disp = 0 THEN at_t END) AS fd_at,
    max(CASE WHEN is_disp = 1 AND prev_disp = 0 THEN due_us END) AS fd_due,
    min(CASE WHEN is_acc = 1 AND prev_disp > 0 THEN at_t END) AS fd_acc,
    min(CASE WHEN is_acc = 1 THEN at_t END) AS first_acc,
    max(CASE WHEN is_fin = 1 AND prev_fin = 0 THEN at_t END) AS fin_at,
    max(CASE WHEN rating IS NOT NULL THEN pos * 8 + rating END) AS rating_code,
    max(is_od) AS od, max(is_missing) AS seg_missing, max(is_cb_close) AS cb_close,
    max(CASE WHEN is_cb_close = 1 THEN reason_ok END) AS cb_reason_ok,
    max(CASE WHEN solved IS NOT NULL THEN pos * 2 + solved END) % 2 AS answer,
    sum(is_redo) AS redo, sum(is_reopen) AS reopened, sum(is_misroute) AS misrouted, sum(is_unable) AS unable,
    sum(is_answered) AS answered
  FROM w1 GROUP BY tid, m, seg
), sc AS (
  SELECT sg.*, CASE WHEN cb_close = 1 AND seg_missing = 0 AND cb_reason_ok = 1 THEN 1 ELSE 0 END AS counted,
    CASE WHEN answer = 0 THEN 1 ELSE 0 END AS said_no
  FROM sg
), tm AS (
  SELECT tid, m, max(fd_at) AS fd_at, max(fd_due) AS fd_due, min(fd_acc) AS fd_acc, min(first_acc) AS first_acc,
    max(fin_at) AS fin_at, max(rating_code) AS rating_code, max(od) AS od,
    sum(CASE WHEN cb_close = 1 AND seg_missing = 1 THEN 1 ELSE 0 END) AS callback_missing,
    sum(counted + redo) AS callbacks, sum(counted * said_no + redo) AS unsolved,
    sum(counted * (1 - said_no)) AS solved, sum(reopened) AS reopened, sum(misrouted) AS misrouted,
    sum(unable) AS closed_unsolved, sum(answered) AS answered
  FROM sc GROUP BY tid, m
), tn AS (
  -- an accept early next month (within LATE_ACCEPT_WINDOW) still answers this month's dispatch
  SELECT tm.*, CASE WHEN lead(m) OVER nw = m + 1 THEN lead(first_acc) OVER nw END AS nx_acc
  FROM tm WINDOW nw AS (PARTITION BY tid ORDER BY m)
), tk AS (
  -- the ticket as it is now: courtyard, category, finish deadline, and whether its close reason
  -- takes it out of the response rate
  SELECT tn.*, t.community_id AS cm, coalesce(nullif(t.courtyard_id, ''), '{none}') AS yard,
    coalesce(tn.fd_due, {due_default}) AS deadline,
    coalesce(tn.fd_acc, CASE WHEN tn.nx_acc < CASE {late_cases} END THEN tn.nx_acc END) AS acc,
    {created} AS created, {finish_due} AS fin_due, tn.rating_code % 8 AS rating,
    CASE WHEN t.status = 'closed' AND {excluded} THEN 1 ELSE 0 END AS excl
  FROM tn JOIN tickets t ON t.id = tn.tid
  WHERE tn.m < {n}{yard_filter}
), r AS (
  SELECT cm, m, yard, rating, callbacks, solved, unsolved, callback_missing, closed_unsolved, answered, reopened,
    misrouted,
    CASE WHEN fd_at IS NOT NULL THEN 1 ELSE 0 END AS dispatched,
    CASE WHEN fd_at IS NOT NULL AND excl = 1 THEN 1 ELSE 0 END AS excluded,
    CASE WHEN fd_at IS NOT NULL AND excl = 0 AND (acc IS NOT NULL OR deadline < :now) THEN 1 ELSE 0 END AS due,
    CASE WHEN fd_at IS NOT NULL AND excl = 0 AND acc IS NULL AND deadline >= :now THEN 1 ELSE 0 END AS not_due,
    CASE WHEN fd_at IS NOT NULL AND excl = 0 AND acc <= deadline THEN 1 ELSE 0 END AS accepted_in_time,
    CASE WHEN fd_at IS NOT NULL AND excl = 0 THEN {acc_diff} END AS acc_us,
    {fin_diff} AS fin_us,
    CASE WHEN rating IN {satisfied} THEN 1 ELSE 0 END AS satisfied,
    CASE WHEN fd_at IS NOT NULL AND acc IS NULL AND deadline >= :now THEN 1 ELSE 0 END AS pending,
    CASE WHEN excl = 0 AND ((fd_at IS NOT NULL AND NOT coalesce(acc <= deadline, false)
      AND (acc IS NOT NULL OR deadline < :now)) OR fin_at > fin_due OR od = 1) THEN 1 ELSE 0 END AS overdue
  FROM tk
)
"""
_PG_TAIL = """
SELECT m, yard, GROUPING(yard) AS g, {sums}, count(rating) AS ratings, sum(pending) AS pending,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY acc_us) AS med_acc,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY fin_us) AS med_fin
FROM r GROUP BY GROUPING SETS ((m, yard), (m))
"""
# The sweep with several communities: the deployment's months and each community's own in one pass
# (GROUPING(cm) = 1 on the deployment's rows) — 20 community queries cost 7.5 s a minute at 1M tickets.
_PG_BY_COMMUNITY = """
SELECT cm, m, yard, GROUPING(cm) AS gc, GROUPING(yard) AS g, {sums}, count(rating) AS ratings,
  sum(pending) AS pending,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY acc_us) AS med_acc,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY fin_us) AS med_fin
FROM r GROUP BY GROUPING SETS ((cm, m, yard), (cm, m), (m, yard), (m))
"""


def _hours_case(config: Config, params: dict[str, Any]) -> str:
    """The default accept deadline over the ticket row, in microseconds: each branch asks
    bot.domain.deadlines.accept_hours, so its precedence (urgent, utility, category) is the only rule."""
    def us(hours: float) -> str:
        return str(round(hours * 3_600_000_000))

    parts = [f"WHEN t.urgent THEN {us(accept_hours(config, '', None, True))}"]
    if config.utility_subcategories:
        names = []
        for i, sub in enumerate(config.utility_subcategories):
            params[f"sub{i}"] = sub
            names.append(f":sub{i}")
        utility = accept_hours(config, "", config.utility_subcategories[0], False)
        parts.append(f"WHEN t.subcategory IN ({', '.join(names)}) THEN {us(utility)}")
    for i, name in enumerate(config.categories):
        params[f"cat{i}"] = name
        parts.append(f"WHEN t.category = :cat{i} THEN {us(accept_hours(config, name, None, False))}")
    return f"CASE {' '.join(parts)} ELSE {us(accept_hours(config, '', None, False))} END"


def _excluded(config: Config, params: dict[str, Any]) -> str:
    names = []
    for i, reason in enumerate(config.rates.excluded_reasons):
        params[f"ex{i}"] = reason
        names.append(f":ex{i}")
    return f"t.close_reason IN ({', '.join(names)})" if names else "1 = 0"


def aggregate(session: Session, config: Config, bounds: list[datetime], now: datetime,
              courtyard: str | None = None, communities: tuple[int, ...] | None = None) -> list[MonthResult]:
    """For consecutive months [bounds[i], bounds[i+1]): ({courtyard or ALL: counts and medians},
    dispatches still inside their accept deadline) — the month may change until that is 0."""
    return _aggregate(session, config, bounds, now, courtyard, communities, False)[0]


def aggregate_by_community(session: Session, config: Config, bounds: list[datetime],
                           now: datetime) -> tuple[list[MonthResult], dict[int, list[MonthResult]]]:
    """PostgreSQL, a deployment's session: `aggregate` over every community, and each community's
    own (what a session scoped to it computes), in one query."""
    return _aggregate(session, config, bounds, now, None, None, True)


def _aggregate(session: Session, config: Config, bounds: list[datetime], now: datetime, courtyard: str | None,
               communities: tuple[int, ...] | None,
               by_community: bool) -> tuple[list[MonthResult], dict[int, list[MonthResult]]]:
    n = len(bounds) - 1
    pg = session.get_bind().dialect.name == "postgresql"
    d = Pg() if pg else Lite()
    when = (lambda t: t) if d.native_time else epoch_us  # noqa: E731 - instants as the dialect keeps them
    params: dict[str, Any] = {"lo": bounds[0], "hi": bounds[-1], "late": bounds[-1] + LATE_ACCEPT_WINDOW,
                              "now": when(now)}
    typed = ["lo", "hi", "late"] + (["now"] if pg else [])
    for i, b in enumerate(bounds[1:]):
        params[f"b{i}"], params[f"late{i}"] = b, when(b + LATE_ACCEPT_WINDOW)
        typed += [f"b{i}"] + ([f"late{i}"] if pg else [])
    yard_filter = fence = ""
    if courtyard:
        params["yard"] = courtyard
        yard_filter = " AND t.courtyard_id = :yard"
    if communities is not None:  # a community's (or a street's) rates: its events only, from the first CTE
        ids = ", ".join(str(int(c)) for c in communities) or "NULL"
        fence = f" AND e.community_id IN ({ids})"
        yard_filter += f" AND t.community_id IN ({ids})"
    sql = _BODY.format(
        at=d.t("e.at"), n=n, month_cases=" ".join(f"WHEN e.at < :b{i} THEN {i}" for i in range(n)),
        missing_kinds=sql_list(MISSING_KINDS), missing_flag=d.missing_flag(), solved=d.solved(), rating=d.rating(),
        overdue_kinds=sql_list(OVERDUE_KINDS), reason=d.jtext("reason"), due=d.due(),
        kinds=sql_list(OVERDUE_KINDS + RATING_KINDS + MISSING_KINDS),
        due_default=d.add("tn.fd_at", _hours_case(config, params)),
        late_cases=" ".join(f"WHEN tn.m = {i} THEN :late{i}" for i in range(n)),
        data=d.data, fence=d.fence, tenant=fence, none=NO_COURTYARD, unable=UNABLE, answered=ANSWERED,
        excluded=_excluded(config, params), satisfied="(" + ", ".join(map(str, config.rates.satisfied_ratings)) + ")",
        created=d.t("t.created_at"), finish_due=d.t("t.finish_due_at"), yard_filter=yard_filter,
        acc_diff=d.diff("acc", "fd_at"), fin_diff=d.diff("fin_at", "created"),
    )
    sums = ", ".join(f"sum({c}) AS {c}" for c in COUNTS if c != "ratings")
    tail = (_PG_BY_COMMUNITY if by_community else _PG_TAIL).format(sums=sums) if pg else "SELECT * FROM r"
    stmt = text(sql + tail).bindparams(*(bindparam(k, type_=DateTime) for k in typed))
    if pg:
        # The month's events are sorted and hashed in memory (~8 MB a month at 1M tickets), not on disk.
        session.execute(text("SET LOCAL work_mem = '64MB'"))
    rows = session.execute(stmt, params).mappings()
    if not by_community:
        return (_from_groups(rows, n) if pg else _fold(rows, n)), {}
    assert pg, "aggregate_by_community: PostgreSQL only"
    every: list[Any] = []
    per: dict[int, list[Any]] = {}
    for r in rows:
        (every if r["gc"] else per.setdefault(int(r["cm"]), [])).append(r)
    return _from_groups(every, n), {cm: _from_groups(found, n) for cm, found in per.items()}


def _from_groups(rows: Any, n: int) -> list[MonthResult]:
    out: list[MonthResult] = [({}, 0) for _ in range(n)]
    for r in rows:
        key = ALL if r["g"] else r["yard"]
        out[r["m"]][0][key] = {c: int(r[c] or 0) for c in COUNTS} | {
            "median_accept_hours": us_to_hours(r["med_acc"]), "median_finish_hours": us_to_hours(r["med_fin"])}
        if r["g"]:
            out[r["m"]] = (out[r["m"]][0], int(r["pending"] or 0))
    return out


def _fold(rows: Any, n: int) -> list[MonthResult]:
    """SQLite has no percentile_cont: sum the per-ticket rows and take the medians here."""
    sums: list[dict[str, dict[str, Any]]] = [{} for _ in range(n)]
    pending = [0] * n
    for r in rows:
        pending[r["m"]] += r["pending"]
        for key in (r["yard"], ALL):
            acc = sums[r["m"]].setdefault(key, {c: 0 for c in COUNTS} | {"acc": [], "fin": []})
            for c in COUNTS:
                acc[c] += (r["rating"] is not None) if c == "ratings" else r[c]
            if r["acc_us"] is not None:
                acc["acc"].append(r["acc_us"])
            if r["fin_us"] is not None:
                acc["fin"].append(r["fin_us"])
    for month in sums:
        for v in month.values():
            a, f = v.pop("acc"), v.pop("fin")
            v["median_accept_hours"] = us_to_hours(statistics.median(a)) if a else None
            v["median_finish_hours"] = us_to_hours(statistics.median(f)) if f else None
    return [(sums[i], pending[i]) for i in range(n)]
