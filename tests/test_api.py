"""The JSON API: bearer tokens, ticket listing with filters and cursor, events, rates, OpenAPI."""

from __future__ import annotations

from datetime import datetime as dt

import pytest

from bot.services import tickets
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
    # The API is read-only; a POST is simply not allowed (405), not a CSRF failure (400).
    assert client.post("/api/tickets", headers=AUTH).status_code == 405
