"""bot.services.rates against the independent reference (tests/rates_oracle.py) on random event logs, on
SQLite and PostgreSQL; and the cache (Redis, the kept months) that must never serve stale numbers."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime as dt
from datetime import timedelta
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from bot.config import RatesSettings
from bot.domain.clock import to_local, utcnow
from bot.services.rates import month_rates, months_rates, refresh_cache
from bot.services.tickets import lifecycle as tickets
from bot.storage import db
from bot.storage.models import MonthlyRates, Ticket, TicketEvent
from tests import rates_oracle
from tests.test_rates import build_march, nonzero
from tests.workbench_helpers import event, make_ticket

D, A, T, C, W, X = "dispatched", "accepted", "triage", "closed", "awaiting_callback", "received"
MONTHS = [(2026, 2), (2026, 3), (2026, 4)]
DUES = ["2026-03-02T05:00:00", "2026-03-02T05:00:00.25Z", "2026-03-02 05:00", "2026-03-02", "soon",
        "2026-13-02T00:00:00", 7, None]
CLOSES = [None, {}, {"reason": "resolved"}, {"reason": "unable_to_fix"}, {"reason": "withdrawn"},
          {"reason": "duplicate"}, {"reason": "not_responsible"}, {"reason": "answered"},
          {"reason": None, "solved": False}, {"callback_missing": True}]
MOVES = {X: [(D, "dispatched"), (C, "closed")],
         D: [(A, "accepted")] * 4 + [(T, "returned"), (D, "escalated"), (C, "closed")],
         T: [(D, "dispatched"), (C, "closed")], A: [(W, "finished")] * 4 + [(C, "closed"), (T, "returned")],
         W: [(W, "callback"), (W, "callback_missing"), (C, "closed"), (D, "reopened"), (W, "note"),
             (W, "escalated")], C: [(C, "callback"), (D, "reopened"), (T, "reopened")]}


def random_history(s, rng: random.Random, config) -> None:
    """A ticket's random walk through the statuses, odd data included (ties, bad types); its
    status and close reason end as tickets.close and reopen leave them."""
    created = dt(2026, 2, 18) + timedelta(hours=rng.uniform(0, 24 * 55), microseconds=rng.randrange(10**6))
    t = make_ticket(s, courtyard=rng.choice(["c1", "c3", None, ""]), created_at=created,
                    category=rng.choice([*config.categories, "other"]), subcategory=rng.choice([None, "给排水", "照明"]),
                    urgent=rng.random() < 0.2, finish_due_at=rng.choice([None, created + timedelta(days=rng.uniform(0, 8))]))
    at, status, reason = created, X, None
    for _ in range(rng.randrange(1, 14)):
        to, kind = rng.choice(MOVES[status])
        at += rng.choice([timedelta(0), timedelta(hours=rng.uniform(0, 80), microseconds=rng.randrange(10**6))])
        data: dict | None = None
        if kind == "dispatched" and rng.random() < 0.5:
            data = {"accept_due_at": rng.choice(DUES)}
        elif kind in ("callback", "note"):
            data = {"solved": rng.choice([True, False, None, 1]), "rating": rng.choice([1, 3, 4, 5, 6, 4.0, True, "4"])}
        elif kind == "closed":
            data = rng.choice(CLOSES)
        event(s, t, at, status, to, kind=kind, data=data)
        if to == C and status != C:
            reason = (data or {}).get("reason")
        status = to
    t.status, t.close_reason = status, reason if status == C else None


def compare(session, config, now) -> dict:
    got = months_rates(session, config, MONTHS, now=now)
    for ym in MONTHS:
        assert nonzero(got[ym]) == nonzero(rates_oracle.month_rates(session, config, *ym, now=now)), ym
    return got


def test_sql_matches_the_oracle_on_random_logs(any_db_url, config):
    rng = random.Random(20261126)
    with db.session_scope(any_db_url) as s:
        for _ in range(300):
            random_history(s, rng, config)
    with db.session_scope(any_db_url) as s:
        march = compare(s, config, dt(2026, 3, 20))[(2026, 3)]["_all"]
    # the log exercises every rule
    assert march.callbacks > 10 and march.ratings > 10 and march.callback_missing > 0 and march.overdue > 0
    assert march.excluded > 0 and march.not_due > 0 and march.answered > 0 and march.due > march.accepted_in_time


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rng=st.randoms(use_true_random=False), tickets_n=st.integers(1, 25),
       now=st.datetimes(min_value=dt(2026, 2, 20), max_value=dt(2026, 5, 10)),
       satisfied=st.sets(st.integers(1, 5), min_size=1),
       excluded=st.sets(st.sampled_from(["duplicate", "withdrawn", "not_responsible", "answered"])))
def test_property_any_log_any_definitions(any_db_url, config, rng, tickets_n, now, satisfied, excluded):
    """Whatever the log, the moment and the `[rates]` definitions, both agree."""
    cfg = replace(config, rates=RatesSettings(excluded_reasons=tuple(sorted(excluded)),
                                              satisfied_ratings=tuple(sorted(satisfied))))
    with db.session_scope(any_db_url) as s:
        for table in (TicketEvent, MonthlyRates, Ticket):
            s.execute(delete(table))
        for _ in range(tickets_n):
            random_history(s, rng, cfg)
    with db.session_scope(any_db_url) as s:
        compare(s, cfg, now)


def test_final_months_are_kept_until_a_ticket_changes(any_db_url, config):
    with db.session_scope(any_db_url) as s:
        build_march(s)
        # a dispatch whose accept deadline is still ahead keeps the current month provisional
        t = make_ticket(s, created_at=utcnow())
        event(s, t, utcnow(), X, D)
    with db.session_scope(any_db_url) as s:
        months_rates(s, config, [(2026, 3)])
        now = to_local(utcnow())
        months_rates(s, config, [(now.year, now.month)])
    with db.session_scope(any_db_url) as s:
        assert [r.month for r in s.scalars(select(MonthlyRates))] == ["2026-03"]
        with patch("bot.services.rates.cache.aggregate", side_effect=AssertionError("recomputed")):
            assert month_rates(s, config, 2026, 3)["c3"].due == 5  # read back, not recomputed
        # moving ticket g (5号院) to 3号院 changes March: the kept month is recomputed
        g = s.scalars(select(Ticket).where(Ticket.courtyard_id == "c5").order_by(Ticket.id)).first()
        g.courtyard_id = "c3"
        tickets.add_event(s, g, "moved", data={"from": "c5", "to": "c3"})
    with db.session_scope(any_db_url) as s:
        r = month_rates(s, config, 2026, 3)
        assert r["c3"].due == 6
        assert s.get(MonthlyRates, "2026-03").data["rates"]["c3"]["due"] == 6
        # closing a March ticket as a duplicate today takes it out of March's response rate
        a = s.scalars(select(Ticket).where(Ticket.courtyard_id == "c3").order_by(Ticket.id)).first()
        a.status = D  # reopened by hand for the test: it was closed resolved
        tickets.close(s, a, "duplicate", duplicate_of=g.ref)
    with db.session_scope(any_db_url) as s:
        r = month_rates(s, config, 2026, 3)
        assert (r["c3"].due, r["c3"].excluded, r["c3"].accepted_in_time) == (5, 1, 2)
        # other definitions: the kept month is not used for them
        other = replace(config, rates=RatesSettings(excluded_reasons=()))
        assert month_rates(s, other, 2026, 3)["c3"].due == 6


def test_redis_and_the_sweep(steward, config):
    with steward.session() as s:
        build_march(s)
    with steward.session() as s:
        assert month_rates(s, config, 2026, 3, redis=steward.redis)["c3"].due == 5
    keys = list(steward.redis.scan_iter("steward:rates:v2:*"))
    assert len(keys) == 1 and keys[0].endswith(":2026-03")
    with steward.session() as s, patch("bot.services.rates.cache.aggregate", side_effect=AssertionError("recomputed")):
        s.execute(delete(MonthlyRates))
        assert month_rates(s, config, 2026, 3, redis=steward.redis)["c3"].due == 5  # from Redis
    with steward.session() as s:
        assert refresh_cache(s, config, steward.redis) == 12
    assert len(list(steward.redis.scan_iter("steward:rates:v2:*"))) == 12  # this year, March among them
