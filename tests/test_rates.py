"""The three rates from hand-built event logs, with exact numbers (DESIGN.md's definitions)."""

from __future__ import annotations

from datetime import datetime as dt

import pytest

from bot.web.rates_calc import ALL, compute, month_bounds, month_rates
from tests.workbench_helpers import event, login, make_ticket

D, A, T, C, W, X = "dispatched", "accepted", "triage", "closed", "awaiting_callback", "received"


@pytest.fixture
def march(steward):
    """March 2026 (Beijing) for 育英街3号院 and one 5号院 ticket; all times below are UTC."""
    with steward.session() as s:
        def ticket(created, courtyard="c3", **kw):
            return make_ticket(s, courtyard=courtyard, created_at=created, **kw)

        a = ticket(dt(2026, 3, 2, 1))  # in time, solved, rated 5
        event(s, a, dt(2026, 3, 2, 2), X, D)
        event(s, a, dt(2026, 3, 2, 5), D, A)
        event(s, a, dt(2026, 3, 3, 2), A, W)
        # as bot.council.apply_callback_answer writes it: the answer, then the close
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
        # as workers.callback.close_missing writes it: a note, then an ordinary resolved close
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
    from bot.web.rates_calc import refresh_cache

    with steward.session() as s:
        assert refresh_cache(s, config, steward.redis) == 12
    keys = set(steward.redis.scan_iter("steward:rates:v1:*"))
    assert len(keys) == 12
