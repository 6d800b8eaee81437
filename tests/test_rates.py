"""The three rates from hand-built event logs, with exact numbers (DESIGN.md's definitions), and the
rules of issue 15: not-yet-due tickets, excluded close reasons, 已答复, rankings, pages and API."""

from __future__ import annotations

from datetime import datetime as dt
from datetime import timedelta

import pytest

from bot.domain.clock import to_local, utcnow
from bot.services.rates import ALL, month_rates
from bot.services.tickets import lifecycle as tickets
from bot.storage import db
from tests import rates_oracle
from tests.workbench_helpers import event, login, make_ticket, post_form

D, A, T, C, W, X = "dispatched", "accepted", "triage", "closed", "awaiting_callback", "received"
AUTH = {"Authorization": "Bearer sample-api-token-change-me"}


def build_march(s) -> None:
    """March 2026 (Beijing) for 育英街3号院 and one 5号院 ticket; all times below are UTC."""
    def ticket(created, courtyard="c3", **kw):
        return make_ticket(s, courtyard=courtyard, created_at=created, **kw)

    a = ticket(dt(2026, 3, 2, 1))  # in time, solved, rated 5
    event(s, a, dt(2026, 3, 2, 2), X, D)
    event(s, a, dt(2026, 3, 2, 5), D, A)
    event(s, a, dt(2026, 3, 3, 2), A, W)
    # as bot.services.casework.council.apply_callback_answer writes it: the answer, then the close
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
    # as bot.services.casework.callback.close_missing writes it: a note, then an ordinary resolved close
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
    event(s, i, dt(2026, 3, 20, 0, 1), C, C, kind="callback", data={"rating": 4})

    g = ticket(dt(2026, 3, 3), courtyard="c5")  # never accepted, deadline long past
    event(s, g, dt(2026, 3, 3, 1), X, D)

    j = ticket(dt(2026, 3, 5), courtyard="c5")  # answered directly by staff: 已答复, not unsolved
    event(s, j, dt(2026, 3, 5, 2), X, C, kind="closed", data={"reason": "answered"})


def nonzero(result: dict) -> dict:
    """Rates as plain dicts, without all-zero entries (a ticket with only notes makes one)."""
    empty = rates_oracle.Rates().to_dict()
    return {k: v.to_dict() for k, v in result.items() if v.to_dict() != empty}


def test_march_exact_on_both_databases_and_the_oracle_agrees(any_db_url, config):
    with db.session_scope(any_db_url) as s:
        build_march(s)
    now = utcnow()
    with db.session_scope(any_db_url) as s:
        r = month_rates(s, config, 2026, 3, now=now)
        c3, c5, total = r["c3"], r["c5"], r[ALL]
        assert (c3.dispatched, c3.due, c3.not_due, c3.accepted_in_time) == (5, 5, 0, 3)  # b, c late
        assert c3.response_rate == pytest.approx(0.6)
        assert (c3.callbacks, c3.solved, c3.unsolved, c3.callback_missing) == (3, 2, 1, 1)
        assert c3.resolution_rate == pytest.approx(2 / 3)
        assert (c3.ratings, c3.satisfied) == (3, 2)
        assert (c3.median_accept_hours, c3.median_finish_hours) == (10.0, 37.5)  # 0.5 3 10 25 36; 25 50 3.2 480
        assert (c3.overdue, c3.reopened, c3.misrouted, c3.closed_unsolved) == (2, 1, 1, 1)
        assert (c5.due, c5.accepted_in_time, c5.overdue, c5.answered, c5.closed_unsolved) == (1, 0, 1, 1, 0)
        assert c5.resolution_rate is None and c5.satisfaction_rate is None
        assert (total.due, total.accepted_in_time, total.overdue) == (6, 3, 3)
        for ym in ((2026, 2), (2026, 3), (2026, 4)):
            assert nonzero(month_rates(s, config, *ym, now=now)) == nonzero(
                rates_oracle.month_rates(s, config, *ym, now=now)), ym
        assert month_rates(s, config, 2026, 2, now=now)["c3"].dispatched == 3  # f, h, i
        only = month_rates(s, config, 2026, 3, courtyard="c5", now=now)
        assert set(only) == {"c5", ALL} and only[ALL].due == 1


def test_accept_deadline_from_the_dispatch_event(steward, config):
    """A dispatch that recorded its own accept deadline is measured against it."""
    with steward.session() as s:
        t = make_ticket(s, created_at=dt(2026, 3, 2))
        event(s, t, dt(2026, 3, 2, 1), X, D, kind="dispatched", data={"accept_due_at": "2026-03-02T02:00:00"})
        event(s, t, dt(2026, 3, 2, 3), D, A, kind="accepted")
        r = month_rates(s, config, 2026, 3)["c3"]
    assert (r.due, r.accepted_in_time, r.overdue) == (1, 0, 1)


def _dispatched(s, courtyard: str, at, **kw):
    t = make_ticket(s, courtyard=courtyard, created_at=at - timedelta(minutes=5), **kw)
    tickets.transition(s, t, D, "dispatched", at=at)
    return t


def test_a_fresh_ticket_is_not_due_and_the_rate_is_a_dash(client, steward, config):
    """Twenty minutes into the day: a ticket dispatched 20 minutes ago (accept deadline hours away)
    is 未到期; the courtyard's response rate is "—" on every page and null in the API, not 0 %."""
    with steward.session() as s:
        _dispatched(s, "c7", utcnow() - timedelta(minutes=20))
    local = to_local(utcnow())
    with steward.session() as s:
        r = month_rates(s, config, local.year, local.month)["c7"]
    assert (r.dispatched, r.due, r.not_due, r.accepted_in_time, r.overdue) == (1, 0, 1, 0, 0)
    assert r.response_rate is None
    api = client.get("/api/rates?courtyard=c7", headers=AUTH).get_json()
    assert api["rates"]["c7"]["response_rate"] is None and api["rates"]["c7"]["not_due"] == 1
    assert api["rates"]["c7"]["resolution_rate"] is None
    board = client.get("/public/?courtyard=c7").get_data(as_text=True)
    assert "0.0%" not in board and "1 件未到期" in board and "响应率 —" in board
    login(client)
    page = client.get("/staff/rates/?courtyard=c7").get_data(as_text=True)
    assert '<b id="kpi-response">—</b>' in page and "未到期 1" in page
    assert "统计口径" in page and "未到期" in page and "重复工单、居民撤回" in page  # the definition


def test_duplicates_withdrawn_and_not_ours_leave_the_denominator(steward, config):
    """Four tickets with their accept deadlines long past, never accepted: three closed as duplicate,
    withdrawn and not our responsibility are out of the response rate and the overdue count; the
    fourth is late."""
    at = dt(2026, 5, 10, 2)
    with steward.session() as s:
        original = _dispatched(s, "c9", at)
        dup, gone, other = (_dispatched(s, "c9", at) for _ in range(3))
        tickets.close(s, dup, "duplicate", duplicate_of=original.ref)
        tickets.close(s, gone, "withdrawn", actor=gone.resident_openid)
        tickets.close(s, other, "not_responsible", referral="市燃气公司")
        r = month_rates(s, config, 2026, 5)["c9"]
        assert (r.dispatched, r.excluded, r.due, r.accepted_in_time, r.overdue) == (4, 3, 1, 0, 1)
        assert r.response_rate == 0.0
        assert nonzero(month_rates(s, config, 2026, 5)) == nonzero(
            rates_oracle.month_rates(s, config, 2026, 5, now=utcnow()))
        # reopening the withdrawn ticket brings it back: it is late too
        tickets.transition(s, gone, D, "reopened")
    with steward.session() as s:
        r = month_rates(s, config, 2026, 5)["c9"]
    assert (r.excluded, r.due) == (2, 2)


def test_answered_is_its_own_close_reason_not_unsolved(client, steward, config):
    """Staff answer a question directly and close it as 已答复 from the ticket page."""
    with steward.session() as s:
        ref = make_ticket(s, text="老年证怎么办理", category="inquiry", courtyard="c3", status="triage").ref
    login(client)
    page = client.get(f"/staff/t/{ref}").get_data(as_text=True)
    assert '<option value="answered">已答复</option>' in page
    post_form(client, f"/staff/t/{ref}", f"/staff/t/{ref}/close", {"reason": "answered", "note": "已电话告知"})
    local = to_local(utcnow())
    with steward.session() as s:
        r = month_rates(s, config, local.year, local.month)["c3"]
    assert (r.answered, r.closed_unsolved, r.unsolved, r.callbacks) == (1, 0, 0, 0)
    assert r.resolution_rate is None
    assert "已答复 1" in client.get("/staff/rates/?courtyard=c3").get_data(as_text=True)


@pytest.mark.parametrize("overrides", [{"rates.satisfied_ratings": [5], "rates.ranking_min_due": 2,
                                        "rates.ranking_size": 1}])
def test_definitions_come_from_config_and_rankings(client, steward, config):
    """Satisfied = 5 only; ranked where at least 2 tickets are due: c1 (all in time) red, c3 black,
    c5 (one due) unranked."""
    at = dt(2026, 6, 3, 2)
    with steward.session() as s:
        for yard, late in (("c1", [False, False]), ("c3", [True, False, True]), ("c5", [False])):
            for is_late in late:
                t = _dispatched(s, yard, at)
                tickets.transition(s, t, A, "accepted", at=at + timedelta(hours=30 if is_late else 1))
        rated = make_ticket(s, courtyard="c5", created_at=at)
        tickets.add_event(s, rated, "callback", data={"rating": 4}, at=at + timedelta(days=2))
    with steward.session() as s:
        r = month_rates(s, config, 2026, 6)
    assert (r["c5"].ratings, r["c5"].satisfied) == (1, 0)  # 4 is not satisfied here
    body = client.get("/api/rates?month=2026-06", headers=AUTH).get_json()
    assert body["rankings"]["red"][0]["courtyard"] == "c1"
    assert [x["courtyard"] for x in body["rankings"]["black"]] == ["c3"]
    assert body["rankings"]["min_due"] == 2
    assert any("5 分" in d["text"] for d in body["definitions"])
    login(client)
    html = client.get("/staff/rates/?month=2026-06").get_data(as_text=True)
    assert "红榜 1</td><td>育英街1号院" in html and "黑榜 1</td><td>育英街3号院" in html
    assert "评价为 5 分" in html and "0/1 个评价为 5 分" in html  # the KPI follows the config too


def test_api_rejects_a_bad_month_or_courtyard(client):
    assert client.get("/api/rates?month=2026-13", headers=AUTH).status_code == 400
    assert client.get("/api/rates?month=abc", headers=AUTH).status_code == 400
    assert client.get("/api/rates?courtyard=nope", headers=AUTH).status_code == 400
    assert client.get("/api/rates?month=2026-03", headers=AUTH).status_code == 200


def test_the_board_counts_only_grievances_still_open(client, steward):
    with steward.session() as s:
        for status in ("received", "accepted", "closed", "closed"):
            make_ticket(s, text="邻里纠纷", category="grievance", courtyard="c11", status=status)
    html = client.get("/public/?courtyard=c11").get_data(as_text=True)
    assert "另有 2 件投诉类事项正在调解中" in html and "另有 2 件投诉类事项已办结，未公开" in html
    assert "统计口径" in html


@pytest.mark.parametrize("key, value", [("excluded_reasons", ["duplicat"]), ("satisfied_ratings", [6]), ("satisfied_ratings", [4.0]),
                                        ("satisfied_ratings", []), ("ranking_min_due", 0),
                                        ("ranking_weights", [1, 1]), ("ranking_weights", [0, 0, 0])])
def test_rates_config_refuses_mistakes(key, value):
    from bot.config import ROOT, ConfigError, load

    with pytest.raises(ConfigError, match=f"rates.{key}"):
        load(ROOT / "config.example.toml", {f"rates.{key}": value})


def test_rates_config_defaults_without_the_section():
    from bot.config import CLOSE_REASON_KEYS, ROOT, RatesSettings, load, parse
    from bot.domain.vocabulary import CLOSE_REASONS

    assert set(CLOSE_REASON_KEYS) == set(CLOSE_REASONS)

    cfg = load(ROOT / "config.example.toml")
    assert cfg.rates == RatesSettings()  # the example documents the defaults
    data = dict(cfg.raw)
    data.pop("rates")
    assert parse(data).rates == RatesSettings()


@pytest.mark.parametrize("overrides", [{"rates.ranking_min_due": 2, "rates.ranking_size": 1}])
def test_the_board_shows_the_months_red_and_black_list(client, steward):
    """The same rankings as the workbench: c1 accepted in time twice, c3 late twice (the dispatch
    recorded a deadline a minute after it)."""
    now = utcnow()
    with steward.session() as s:
        for yard, late in (("c1", False), ("c1", False), ("c3", True), ("c3", True)):
            t = make_ticket(s, courtyard=yard, created_at=now - timedelta(minutes=3))
            due = (now - timedelta(seconds=90)).isoformat()
            event(s, t, now - timedelta(minutes=2), X, D, kind="dispatched", data={"accept_due_at": due})
            event(s, t, now - timedelta(minutes=1) if late else now - timedelta(minutes=2) + timedelta(seconds=5),
                  D, A, kind="accepted")
    html = client.get("/public/").get_data(as_text=True)
    assert "<b>本月红榜</b> 育英街1号院" in html and "<b>黑榜</b> 育英街3号院" in html
