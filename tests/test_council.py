"""Council actions: who may act, what each verb does, the signed mobile action page."""

from __future__ import annotations

import re

from bot.services.casework.council import apply_council_command, attach_finish_photo
from bot.services.media import store as media_store
from bot.services.push.links import action_link, make_token
from bot.storage.models import Media
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import (
    C3_BACKUP,
    C3_FIXER,
    RESIDENT,
    drain,
    events_of,
    new_ticket,
    pushes_to,
    ticket_of,
)
from tests.oauth_helpers import open_as


def say(st, openid, verb, ref, note=""):
    with st.session() as s:
        return apply_council_command(s, st.config, openid, verb, ref, note)


def test_only_the_tickets_council_may_act(steward_live):
    st = steward_live
    tid = new_ticket(st)
    drain(st)
    ref = ticket_of(st, tid).ref
    out = say(st, "o-sample-c5-2", "accept", ref)  # a c5 member
    assert not out.ok and "不归育英街5号院理事会" in out.message
    out = say(st, RESIDENT, "accept", ref)
    assert not out.ok and "理事会成员" in out.message
    assert not say(st, C3_FIXER, "accept", "R9999").ok
    assert ticket_of(st, tid).status == "dispatched"
    # any member of the c3 council may take it; they become the assignee
    out = say(st, C3_BACKUP, "accept", ref.lower())
    assert out.ok and ticket_of(st, tid).assignee_openid == C3_BACKUP
    assert not say(st, C3_FIXER, "accept", ref).ok  # already taken by someone else


def test_return_needs_a_reason_and_goes_to_triage(steward_live):
    st = steward_live
    tid = new_ticket(st)
    drain(st)
    ref = ticket_of(st, tid).ref
    out = say(st, C3_FIXER, "return", ref, "")
    assert not out.ok and "原因" in out.message
    out = say(st, C3_FIXER, "return", ref, "这是物业的事")
    assert out.ok
    drain(st)
    t = ticket_of(st, tid)
    assert t.status == "triage" and t.assignee_openid is None
    assert events_of(st, tid)[-1] == "returned"
    for staff in st.config.staff_openids:
        assert any("这是物业的事" in str(m) for m in pushes_to(st, staff))
    # staff re-dispatch skips the member who returned it
    from bot.services.dispatch.assign import request_dispatch

    with st.session() as s:
        from bot.storage.models import Ticket

        request_dispatch(s, st.config, s.get(Ticket, tid), actor="liu")
    drain(st)
    t = ticket_of(st, tid)
    assert t.status == "dispatched" and t.assignee_openid == C3_BACKUP


def test_progress_and_finish_notify_the_resident(steward_live):
    st = steward_live
    tid = new_ticket(st)
    drain(st)
    ref = ticket_of(st, tid).ref
    assert not say(st, C3_FIXER, "progress", ref, "").ok
    assert say(st, C3_FIXER, "progress", ref, "已联系电工，明天上午来").ok  # implies 接单
    drain(st)
    assert ticket_of(st, tid).status == "accepted"
    assert any("已联系电工" in str(m) for m in pushes_to(st, RESIDENT))
    assert say(st, C3_FIXER, "finish", ref, "已更换灯泡").ok
    drain(st)
    assert ticket_of(st, tid).status == "awaiting_callback"
    assert events_of(st, tid) == ["received", "dispatched", "accepted", "progress", "finished"]
    assert not say(st, C3_FIXER, "finish", ref, "again").ok


def test_photo_after_finish_is_attached_and_downloaded(steward_live, tmp_path):
    st = steward_live
    tid = new_ticket(st)
    drain(st)
    ref = ticket_of(st, tid).ref
    say(st, C3_FIXER, "finish", ref, "已更换灯泡")
    with st.session() as s:
        out = attach_finish_photo(s, st.config, C3_FIXER, "photo-media-1")
        assert out is not None and out.ref == ref
        assert attach_finish_photo(s, st.config, "o-sample-c5-2", "x") is None
    drain(st)
    with st.session() as s:
        media = s.query(Media).filter_by(ticket_id=tid).one()
        assert media.status == "stored"
        assert media_store.get(s, st.config, media.id)[0].startswith(b"\x89PNG")
    assert "photo_attached" in events_of(st, tid)


def test_mobile_action_page_accepts_with_signed_forms(steward_live, client):
    st = steward_live
    tid = new_ticket(st)
    drain(st)
    t = ticket_of(st, tid)
    link = action_link(st.config, tid, C3_FIXER)
    assert C3_FIXER not in link
    path = link.removeprefix(st.config.public_url)
    page = open_as(client, path, C3_FIXER)  # web authorisation: the page acts for the member WeChat vouches for
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert t.ref in html and "接单" in html and "育英街3号院" in html
    form = html.split('value="accept"')[1]
    form_token = re.search(r'name="form_token" value="([^"]+)"', form).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', form).group(1)
    # a forged or replayed-for-another-verb form is refused
    assert client.post(path, data={"verb": "finish", "form_token": form_token, "csrf_token": csrf}).status_code == 400
    resp = client.post(path, data={"verb": "accept", "form_token": form_token, "csrf_token": csrf})
    assert resp.status_code == 303
    assert ticket_of(st, tid).status == "accepted"
    assert "已接单" in client.get(path).get_data(as_text=True)
    assert client.get("/m/ticket/not-a-token").status_code == 404
    other = make_token(st.config, tid, "o-not-a-member")
    assert client.get(f"/m/ticket/{other}").status_code == 404
