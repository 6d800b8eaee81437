"""Issue 21's acceptance: a walk over every route as community A finds nothing of community B.

Two communities (tests/test_communities.py's `two`), one of every row in each
(tests/isolation_walk_data.py). Every GET rule of `app.url_map` is requested as a staff account of
A, a council account of A and an API token of A, its path parameters filled with B's ids, refs
and keys (which must answer 403 / 404, never 200) and with A's (the control). No answer may hold
any of B's strings: exports are read as bytes, an xlsx unzipped and its XML searched. A new GET
route the walk does not know how to fill fails the walk until it is added to FILL or SKIPPED."""

from __future__ import annotations

import html
import io
import zipfile
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from flask import url_for
from sqlalchemy import select

from bot.services.community import users
from bot.storage.models import (
    CouncilMember,
    Event,
    FaqRow,
    Handoff,
    OutsidePartyRow,
    Push,
    Ticket,
    TicketEvent,
)
from bot.web import tokens
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import drain
from tests.isolation_walk_data import WORDS, Side, fill, secrets
from tests.test_communities import PASSWORD, two  # noqa: F401  (the fixture)
from tests.workbench_helpers import csrf_from, login

# GET rules not walked, and why.
SKIPPED = {
    "webhook.verify_url": "WeChat's webhook: answers only WeChat's signature, never a session (test_communities "
                          "checks each account's own webhook)",
    "sandbox.page": "the fake WeChat for development and tests, refused in production",
    "sandbox.wechat_api": "the fake WeChat for development and tests, refused in production",
    "sandbox.oauth_authorize": "the fake WeChat for development and tests, refused in production",
    "sandbox.faults": "the fake WeChat for development and tests, refused in production",
    "sandbox.list_messages": "the fake WeChat for development and tests, refused in production",
    "sandbox.oauth_access_token": "the fake WeChat for development and tests, refused in production",
    "sandbox.status": "the fake WeChat for development and tests, refused in production",
}

V = dict[str, Any]
Fill = Callable[[Side, Side], list[tuple[V, str | None]]]  # (url values and query, whose row: "a", "b", None)


def both(make: Callable[[Side], V]) -> Fill:
    return lambda a, b: [(make(a), "a"), (make(b), "b")]


def plain(*queries: V) -> Fill:
    return lambda a, b: [(q, None) for q in (queries or ({},))]


def courtyards(*extra: V) -> Fill:
    """A page with a courtyard filter: none, A's courtyard, and B's (refused or ignored, never shown)."""
    return lambda a, b: [({}, None), ({"courtyard": a.courtyard}, "a"), ({"courtyard": b.courtyard}, "b"),
                         *((q, None) for q in extra)]


FMT = ("csv", "xlsx")
FILL: dict[str, Fill] = {
    "index": plain(),
    "healthz": plain(),
    "readyz": plain(),
    "metrics.metrics": plain(),
    "static": plain({"filename": "workbench.css"}),
    "auth.login": plain(),
    "queues.index": lambda a, b: [({"tab": t}, None) for t in ("triage", "overdue", "open", "callback", "closed")]
    + [({"tab": "open", "courtyard": b.courtyard}, "b"), ({"tab": "open", "courtyard": a.courtyard}, "a")]
    + [({"tab": "search", "q": q}, "b") for q in b.words[:4] + [b.ref]]
    + [({"tab": "search", "q": a.ref}, "a")],
    "intake.form": courtyards(),
    "ticket.show": both(lambda s: {"ref": s.ref}),
    "ticket.media_file": lambda a, b: [({"ref": a.ref, "media_id": a.media_id}, "a"),
                                       ({"ref": b.ref, "media_id": b.media_id}, "b"),
                                       ({"ref": a.ref, "media_id": b.media_id}, "b")],
    "ledger.index": courtyards({"month": "2026-12"}),
    "ledger.export": lambda a, b: [({"fmt": f}, None) for f in FMT],
    "rates.index": courtyards(),
    "events_admin.index": plain(),
    "events_admin.roster": both(lambda s: {"event_id": s.event_id}),
    "events_admin.cancel": both(lambda s: {"event_id": s.event_id}),
    "events_admin.edit": lambda a, b: [({}, None), ({"event_id": a.event_id}, "a"), ({"event_id": b.event_id}, "b")],
    "events_admin.export": lambda a, b: [({"event_id": s.event_id, "fmt": f}, w) for s, w in ((a, "a"), (b, "b"))
                                         for f in FMT],
    "handoffs.index": plain(),
    "calendar.index": plain(),
    "digest.index": plain(),
    "health.index": plain(),
    "council_admin.council": courtyards(),
    "council_admin.member": both(lambda s: {"member_id": s.member_id}),
    "council_admin.invitation": lambda a, b: [({"member_id": a.member_id, "invitation_id": a.invitation_id}, "a"),
                                              ({"member_id": b.member_id, "invitation_id": b.invitation_id}, "b"),
                                              ({"member_id": a.member_id, "invitation_id": b.invitation_id}, "b")],
    "council_admin.courtyards": plain(),
    "council_admin.poster": both(lambda s: {"key": s.courtyard}),
    "reference_admin.faq": plain(),
    "reference_admin.outside": plain(),
    "staff_admin.index": plain(),
    "staff_admin.account": lambda a, b: [({"user_id": 1}, None), ({"user_id": 2}, None)],
    "audit.index": plain(),
    "erasure.form": plain(),
    "street.index": plain(),
    "public.index": lambda a, b: [({}, None), ({"community": "1"}, "a")],
    "api.list_tickets": lambda a, b: [({}, None), ({"courtyard": b.courtyard}, "b"), ({"courtyard": a.courtyard}, "a")],
    "api.get_ticket": both(lambda s: {"ref": s.ref}),
    "api.ticket_events": both(lambda s: {"ref": s.ref}),
    "api.rates": courtyards(),
    "api_docs.docs": plain(),
    "api_docs.openapi": plain(),
    "open311.discovery": plain(),
    "open311.services": lambda a, b: [({"fmt": f}, None) for f in ("json", "xml")],
    "open311.definition": lambda a, b: [({"code": "repair", "fmt": f}, None) for f in ("json", "xml")],
    "open311.list_requests": lambda a, b: [({"fmt": f, "jurisdiction_id": "1"}, "a") for f in ("json", "xml")]
    + [({"fmt": "json"}, None), ({"fmt": "json", "jurisdiction_id": "1", "service_request_id": b.ref}, "b")],
    "open311.one_request": lambda a, b: [({"ref": a.ref, "fmt": "json", "jurisdiction_id": "1"}, "a"),
                                         ({"ref": b.ref, "fmt": "json", "jurisdiction_id": "1"}, "b"),
                                         ({"ref": b.ref, "fmt": "xml"}, "b")],
    "open311.token": lambda a, b: [({"token": a.ref, "fmt": "xml", "jurisdiction_id": "1"}, "a"),
                                   ({"token": b.ref, "fmt": "json", "jurisdiction_id": "1"}, "b"),
                                   ({"token": b.ref, "fmt": "xml"}, "b")],
    # the member's page: the signed link is the member's own credential (the link of a B member
    # opens B's task for whoever holds it, as a WeChat message does); A's link is the control
    "council_pages.ticket_page": lambda a, b: [({"token": a.link}, "a"), ({"token": "forged-" + b.ref}, None)],
    "council_pages.media_file": lambda a, b: [({"token": a.link, "media_id": b.media_id}, "b"),
                                              ({"token": a.link, "media_id": a.media_id}, "a")],
    "wx_oauth.callback": plain({"code": "x", "state": "y"}),
}


# pages that filter a list: B's courtyard or ref as a filter may answer 200 (with nothing of B in it)
LISTS = ("queues.index", "ledger.index", "rates.index", "council_admin.council", "intake.form", "api.list_tickets",
         "api.rates", "open311.list_requests")


def _text(body: bytes) -> str:
    if body[:2] == b"PK":  # an xlsx: its XML parts, shared strings included
        with zipfile.ZipFile(io.BytesIO(body)) as z:
            return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return body.decode("utf-8", "replace")


@pytest.fixture
def walk(two, app, steward_live):  # noqa: F811
    a = fill(steward_live, Side(1, "1", "c3"), "a")
    b = fill(steward_live, Side(two["xid"], "xinhua", "x1"), "b")
    drain(steward_live)
    with steward_live.session() as s:
        users.add_user(s, "walk-staff", "甲员工", PASSWORD, "staff", None, community=1)
        users.add_user(s, "walk-council", "甲理事", PASSWORD, "council", "c3", community=1)
        users.add_user(s, "walk-b-staff", "乙员工", PASSWORD, "staff", None, community=two["xid"])
        token, _ = tokens.add(s, steward_live.config, "walk-a", role="write", community=1)
    hidden = secrets(steward_live, b, ["新华路社区", "纺织厂", "化肥厂", "wx1111xinhua", "TPL_XINHUA", "乙员工"])
    return {"a": a, "b": b, "token": token, "hidden": hidden, "xid": two["xid"]}


def _get_rules(app) -> dict[str, Any]:
    return {r.endpoint: r for r in app.url_map.iter_rules() if "GET" in (r.methods or ())}


def test_the_walk_knows_every_route(app):
    unknown = sorted(set(_get_rules(app)) - set(FILL) - set(SKIPPED))
    assert not unknown, f"new GET routes: fill them in FILL (or say in SKIPPED why not): {unknown}"
    assert not set(FILL) & set(SKIPPED)
    assert not set(FILL) - set(_get_rules(app)), "FILL names a route that is gone"


def _walk(app, client, walk, headers: dict[str, str] | None = None, api_key: str | None = None) -> list[str]:
    """Every GET rule with every filling, GET and HEAD; what was found of B (empty: nothing)."""
    found = []
    for endpoint in sorted(set(_get_rules(app)) - set(SKIPPED)):
        for values, whose in FILL[endpoint](walk["a"], walk["b"]):
            if api_key and endpoint.startswith("open311."):
                values = {**values, "api_key": api_key}
            with app.test_request_context():
                url = url_for(endpoint, **values)
            for method in ("GET", "HEAD"):
                resp = client.open(url, method=method, headers=headers or {})
                body = _text(resp.get_data())
                if "q" in values:  # the search box shows what was searched for
                    body = body.replace(f'name="q" value="{html.escape(str(values["q"]))}"', "")
                if resp.status_code != 200:  # an error or the login's `next` may say what was asked for
                    for v in values.values():
                        body = body.replace(str(v), "").replace(quote(str(v)), "")
                if resp.status_code >= 500:
                    found.append(f"{method} {url}: {resp.status_code}")
                if whose == "b" and resp.status_code == 200 and endpoint not in LISTS:
                    found.append(f"{method} {url}: 200 for B's row")
                found += [f"{method} {url} ({resp.status_code}) shows {s!r}" for s in walk["hidden"] if s in body]
    return found


def assert_nothing(found: list[str]) -> None:
    assert not found, "\n".join(found)


def test_a_staff_account_of_a_finds_nothing_of_b(app, walk):
    client = app.test_client()
    login(client, ("walk-staff", PASSWORD))
    assert walk["a"].words[0] in client.get(f"/staff/t/{walk['a'].ref}").get_data(as_text=True)  # the control
    assert_nothing(_walk(app, client, walk))


def test_a_council_account_of_a_finds_nothing_of_b(app, walk):
    client = app.test_client()
    login(client, ("walk-council", PASSWORD))
    assert walk["a"].ref in client.get("/staff/?tab=open").get_data(as_text=True)
    assert_nothing(_walk(app, client, walk))


def test_an_api_token_of_a_finds_nothing_of_b(app, walk):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {walk['token']}"}
    listed = client.get("/api/tickets", headers=headers).get_json()
    assert walk["a"].ref in {t["ref"] for t in listed["tickets"]}
    assert_nothing(_walk(app, client, walk, headers, walk["token"]))


def _state(steward, b: Side) -> tuple:
    """Everything of B a POST of A could change."""
    with steward.session() as s:
        t = s.get(Ticket, b.ticket_id)
        events = s.scalar(select(TicketEvent.id).where(TicketEvent.ticket_id == b.ticket_id)
                          .order_by(TicketEvent.id.desc()).limit(1))
        pushes = len(list(s.scalars(select(Push.id).where(Push.community_id == b.community))))
        member, event, handoff = s.get(CouncilMember, b.member_id), s.get(Event, b.event_id), s.get(Handoff, b.handoff_id)
        faq = s.get(FaqRow, b.faq_id)
        party = s.scalar(select(OutsidePartyRow.name).where(OutsidePartyRow.key == b.party))
        return (t.status, t.courtyard_id, t.category, t.assignee_openid, t.close_reason, t.urgent, t.published,
                t.public_summary, t.duplicate_of, t.referral, events, pushes, member.active, event.status,
                handoff.released_at, handoff.staff, faq is not None, party)


ACTIONS = [("note", {"note": "甲的备注"}), ("close", {"reason": "answered", "note": "甲关的"}),
           ("dispatch", {}), ("reassign", {"assignee": "o-sample-c3-1"}), ("move", {"courtyard": "c3"}),
           ("reclassify", {"category": "grievance"}), ("reply", {"text": "甲回复"}), ("reopen", {}),
           ("duplicate", {"original": "R1"}), ("publish", {}), ("summary", {"summary": "甲写的"}),
           ("phone_callback", {"solved": "yes"})]


def test_a_staff_account_of_a_cannot_act_on_b_s_ticket(app, walk, steward_live):
    client = app.test_client()
    login(client, ("walk-staff", PASSWORD))
    b = walk["b"]
    before = _state(steward_live, b)
    token = csrf_from(client, f"/staff/t/{walk['a'].ref}")
    for action, data in ACTIONS:
        resp = client.post(f"/staff/t/{b.ref}/{action}", data={**data, "csrf_token": token})
        assert resp.status_code in (403, 404), (action, resp.status_code)
    for path, data in ((f"/staff/t/{b.ref}/refer", {"party": b.party}),
                       (f"/staff/t/{b.ref}/referral_ref", {"outside_ref": "甲"}),
                       (f"/staff/events/{b.event_id}/cancel", {"reason": "甲取消"}),
                       (f"/staff/events/{b.event_id}/remind", {}),
                       (f"/staff/handoffs/{b.handoff_id}/release", {}),
                       (f"/staff/handoffs/{b.handoff_id}/reply", {"text": "甲回复"}),
                       (f"/admin/council/{b.member_id}/deactivate", {"confirm": "1"}),
                       (f"/admin/council/{b.member_id}", {"name": "甲改的", "courtyard": "c3", "role": "成员"}),
                       (f"/admin/faq/{b.faq_id}", {"patterns": "甲", "answer": "甲改的"}),
                       (f"/admin/outside/{b.party}", {"name": "甲改的"}),
                       (f"/admin/faq/{b.faq_id}/remove", {}),
                       (f"/admin/outside/{b.party}/remove", {}),
                       (f"/street/supervise/{b.ref}", {})):
        resp = client.post(path, data={**data, "csrf_token": token})
        # refused, or (the directory's forms) sent back to the page with the error
        assert resp.status_code in (302, 400, 403, 404), (path, resp.status_code)
    api = app.test_client().post(f"/api/tickets/{b.ref}/notes", json={"note": "甲的令牌"},
                                 headers={"Authorization": f"Bearer {walk['token']}"})
    assert api.status_code in (403, 404)
    drain(steward_live)
    assert _state(steward_live, b) == before
    # the B staff still sees all of it where it was
    own = app.test_client()
    login(own, ("walk-b-staff", PASSWORD))
    assert WORDS["b"]["guest"] in own.get(f"/staff/events/{b.event_id}").get_data(as_text=True)
    assert WORDS["b"]["faq"] in own.get("/admin/faq").get_data(as_text=True)
