"""The three rates from hand-built event logs, with exact numbers (DESIGN.md's definitions)."""

from __future__ import annotations

import random
from datetime import datetime as dt
from datetime import timedelta
from unittest.mock import patch

import pytest
from sqlalchemy import select

from bot.domain.clock import to_local, utcnow
from bot.storage import db
from bot.storage.models import Ticket
from bot.web.rates_calc import ALL, Rates, compute, load_rows, month_bounds
from bot.web.rates_store import month_rates, months_rates
from tests.workbench_helpers import event, login, make_ticket

D, A, T, C, W, X = "dispatched", "accepted", "triage", "closed", "awaiting_callback", "received"


def build_march(s) -> None:
    """March 2026 (Beijing) for 育英街3号院 and one 5号院 ticket; all times below are UTC."""
    def ticket(created, courtyard="c3", **kw):
        return make_ticket(s, courtyard=courtyard, created_at=created, **kw)

    a = ticket(dt(2026, 3, 2, 1))  # in time, solved, rated 5
    event(s, a, dt(2026, 3, 2, 2), X, D)
    event(s, a, dt(2026, 3, 2, 5), D, A)
    event(s, a, dt(2026, 3, 3, 2), A, W)
    # as bot.services.council.apply_callback_answer writes it: the answer, then the close
    event(s, a, dt(2026, 3, 4, 2), W, W, kind="callback", data={"solved": True, "rating": 5})
    event(s, a, dt(2026, 3, 4, 2), W, C, kind="closed", data={"reason": "resolved"})

    b = ticket(dt(2026, 3, 4, 22))  # accepted after 36 h: overdue; not solved → 重办, rated 2
    event(s, b, dt(2026, 3, 5), X, D)
    event(s, b, dt(2026, 3, 6, 12), D, A)
    event(s, b, dt(2026, 3, 7), A, W)
    event(s, b, dt(2026, 3, 8), W, W, kind="callback", data={"solved": False, "rating": 2})
    event(s, b, dt(2026, 3, 8), W, D, kind="reopened", data={"reopen_count": 1})

    c = ticket(dt(2026, 3, 9, 23))  # returned (misroute), re-dispatched, accepted 25 h after the first
    event(s, c, dt(2026, 3, 10), X, D)
    event(s, c, dt(2026, 3, 10, 5), D, T, kind="returned")
    event(s, c, dt(2026, 3, 11), T, D)
    event(s, c, dt(2026, 3, 11, 1), D, A)

    d = ticket(dt(2026, 3, 11, 23, 50), urgent=True)  # urgent, accepted in 30 min; callback missing
    event(s, d, dt(2026, 3, 12), X, D)
    event(s, d, dt(2026, 3, 12, 0, 30), D, A)
    event(s, d, dt(2026, 3, 12, 3), A, W)
    # as bot.services.callback.close_missing writes it: a note, then an ordinary resolved close
    event(s, d, dt(2026, 3, 16, 3), W, W, kind="callback_missing")
    event(s, d, dt(2026, 3, 16, 3), W, C, kind="closed", data={"reason": "resolved"})

    e = ticket(dt(2026, 3, 31, 14))  # dispatched 23:00 Beijing on the 31st, accepted 10 h later in April
    event(s, e, dt(2026, 3, 31, 15), X, D)
    event(s, e, dt(2026, 4, 1, 1), D, A)

    f = ticket(dt(2026, 2, 20))  # dispatched in February: not March's response rate
    event(s, f, dt(2026, 2, 20, 1), X, D)
    event(s, f, dt(2026, 3, 1, 1), D, A)

    h = ticket(dt(2026, 2, 10))  # closed unable to fix in March
    event(s, h, dt(2026, 2, 10, 1), X, D)
    event(s, h, dt(2026, 2, 10, 2), D, A)
    event(s, h, dt(2026, 3, 15), A, C, kind="closed", data={"reason": "unable_to_fix"})

    i = ticket(dt(2026, 2, 27))  # finished and solved in March, rated 4 in a separate event
    event(s, i, dt(2026, 2, 27, 1), X, D)
    event(s, i, dt(2026, 2, 27, 2), D, A)
    event(s, i, dt(2026, 3, 19), A, W)
    event(s, i, dt(2026, 3, 20), W, C, data={"reason": "resolved"})
    event(s, i, dt(2026, 3, 20, 0, 1), C, C, kind="rated", data={"rating": 4})

    g = ticket(dt(2026, 3, 3), courtyard="c5")  # never accepted, deadline long past
    event(s, g, dt(2026, 3, 3, 1), X, D)


@pytest.fixture
def march(steward):
    with steward.session() as s:
        build_march(s)
    return steward


def test_month_rates_exact(march, config):
    with march.session() as s:
        r = month_rates(s, config, 2026, 3)
    c3 = r["c3"]
    assert (c3.dispatched, c3.accepted_in_time) == (5, 3)  # a, d, e in time; b, c late
    assert c3.response_rate == pytest.approx(0.6)
    assert (c3.callbacks, c3.solved, c3.unsolved, c3.callback_missing) == (3, 2, 1, 1)
    assert c3.resolution_rate == pytest.approx(2 / 3)
    assert (c3.ratings, c3.satisfied) == (3, 2)
    assert c3.satisfaction_rate == pytest.approx(2 / 3)
    assert c3.median_accept_hours == 10.0  # 0.5, 3, 10, 25, 36
    assert c3.median_finish_hours == 37.5  # a 25, b 50, d 3.2, i 480 → (25 + 50) / 2
    assert (c3.overdue, c3.reopened, c3.misrouted, c3.closed_unsolved) == (2, 1, 1, 1)
    c5 = r["c5"]
    assert (c5.dispatched, c5.accepted_in_time, c5.overdue) == (1, 0, 1)
    assert c5.resolution_rate is None and c5.satisfaction_rate is None
    total = r[ALL]
    assert (total.dispatched, total.accepted_in_time, total.overdue) == (6, 3, 3)
    assert total.response_rate == pytest.approx(0.5)


def test_other_months_are_separate(march, config):
    with march.session() as s:
        feb = month_rates(s, config, 2026, 2)
        april = month_rates(s, config, 2026, 4)
    assert feb["c3"].dispatched == 3  # f, h, i
    assert "c3" not in april or april["c3"].dispatched == 0


def test_accept_deadline_from_the_dispatch_event(config):
    """A dispatch that recorded its own accept deadline is measured against it."""
    from bot.web.rates_calc import Row

    start, end = month_bounds(2026, 3)
    base = dict(courtyard_id="c1", category="repair", subcategory=None, urgent=False,
                created_at=dt(2026, 3, 2), finish_due_at=None)
    rows = [
        Row(1, 1, dt(2026, 3, 2, 1), "dispatched", X, D, {"accept_due_at": "2026-03-02T02:00:00"}, **base),
        Row(1, 2, dt(2026, 3, 2, 3), "accepted", D, A, None, **base),
    ]
    r = compute(rows, config, start, end, now=dt(2026, 4, 1))["c1"]
    assert (r.dispatched, r.accepted_in_time, r.overdue) == (1, 0, 1)


def test_rates_page_and_cache(march, client, steward):
    login(client)
    html = client.get("/staff/rates/?month=2026-03&courtyard=c3").get_data(as_text=True)
    assert "60.0%" in html and "66.7%" in html and "<svg" in html
    assert "3/5 件按时接单" in html
    assert steward.redis.get("steward:rates:v1:2026-03")  # cached for the next view
    api = client.get("/api/rates?month=2026-03&courtyard=c3",
                     headers={"Authorization": "Bearer sample-api-token-change-me"}).get_json()
    assert api["rates"]["c3"]["response_rate"] == pytest.approx(0.6)


def test_refresh_cache_for_the_sweep(march, config, steward):
    from bot.web.rates_store import refresh_cache

    with steward.session() as s:
        assert refresh_cache(s, config, steward.redis) == 12
    keys = set(steward.redis.scan_iter("steward:rates:v1:*"))
    assert len(keys) == 12


# --- The same rates computed inside the database (rates_sql), on SQLite and PostgreSQL -------------

def _nonzero(result: dict) -> dict:
    """Rates as plain dicts, leaving out all-zero entries (the reference makes some; SQL does not)."""
    empty = Rates().to_dict()
    return {k: v.to_dict() for k, v in result.items() if v.to_dict() != empty}


def _reference(session, config, year: int, month: int, now) -> dict:
    start, end = month_bounds(year, month)
    return _nonzero(compute(load_rows(session, start, end), config, start, end, now))


def test_sql_rates_exact_on_both_databases(any_db_url, config):
    """The march log of `test_month_rates_exact`, on SQLite and PostgreSQL, through the SQL path."""
    with db.session_scope(any_db_url) as s:
        build_march(s)
    with db.session_scope(any_db_url) as s:
        r = month_rates(s, config, 2026, 3)
        c3, total = r["c3"], r[ALL]
        assert (c3.dispatched, c3.accepted_in_time) == (5, 3)
        assert (c3.callbacks, c3.solved, c3.unsolved, c3.callback_missing) == (3, 2, 1, 1)
        assert (c3.ratings, c3.satisfied) == (3, 2)
        assert (c3.median_accept_hours, c3.median_finish_hours) == (10.0, 37.5)
        assert (c3.overdue, c3.reopened, c3.misrouted, c3.closed_unsolved) == (2, 1, 1, 1)
        assert (r["c5"].dispatched, r["c5"].accepted_in_time, r["c5"].overdue) == (1, 0, 1)
        assert (total.dispatched, total.accepted_in_time, total.overdue) == (6, 3, 3)
        now = utcnow()
        assert _nonzero(r) == _reference(s, config, 2026, 3, now)
        # one grouped query for Feb–Apr gives what three separate months give
        many = months_rates(s, config, [(2026, 2), (2026, 3), (2026, 4)])
        for ym in ((2026, 2), (2026, 3), (2026, 4)):
            assert _nonzero(many[ym]) == _reference(s, config, *ym, now) == _nonzero(month_rates(s, config, *ym))
        assert many[(2026, 2)]["c3"].dispatched == 3
        only = month_rates(s, config, 2026, 3, courtyard="c5")
        assert set(only) == {"c5", ALL} and only[ALL].dispatched == 1


DUES = ["2026-03-02T05:00:00", "2026-03-02T05:00:00.25Z", "2026-03-02 05:00", "2026-03-02", "soon",
        "2026-13-02T00:00:00", 7, None]


def _random_history(s, rng: random.Random, config) -> None:
    """A ticket with a random walk through the statuses, odd data included (ties, bad types)."""
    cats = [*config.categories, "other"]
    created = dt(2026, 2, 18) + timedelta(hours=rng.uniform(0, 24 * 55), microseconds=rng.randrange(10**6))
    t = make_ticket(s, courtyard=rng.choice(["c1", "c3", None, ""]), created_at=created, category=rng.choice(cats),
                    subcategory=rng.choice([None, "给排水", "照明"]), urgent=rng.random() < 0.2,
                    finish_due_at=rng.choice([None, created + timedelta(days=rng.uniform(0, 8))]))
    at, status = created, X
    moves = {X: [(D, "dispatched")], D: [(A, "accepted")] * 4 + [(T, "returned"), (D, "escalated")],
             T: [(D, "dispatched")], A: [(W, "finished")] * 4 + [(C, "closed"), (T, "returned")],
             W: [(W, "callback"), (W, "callback_missing"), (C, "closed"), (D, "reopened"), (W, "note"),
                 (W, "overdue")], C: [(C, "rated"), (D, "reopened"), (X, "reopened")]}
    for _ in range(rng.randrange(1, 14)):
        to, kind = rng.choice(moves[status])
        at += rng.choice([timedelta(0), timedelta(hours=rng.uniform(0, 80), microseconds=rng.randrange(10**6))])
        data: dict | None = None
        if kind == "dispatched" and rng.random() < 0.5:
            data = {"accept_due_at": rng.choice(DUES)}
        elif kind in ("callback", "note", "rated"):
            data = {"solved": rng.choice([True, False, None, 1]), "rating": rng.choice([1, 3, 4, 5, 6, 4.0, True, "4"])}
        elif kind == "closed":
            data = rng.choice([None, {}, {"reason": "resolved"}, {"reason": "unable_to_fix"}, {"reason": "withdrawn"},
                               {"reason": None, "solved": False}, {"callback_missing": True}])
        event(s, t, at, status, to, kind=kind, data=data)
        status = to


def test_sql_matches_the_reference_on_random_logs(any_db_url, config):
    """Identical numbers from the SQL (both databases) and the Python reference, month by month."""
    rng = random.Random(20261126)
    with db.session_scope(any_db_url) as s:
        for _ in range(300):
            _random_history(s, rng, config)
    months = [(2026, 2), (2026, 3), (2026, 4)]
    with db.session_scope(any_db_url) as s:
        now = dt(2026, 3, 20)
        with patch("bot.web.rates_store.utcnow", return_value=now):
            got = months_rates(s, config, months)
        for ym in months:
            assert _nonzero(got[ym]) == _reference(s, config, *ym, now), ym
        march = got[(2026, 3)][ALL]
        assert march.callbacks > 10 and march.ratings > 10 and march.callback_missing > 0 and march.overdue > 0


def test_final_months_are_kept_until_a_ticket_changes(any_db_url, config):
    from bot.services import tickets
    from bot.storage.models import MonthlyRates

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
        with patch("bot.web.rates_store.aggregate", side_effect=AssertionError("recomputed")):
            assert month_rates(s, config, 2026, 3)["c3"].dispatched == 5  # read back, not recomputed
        # moving ticket g (5号院) to 3号院 changes March: the kept month is recomputed
        g = s.scalars(select(Ticket).where(Ticket.courtyard_id == "c5")).one()
        g.courtyard_id = "c3"
        tickets.add_event(s, g, "moved", data={"from": "c5", "to": "c3"})
    with db.session_scope(any_db_url) as s:
        r = month_rates(s, config, 2026, 3)
        assert r["c3"].dispatched == 6 and "c5" not in r
        assert s.get(MonthlyRates, "2026-03").data["c3"]["dispatched"] == 6
