"""The JSON API: bearer tokens, ticket listing with filters and cursor, events, rates, OpenAPI."""

from __future__ import annotations

import re
from datetime import datetime as dt

import pytest

from bot.services.tickets import lifecycle as tickets
from tests.workbench_helpers import make_ticket

AUTH = {"Authorization": "Bearer sample-api-token-change-me"}


@pytest.fixture
def refs(steward):
    with steward.session() as s:
        a = make_ticket(s, text="灯坏了", courtyard="c3", created_at=dt(2026, 3, 1), assignee_name="陈卫东",
                        accept_due_at=dt(2026, 3, 2))
        tickets.transition(s, a, "dispatched", "dispatched", actor="system")
        b = make_ticket(s, text="太吵", category="grievance", courtyard="c5", created_at=dt(2026, 3, 5))
        c = make_ticket(s, text="水管爆了", courtyard="c3", created_at=dt(2026, 4, 1), urgent=True)
        tickets.add_event(s, c, "note", actor="staff:liu", actor_name="刘晓红", note="已联系物业")
        return a.ref, b.ref, c.ref


def test_needs_a_valid_token(client, refs):
    assert client.get("/api/tickets").status_code == 401
    assert client.get("/api/tickets", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/tickets", headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get("/api/tickets", headers=AUTH).status_code == 200


def test_list_and_filters(client, refs):
    a, b, c = refs
    body = client.get("/api/tickets", headers=AUTH).get_json()
    assert [t["ref"] for t in body["tickets"]] == [c, b, a]
    t = body["tickets"][2]
    for field in ("ref", "category", "subcategory", "courtyard", "status", "text", "urgent", "created_at",
                  "deadline", "assignee"):
        assert field in t
    assert t["assignee"] == "陈卫东" and t["deadline"] == "2026-03-02T00:00:00Z" and t["status"] == "dispatched"
    def refs_for(q):
        return [x["ref"] for x in client.get("/api/tickets?" + q, headers=AUTH).get_json()["tickets"]]

    assert refs_for("courtyard=c3") == [c, a]
    assert refs_for("category=grievance") == [b]
    assert refs_for("status=dispatched") == [a]
    assert refs_for("since=2026-03-02T00:00:00Z") == [c, b]
    assert refs_for("since=2026-03-02T08:00:00%2B08:00") == [c, b]
    assert client.get("/api/tickets?since=yesterday", headers=AUTH).status_code == 400


def test_cursor_paging(client, refs):
    first = client.get("/api/tickets?limit=2", headers=AUTH).get_json()
    assert len(first["tickets"]) == 2 and first["next_cursor"]
    second = client.get(f"/api/tickets?limit=2&cursor={first['next_cursor']}", headers=AUTH).get_json()
    assert [t["ref"] for t in second["tickets"]] == [refs[0]] and second["next_cursor"] is None


def test_ticket_and_events(client, refs):
    c = refs[2]
    assert client.get(f"/api/tickets/{c}", headers=AUTH).get_json()["urgent"] is True
    assert client.get("/api/tickets/R9", headers=AUTH).status_code == 404
    events = client.get(f"/api/tickets/{c}/events", headers=AUTH).get_json()["events"]
    assert [e["kind"] for e in events] == ["received", "note"]
    assert events[1]["actor_name"] == "刘晓红" and events[1]["actor_type"] == "staff"
    assert "o-resident" not in str(events)  # openids never leave


def test_rates_endpoint(client, refs):
    body = client.get("/api/rates?month=2026-03", headers=AUTH).get_json()
    assert body["month"] == "2026-03" and "all" in body["rates"] and "c3" in body["rates"]


def test_openapi_document(client):
    doc = client.get("/api/openapi.json").get_json()  # no token needed
    assert doc["openapi"].startswith("3.")
    assert {"/tickets", "/tickets/{ref}", "/tickets/{ref}/events", "/rates"} <= set(doc["paths"])
    required = set(doc["components"]["schemas"]["Ticket"]["required"])
    assert {"ref", "category", "subcategory", "courtyard", "status", "text", "urgent", "created_at", "deadline",
            "assignee"} <= required


def test_no_csrf_needed_for_api(client, refs):
    # Bearer tokens, no CSRF: a POST without a token in the form is judged on its body alone.
    resp = client.post("/api/tickets", headers=AUTH)
    assert resp.status_code == 400 and "JSON" in resp.get_json()["error"] and "CSRF" not in resp.get_data(as_text=True)
    assert client.post("/api/tickets", headers=AUTH, json={"channel": "电话", "courtyard": "c3", "category": "repair",
                                                           "text": "楼道灯坏了"}).status_code == 201


def test_urgent_first_and_paging_across_the_boundary(client, steward):
    with steward.session() as s:
        made = [make_ticket(s, text=f"第{i}件", urgent=i in (1, 4, 5), created_at=dt(2026, 3, 1 + i)) for i in range(8)]
        want = [t.ref for t in sorted(made, key=lambda t: (not t.urgent, -t.id))]
    for limit in (1, 2, 3, 4):
        got, cursor = [], ""
        while True:
            body = client.get(f"/api/tickets?limit={limit}" + (f"&cursor={cursor}" if cursor else ""),
                              headers=AUTH).get_json()
            got += [t["ref"] for t in body["tickets"]]
            cursor = body["next_cursor"]
            if not cursor:
                break
        assert got == want, limit  # none lost, none repeated, urgent first then newest
    only = client.get("/api/tickets?urgent=true", headers=AUTH).get_json()["tickets"]
    assert {t["ref"] for t in only} == set(want[:3])
    assert len(client.get("/api/tickets?urgent=0", headers=AUTH).get_json()["tickets"]) == 5


@pytest.mark.parametrize("query", [
    "status=bogus", "status=CLOSED", "status=closed%00", "category=nope", "category=%00", "courtyard=c99",
    "courtyard=c3%00", "urgent=maybe", "urgent=%00", "since=2026-02-30", "since=1999-12-31", "since=2101-01-01",
    "since=%00", "cursor=garbage", "cursor=5", "cursor=1_0", "cursor=1_99999999999", "cursor=2_5", "cursor=1_5%00",
    "limit=0", "limit=201", "limit=-3", "limit=1.5", "limit=%00",
])
def test_unknown_filter_values_are_a_chinese_400(client, refs, query):
    resp = client.get("/api/tickets?" + query, headers=AUTH)
    assert resp.status_code == 400, query
    error = resp.get_json()["error"]
    prose = re.sub(r"「[^」]*」|true|false|YYYY-MM|ISO 8601|\d{4}-\d{2}-\d{2}T[\d:+]+", "", error)
    assert re.search(r"[\u4e00-\u9fff]{2}", error) and not re.search(r"[A-Za-z]{3}", prose), error


def test_known_filter_values_answer(client, refs):
    for query in ("status=closed", "status=triage", "category=other", "courtyard=c19", "urgent=false",
                  "since=2026-03-01", "cursor=1_2147483647", "limit=200"):
        assert client.get("/api/tickets?" + query, headers=AUTH).status_code == 200, query


@pytest.mark.parametrize("query", ["month=2026-13", "month=abc", "month=1999-01", "month=2026-1", "courtyard=c99",
                                   "month=%00"])
def test_rates_parameters_refused_in_chinese(client, query):
    resp = client.get("/api/rates?" + query, headers=AUTH)
    assert resp.status_code == 400 and re.search(r"[\u4e00-\u9fff]{2}", resp.get_json()["error"]), query


@pytest.mark.parametrize("path", ["/api/tickets?statsu=closed", "/api/tickets?status=", "/api/tickets?limit=%20",
                                  "/api/rates?month=", "/api/rates?mont=2026-03", "/api/tickets/R1001?x=1"])
def test_unknown_or_empty_parameters_are_refused(client, refs, path):
    # A typo must not look like an unfiltered list.
    resp = client.get(path, headers=AUTH)
    assert resp.status_code == 400 and re.search(r"[\u4e00-\u9fff]{2}", resp.get_json()["error"]), path
