"""Issue 21: two communities on one deployment, each on its own official account.

Messages to each webhook open tickets in the right community; the tasks go out with that
community's access token and template ids (the sandbox binds a token to its app, as WeChat does);
staff, council accounts and API tokens of one community see nothing of the other; a street
account sees both and ranks them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.config.fragment import FragmentError, parse
from bot.services.community import tenants, users
from bot.services.community.members import DirectoryError
from bot.services.community.sync import sync_from_config
from bot.services.uow.steward import Steward
from bot.storage.models import Community, Resident, Ticket
from bot.web import tokens
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import drain, pushes_to
from tests.wechat_client import WeChatTestClient
from tests.workbench_helpers import login

XINHUA = """
[wechat]
token = "xinhua-token-for-tests"
app_id = "wx1111xinhua"
app_secret = "xinhua-app-secret-for-tests"
original_id = "gh_xinhua_road"

[templates]
task = "TPL_XINHUA_TASK"
reminder = "TPL_XINHUA_REMINDER"
escalation = "TPL_XINHUA_ESCALATION"
notice = "TPL_XINHUA_NOTICE"
callback = "TPL_XINHUA_CALLBACK"
event_reminder = "TPL_XINHUA_EVENT"

[[courtyards]]
id = "x1"
name = "新华路1号院"
aliases = ["纺织厂家属院", "纺织厂院"]

[[courtyards]]
id = "x2"
name = "新华路2号院"
aliases = ["化肥厂家属院"]

[[members]]
name = "赵建设"
courtyard = "x1"
openid = "o-xinhua-x1-chair"
role = "会长"
"""
YUYING_RESIDENT, XINHUA_RESIDENT = "o-yuying-resident-0001", "o-xinhua-resident-0001"
C3_CHAIR, X1_CHAIR = "o-sample-c3-1", "o-xinhua-x1-chair"
PASSWORD = "a-long-test-password-21"


def add_xinhua(steward: Steward) -> int:
    sync_from_config(steward)  # the deployment's own community first, as `steward community add` does
    with steward.session() as s:
        return tenants.add(s, "xinhua", "新华路社区", parse(XINHUA)).id


@pytest.fixture
def two(steward_live: Steward, app) -> dict:
    """Both communities, a ticket each through its own webhook, the dispatch jobs run."""
    xid = add_xinhua(steward_live)
    xinhua_cfg = steward_live.for_community(xid).config
    yuying = WeChatTestClient(app.test_client(), steward_live.config)
    xinhua = WeChatTestClient(app.test_client(), xinhua_cfg, "/wechat/xinhua")
    r1 = yuying.text(YUYING_RESIDENT, "3号院2号楼2单元楼道灯坏了，晚上黑乎乎的")
    r2 = xinhua.text(XINHUA_RESIDENT, "俺是纺织厂家属院嘞，5号楼楼道灯坏了好几天了")
    drain(steward_live)
    with steward_live.session() as s:
        mine = {t.resident_openid: t for t in s.scalars(select(Ticket))}
    return {"xid": xid, "yuying": yuying, "xinhua": xinhua, "replies": (r1, r2), "tickets": mine,
            "xinhua_cfg": xinhua_cfg}


def test_each_webhook_opens_tickets_in_its_own_community(two, steward_live):
    r1, r2 = two["replies"]
    assert r1.status == r2.status == 200
    y, x = two["tickets"][YUYING_RESIDENT], two["tickets"][XINHUA_RESIDENT]
    assert (y.community_id, y.courtyard_id) == (1, "c3")
    assert (x.community_id, x.courtyard_id) == (two["xid"], "x1")
    assert x.ref in r2.text and y.ref in r1.text
    with steward_live.session() as s:
        resident = s.scalars(select(Resident).where(Resident.openid == XINHUA_RESIDENT)).one()
        assert resident.community_id == two["xid"]


def test_tasks_go_out_with_each_community_s_account_and_templates(two, steward_live):
    xinhua_task = [m for m in pushes_to(steward_live, X1_CHAIR) if m["kind"] == "template"]
    yuying_task = [m for m in pushes_to(steward_live, two["tickets"][YUYING_RESIDENT].assignee_openid)
                   if m["kind"] == "template"]
    assert xinhua_task and yuying_task
    assert {m["appid"] for m in xinhua_task} == {"wx1111xinhua"}
    assert xinhua_task[0]["template_id"] == "TPL_XINHUA_TASK"
    assert {m["appid"] for m in yuying_task} == {steward_live.config.wechat.app_id}
    assert yuying_task[0]["template_id"] == steward_live.config.templates.task
    # the resident's confirmation of the dispatch came from the same account as his own message
    told = [m for m in pushes_to(steward_live, XINHUA_RESIDENT)]
    assert told and {m["appid"] for m in told} == {"wx1111xinhua"}


def test_a_message_signed_for_one_account_is_refused_at_the_other(two, app, steward_live):
    wrong = WeChatTestClient(app.test_client(), steward_live.config, "/wechat/xinhua")
    assert wrong.text("o-someone-0001", "楼道灯坏了").status == 403
    assert app.test_client().post("/wechat/nowhere").status_code == 404
    with steward_live.session() as s:
        assert s.scalar(select(Ticket.id).where(Ticket.resident_openid == "o-someone-0001")) is None


def _account(steward: Steward, username: str, role: str, community: int | None, courtyard: str | None = None):
    with steward.session() as s:
        users.add_user(s, username, username, PASSWORD, role, courtyard, community=community)
    return (username, PASSWORD)


def test_staff_see_only_their_own_community(two, app, steward_live):
    x, y = two["tickets"][XINHUA_RESIDENT], two["tickets"][YUYING_RESIDENT]
    yuying_staff = app.test_client()
    login(yuying_staff, _account(steward_live, "yy-staff", "staff", 1))
    page = yuying_staff.get("/staff/?tab=open").get_data(as_text=True)
    assert y.ref in page and x.ref not in page and "新华路" not in page
    assert yuying_staff.get(f"/staff/t/{x.ref}").status_code == 404
    xinhua_staff = app.test_client()
    login(xinhua_staff, _account(steward_live, "xh-staff", "staff", two["xid"]))
    page = xinhua_staff.get("/staff/?tab=open").get_data(as_text=True)
    assert x.ref in page and y.ref not in page and "新华路社区" in page
    council = app.test_client()
    login(council, _account(steward_live, "xh-x1", "council", two["xid"], "x1"))
    assert x.ref in council.get("/staff/?tab=open").get_data(as_text=True)
    assert council.get(f"/staff/t/{y.ref}").status_code in (403, 404)


def test_api_tokens_of_one_community_see_nothing_of_the_other(two, app, steward_live):
    x, y = two["tickets"][XINHUA_RESIDENT], two["tickets"][YUYING_RESIDENT]
    with steward_live.session() as s:
        value, _ = tokens.add(s, steward_live.config, "xinhua-read", community=two["xid"])
    client = app.test_client()
    listed = client.get("/api/tickets", headers={"Authorization": f"Bearer {value}"})
    assert listed.status_code == 200
    refs = {t["ref"] for t in listed.get_json()["tickets"]}
    assert x.ref in refs and y.ref not in refs
    assert client.get(f"/api/tickets/{y.ref}", headers={"Authorization": f"Bearer {value}"}).status_code == 404
    with steward_live.session() as s:
        with pytest.raises(tokens.TokenError):
            tokens.add(s, steward_live.config, "bad", courtyard="c3", community=two["xid"])


def test_a_street_account_sees_both_communities_and_ranks_them(two, app, steward_live):
    x, y = two["tickets"][XINHUA_RESIDENT], two["tickets"][YUYING_RESIDENT]
    street = app.test_client()
    login(street, _account(steward_live, "street-1", "street", None))
    page = street.get("/street/").get_data(as_text=True)
    assert "新华路社区" in page and steward_live.config.community in page
    assert 'id="community-xinhua"' in page and 'id="community-1"' in page
    # every community's queue: the street's own view holds both tickets
    everything = street.get("/staff/?tab=open").get_data(as_text=True)
    assert x.ref in everything and y.ref in everything
    # looking at one community: its pages only
    from tests.workbench_helpers import csrf_from
    street.post("/street/view", data={"community": "xinhua", "csrf_token": csrf_from(street, "/street/")})
    only = street.get("/staff/?tab=open").get_data(as_text=True)
    assert x.ref in only and y.ref not in only
    # a staff account cannot open the street page
    staff = app.test_client()
    login(staff, _account(steward_live, "yy-staff2", "staff", 1))
    assert staff.get("/street/").status_code == 403


def test_street_supervision_reaches_the_member_on_his_own_account(two, app, steward_live):
    x = two["tickets"][XINHUA_RESIDENT]
    from bot.domain import clock
    from tests.workbench_helpers import csrf_from
    clock.shift(60 * 3600)  # past the accept deadline
    street = app.test_client()
    login(street, _account(steward_live, "street-2", "street", None))
    page = street.get("/street/").get_data(as_text=True)
    assert x.ref in page  # overdue, listed for 督办
    before = len(pushes_to(steward_live, X1_CHAIR))
    resp = street.post(f"/street/supervise/{x.ref}", data={"csrf_token": csrf_from(street, "/street/")})
    assert resp.status_code == 302
    drain(steward_live)
    new = pushes_to(steward_live, X1_CHAIR)[before:]
    assert any(m["appid"] == "wx1111xinhua" and m["template_id"] == "TPL_XINHUA_ESCALATION" for m in new), new


def test_community_add_refuses_what_would_collide(steward_live):
    add_xinhua(steward_live)
    with steward_live.session() as s, pytest.raises(DirectoryError, match="已经有了"):
        tenants.add(s, "xinhua", "再来一个", parse(XINHUA))
    clash = XINHUA.replace('id = "x1"', 'id = "c3"').replace('courtyard = "x1"', 'courtyard = "c3"')
    with steward_live.session() as s, pytest.raises(DirectoryError, match="c3 已属于"):
        tenants.add(s, "other", "别的社区", parse(clash.replace("wx1111xinhua", "wx2222other")
                                                  .replace("gh_xinhua_road", "gh_other")))
    with steward_live.session() as s, pytest.raises(DirectoryError, match="已由"):
        tenants.add(s, "third", "第三社区", parse(XINHUA.replace('"x1"', '"t1"').replace('"x2"', '"t2"')))
    with pytest.raises(FragmentError, match="courtyards"):
        parse("[wechat]\ntoken = 'x'\napp_id = 'y'\napp_secret = 'z'\n")
    with pytest.raises(FragmentError):
        parse("[[courtyards]]\nid = 'q1'\nname = '某院'\ncolour = 'red'\n")
    with steward_live.session() as s:
        assert [c.key for c in s.scalars(select(Community).order_by(Community.id))] == ["1", "xinhua"]
        listed = {line.key: line for line in tenants.list_all(s)}
    assert listed["xinhua"].account == "wx1111xinhua" and listed["xinhua"].courtyards == 2
    assert json.dumps([line.to_dict() for line in listed.values()], ensure_ascii=False)


def test_the_member_works_the_task_through_his_own_community_s_account(two, steward_live):
    x = two["tickets"][XINHUA_RESIDENT]
    reply = two["xinhua"].text(X1_CHAIR, f"{x.ref} 接单")
    drain(steward_live)
    with steward_live.session() as s:
        assert s.get(Ticket, x.id).status == "accepted", reply.text
    told = pushes_to(steward_live, XINHUA_RESIDENT)
    assert any("接" in json.dumps(m, ensure_ascii=False) for m in told)
    assert {m["appid"] for m in told} == {"wx1111xinhua"}
    link = next(m["url"] for m in pushes_to(steward_live, X1_CHAIR) if m.get("url"))
    from bot.services.push import links
    assert links.community_of(steward_live.file_config, link.rsplit("/", 1)[-1]) == two["xid"]


def test_the_command_line_adds_lists_and_publishes_a_community_s_menu(steward_live, live, config, redis_url, tmp_path,
                                                                        monkeypatch):
    from click.testing import CliRunner

    from bot.cli.main import main
    from tests.conftest import ROOT

    example = ROOT / "config.example.toml"
    monkeypatch.setenv("STEWARD_CONFIG", str(example))
    env = {"STEWARD_WECHAT_API_BASE_URL": f"{live}/sandbox/cgi-bin", "STEWARD_REDIS_URL": redis_url,
           "STEWARD_DATABASE_URL": config.database_url}
    fragment = tmp_path / "xinhua.toml"
    fragment.write_text(XINHUA, encoding="utf-8")
    run = CliRunner().invoke
    added = run(main, ["community", "add", "xinhua", "--name", "新华路社区", "--from", str(fragment), "--json"], env=env)
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["webhook"].endswith("/wechat/xinhua")
    again = run(main, ["community", "add", "xinhua", "--name", "新华路社区", "--from", str(fragment)], env=env)
    assert again.exit_code == 1 and "已经有了" in again.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[[courtyards]]\nid = 'q1'\n", encoding="utf-8")
    refused = run(main, ["community", "add", "other", "--name", "别的", "--from", str(bad)], env=env)
    assert refused.exit_code == 1 and "name" in refused.output
    listed = json.loads(run(main, ["community", "list", "--json"], env=env).output)
    assert [(c["key"], c["account"]) for c in listed][1] == ("xinhua", "wx1111xinhua")
    pushed = run(main, ["menu", "push", "--community", "xinhua"], env=env)
    assert pushed.exit_code == 0 and "wx1111xinhua" in pushed.output, pushed.output
    unknown = run(main, ["user", "add", "someone", "--name", "某人", "--community", "nowhere"], env=env,
                  input="a-long-password-1\na-long-password-1\n")
    assert unknown.exit_code == 1 and "没有编号为 nowhere 的社区" in unknown.output


SHARED = """
[[courtyards]]
id = "h1"
name = "和平里1号院"
aliases = ["机床厂家属院"]

[[members]]
name = "孙秀英"
courtyard = "h1"
openid = "o-heping-h1-chair"
role = "会长"
"""


def test_a_community_sharing_the_account_is_told_by_the_poster_scanned_then_by_the_resident(two, steward_live):
    with steward_live.session() as s:
        hid = tenants.add(s, "heping", "和平里社区", parse(SHARED)).id
    newcomer = "o-heping-newcomer-0001"
    two["yuying"].event(newcomer, "subscribe", "qrscene_h1")  # the h1 courtyard poster, on the shared account
    two["yuying"].text(newcomer, "楼道灯坏了，晚上看不见")
    drain(steward_live)
    with steward_live.session() as s:
        ticket = s.scalars(select(Ticket).where(Ticket.resident_openid == newcomer)).one()
        resident = s.scalars(select(Resident).where(Resident.openid == newcomer)).one()
    assert (ticket.community_id, ticket.courtyard_id, resident.community_id) == (hid, "h1", hid)
    task = [m for m in pushes_to(steward_live, "o-heping-h1-chair") if m["kind"] == "template"]
    assert task and task[0]["appid"] == steward_live.config.wechat.app_id  # the shared account
    # the deployment's own residents are not moved by it
    two["yuying"].text(YUYING_RESIDENT, "R1001 怎么样了")
    with steward_live.session() as s:
        assert s.scalar(select(Resident.community_id).where(Resident.openid == YUYING_RESIDENT)) == 1

def test_the_sweep_keeps_each_community_s_own_rates_warm(two, steward_live):
    """Each community's rates are cached apart (its staff's rates page, the street page's overview):
    the sweep computes them too, so no page view does."""
    from bot.domain.clock import utcnow
    from bot.services import sweep
    from bot.services.rates import cache, month_of
    from bot.services.rates.definitions import fingerprint
    ym = month_of(utcnow())
    keys = {cid: cache._key(f"{fingerprint(steward_live.for_community(cid).config)}-c{cid}", ym)
            for cid in (1, two["xid"])}
    steward_live.redis.delete(*keys.values())
    sweep.refresh_rates(steward_live)
    for cid, key in keys.items():
        cached = steward_live.redis.get(key)
        assert cached, cid
        scoped = steward_live.for_community(cid)
        with scoped.session() as s:  # what the community's own session computes, nothing cached
            fresh = cache.months_rates(s, scoped.config, [ym], force=True)[ym]
        assert json.loads(cached) == {k: v.to_dict() for k, v in fresh.items()}, cid


def test_a_street_account_acting_on_a_ticket_acts_as_its_community(two, app, steward_live):
    """Seen from the whole street, a reply to the resident of a second community's ticket goes out
    on that community's account (its directory and template ids, not the deployment's)."""
    from tests.workbench_helpers import csrf_from

    x = two["tickets"][XINHUA_RESIDENT]
    street = app.test_client()
    login(street, _account(steward_live, "street-3", "street", None))
    page = f"/staff/t/{x.ref}"
    assert street.get(page).status_code == 200
    before = len(pushes_to(steward_live, XINHUA_RESIDENT))
    resp = street.post(f"{page}/reply", data={"text": "师傅明天上午去看，请家里留人。", "csrf_token": csrf_from(street, page)})
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:300]
    drain(steward_live)
    sent = pushes_to(steward_live, XINHUA_RESIDENT)[before:]
    assert sent and {m["appid"] for m in sent} == {"wx1111xinhua"}, sent
