"""The member's task page through WeChat's web authorisation (snsapi_base): a forwarded link, one
opened outside WeChat or as another openid shows nothing personal and can do nothing."""

from __future__ import annotations

import re

from bot.sandbox import state
from bot.services.push.links import action_link
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import C3_BACKUP, C3_FIXER, drain, new_ticket, ticket_of
from tests.oauth_helpers import open_as
from tests.workbench_helpers import csrf_from

WORDS = "3号楼2单元楼道灯坏了，晚上黑乎乎的，电话13800001234"


def _link(st, tid):
    """The link as sent in the task message (made once: a token made later differs, it is timed)."""
    return action_link(st.config, tid, C3_FIXER).removeprefix(st.config.public_url)


def _nothing_personal(html: str, st, t) -> None:
    member = st.config.member(C3_FIXER)
    for secret in (member.name, "13800001234", "楼道灯", t.ref, "接单", 'name="form_token"'):
        assert secret not in html, secret


def test_the_member_himself_sees_the_task_and_can_accept(steward_live, client):
    st = steward_live
    tid = new_ticket(st, text=WORDS)
    drain(st)
    link = _link(st, tid)
    page = open_as(client, link, C3_FIXER)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "楼道灯" in html and 'value="accept"' in html
    form = html.split('value="accept"')[1]
    token = re.search(r'name="form_token" value="([^"]+)"', form).group(1)
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', form).group(1)
    resp = client.post(link, data={"verb": "accept", "form_token": token, "csrf_token": csrf})
    assert resp.status_code == 303, resp.get_data(as_text=True)
    assert ticket_of(st, tid).status == "accepted"


def test_forwarded_to_another_openid_shows_nothing_and_cannot_act(steward_live, client, app):
    st = steward_live
    tid = new_ticket(st, text=WORDS)
    drain(st)
    link = _link(st, tid)
    t = ticket_of(st, tid)
    # The member opens it (and so has a form) …
    mine = app.test_client()
    html = open_as(mine, link, C3_FIXER).get_data(as_text=True)
    form = html.split('value="accept"')[1]
    token = re.search(r'name="form_token" value="([^"]+)"', form).group(1)
    # … and forwards it: the neighbour's WeChat vouches for the neighbour.
    page = open_as(client, link, C3_BACKUP)
    assert page.status_code == 403
    _nothing_personal(page.get_data(as_text=True), st, t)
    csrf = csrf_from(client, "/login")  # a valid CSRF token of the neighbour's own session
    stolen = client.post(link, data={"verb": "accept", "form_token": token, "csrf_token": csrf})
    assert stolen.status_code == 403 and ticket_of(st, tid).status == "dispatched"


def test_opened_outside_wechat_shows_nothing_and_cannot_act(steward_live, client):
    st = steward_live
    tid = new_ticket(st, text=WORDS)
    drain(st)
    link = _link(st, tid)
    t = ticket_of(st, tid)
    page = open_as(client, link, None)  # no authorisation
    assert page.status_code == 403
    _nothing_personal(page.get_data(as_text=True), st, t)
    csrf = csrf_from(client, "/login")
    assert client.post(link, data={"verb": "finish", "note": "x", "csrf_token": csrf}).status_code == 403
    assert ticket_of(st, tid).status == "dispatched"


def test_a_code_works_once_and_a_forged_state_is_refused(steward_live, client, live):
    import requests

    st = steward_live
    cfg = st.config.wechat
    q = {"appid": cfg.app_id, "secret": cfg.app_secret, "grant_type": "authorization_code"}
    st.redis.set(state.P + "oauth:c1", C3_FIXER, ex=60)
    first = requests.get(f"{live}/sandbox/sns/oauth2/access_token", params=q | {"code": "c1"}, timeout=5).json()
    again = requests.get(f"{live}/sandbox/sns/oauth2/access_token", params=q | {"code": "c1"}, timeout=5).json()
    assert first["openid"] == C3_FIXER and again["errcode"] == 40029
    tid = new_ticket(st)
    client.get(_link(st, tid))  # starts authorisation: a state is remembered in the session
    forged = client.get("/m/oauth?code=whatever&state=not-ours")
    assert forged.status_code == 302 and "auth=failed" in forged.headers["Location"]
