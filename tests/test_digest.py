"""育英社情, the monthly digest, over a seeded month: topics with their voices and trend, 每月一题
proposed → confirmed → its progress next month, the rates with red and black list, 好人好事 with
nobody's name or phone but a consenting member's, events; the page, the command, the WeChat draft."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli.main import main
from bot.cli.pdf import converter
from bot.config import CouncilMember
from bot.domain import gooddeeds
from bot.domain.public_scrub import scrub
from bot.domain.topics import Item, cluster
from bot.sandbox import state as sandbox_state
from bot.services.digest import build as digest_service
from bot.storage import db
from bot.storage.models import MonthlyProblem, Registration, Resident, Ticket
from tests import digest_fixture as fx
from tests.conftest import ROOT
from tests.workbench_helpers import COUNCIL_C3, STAFF, csrf_from, login, post_form

URL = f"/staff/digest/?month={fx.YEAR}-{fx.MONTH:02d}"
CONSENTING = "o-sample-c1-1"  # 王建国 agreed to be named; 李凤霞 (o-sample-c1-2) did not


@pytest.fixture
def config(config):
    members = tuple(replace(m, digest_consent=True) if m.openid == CONSENTING else m for m in config.members)
    return replace(config, members=members)


@pytest.fixture
def seeded(steward):
    with steward.session() as s:
        return fx.seed(s)


def private_words(steward) -> set[str]:
    """Every resident's name and phone, and the names of members who did not consent."""
    with steward.session() as s:
        words = {w for r in s.execute(select(Resident.name, Resident.phone)).all() for w in r if w}
        words |= {w for r in s.execute(select(Registration.name, Registration.phone)).all() for w in r if w}
    return words | {m.name for m in steward.config.members if not m.digest_consent}


def test_similar_reports_are_one_topic():
    at = datetime(2026, 10, 1)
    texts = ["3号楼楼道灯坏了", "楼道灯不亮了，我是王秀英，电话13912345678", "楼道的灯又坏了", "下水道堵了"]
    items = [Item(i, f"R{i}", t, "repair", "照明", "c3", "received", None, at) for i, t in enumerate(texts)]
    items.append(Item(9, "R9", "楼道灯坏了", "repair", "照明", "c5", "received", None, at))  # another courtyard
    topics = cluster(items, 0.25)
    assert [t.voices for t in topics] == [3, 1, 1]
    assert {i.ticket_id for i in topics[0].items} == {0, 1, 2}


def test_scrub_and_consent():
    out = scrub("我是王秀英，电话139 1234 5678，住3号楼2单元501，楼上孙阿姨和老李帮了忙", 100, names=["王秀英"])
    for gone in ("王秀英", "1234", "5678", "501", "孙阿姨", "老李"):
        assert gone not in out
    assert "楼上" in out and "帮了忙" in out
    members = (replace(fx_member("王建国"), digest_consent=True), fx_member("李凤霞"))
    deed = gooddeeds.recognise("谢谢李凤霞帮忙", members)
    assert deed is not None and deed.who == "一位理事会成员"
    assert "李凤霞" not in gooddeeds.printable("谢谢李凤霞帮忙", deed, members, [])
    assert gooddeeds.recognise("谢谢王建国会长", members).who == "理事会成员王建国"
    assert gooddeeds.recognise("谢谢", members) is None


def fx_member(name: str) -> CouncilMember:
    return CouncilMember(openid=f"o-{name}", name=name, courtyard="c1")


def test_digest_of_a_seeded_month(client, steward, seeded):
    assert seeded["tickets"] >= 250
    login(client, STAFF)
    resp = client.get(URL)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    community = html.split('id="yard-c1"')[0]
    # 社情民意: the lamp in 3号院 — twelve residents and two merged duplicates — is one topic of 14
    # voices, against 3 last month; the drain in 5号院 one of 8 against 10.
    rows = re.findall(r'<tr class="topic" data-voices="(\d+)"><td>\d+</td><td class="title">([^<]+)</td>', community)
    assert rows[0] == ("14", "楼道灯坏了") and int(rows[1][0]) == 8 and "下水道" in rows[1][1]
    assert "3（↑ 11）" in community and "10（↓ 2）" in community
    assert "本月居民反映 <b>196</b> 件事" in community
    # 每月一题: the most frequent unsolved topic is proposed, with the form to confirm it
    assert 'id="form-problem"' in html and "建议本月的“每月一题”：<strong>楼道灯坏了</strong>" in html
    # the rates, with the red and black list
    assert re.search(r'<tr class="total"><td>全社区</td><td>\d+\.\d%</td>', html)
    assert re.search(r'id="red-list"><h3>红榜</h3><ol><li>育英街\d+号院（综合 \d+\.\d%）', html)
    assert re.search(r'id="black-list"><h3>黑榜</h3><ol><li>育英街\d+号院', html)
    # 好人好事: the consenting member named, the other not, the neighbour and the resident anonymous
    assert "一位居民感谢理事会成员王建国" in html and "一位居民感谢一位理事会成员" in html
    assert "一位居民感谢一位邻居" in html and "某阿姨" in html and ">谢谢<" not in html
    # events held: attendance against capacity
    assert "重阳节包饺子" in html and "73.3%" in html
    for word in private_words(steward):
        assert word not in html, word
    assert "<script" not in html and "http" not in html.split("<body", 1)[1].replace(
        "http://www.w3.org/2000/svg", "")


def test_confirm_the_monthly_problem_and_report_its_progress(client, steward, seeded):
    login(client, STAFF)
    page = client.get(URL).get_data(as_text=True)
    key = re.search(r'name="topic" value="([^"]+)"', page).group(1)
    resp = post_form(client, URL, "/staff/digest/problem",
                     {"month": f"{fx.YEAR}-{fx.MONTH}", "topic": key, "title": "楼道灯坏了没人修", "note": "统一换声控灯"})
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "已确定每月一题：楼道灯坏了没人修" in page and 'id="form-problem"' not in page
    assert "关联 14 件工单：已解决 4 件，仍在办理 8 件" in page
    with steward.session() as s:
        problem = s.scalars(select(MonthlyProblem)).one()
        assert sorted(t.ticket_id for t in problem.tickets) == sorted(seeded["lamp"])
        for t in s.scalars(select(Ticket).where(Ticket.id.in_(seeded["lamp"]), Ticket.status != "closed")):
            t.status, t.close_reason = "closed", "resolved"
    # the next month's digest reports the progress
    page = client.get(f"/staff/digest/?month={fx.YEAR}-{fx.MONTH + 1:02d}").get_data(as_text=True)
    assert f"{fx.YEAR}-{fx.MONTH:02d} 每月一题：楼道灯坏了没人修" in page
    assert "关联 14 件工单：已解决 12 件，仍在办理 0 件；本月同类新诉求 0 件" in page
    # a second confirmation for the month is refused, clearly (the page has no form any more)
    resp = post_form(client, "/staff/calendar/", "/staff/digest/problem", {"month": f"{fx.YEAR}-{fx.MONTH}", "topic": key})
    assert "每月一题已经确定" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_bad_input_and_roles(client, seeded):
    login(client, STAFF)
    resp = client.get("/staff/digest/?month=2026-13")
    assert resp.status_code == 400 and "月份应写成 YYYY-MM" in resp.get_data(as_text=True)
    resp = post_form(client, URL, "/staff/digest/problem", {"month": f"{fx.YEAR}-{fx.MONTH}", "topic": "nope"})
    assert "找不到这个话题" in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert client.post("/staff/digest/problem", data={"month": "2026-10", "topic": "x"}).status_code == 400  # no CSRF
    assert client.post("/staff/digest/draft", data={"month": "2026-10",
                                                     "csrf_token": csrf_from(client, URL)}).status_code == 404
    client.post("/logout", data={"csrf_token": csrf_from(client, URL)})
    login(client, COUNCIL_C3)
    assert client.get(URL).status_code == 403


def test_command_writes_a_standalone_page(tmp_path, config, redis_url, steward, seeded, monkeypatch):
    out = tmp_path / "digest" / "2026-10.html"
    monkeypatch.setenv("STEWARD_CONFIG", str(ROOT / "config.example.toml"))
    env = {"STEWARD_DATABASE_URL": config.database_url, "STEWARD_REDIS_URL": redis_url}
    result = CliRunner().invoke(main, ["--config", str(ROOT / "config.example.toml"), "digest",
                                       "--month", f"{fx.YEAR}-{fx.MONTH:02d}", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "196 件诉求" in result.output
    html = out.read_text(encoding="utf-8")
    assert "<style>" in html and "@page { size: A4" in html and "楼道灯坏了" in html
    assert 'id="form-problem"' not in html and "/static/" not in html
    # a PDF where a converter is installed, else a note that it was skipped
    pdf = tmp_path / "digest" / "2026-10.pdf"
    result = CliRunner().invoke(main, ["--config", str(ROOT / "config.example.toml"), "digest",
                                       "--month", f"{fx.YEAR}-{fx.MONTH:02d}", "--out", str(pdf)], env=env)
    assert result.exit_code == 0, result.output
    if converter():
        pages, boxes = fx.pdf_layout(pdf.read_bytes())
        assert pdf.read_bytes().startswith(b"%PDF") and 11 <= pages <= 30 and boxes == {(595, 842)}
    else:
        assert "已跳过 PDF" in result.output and not pdf.exists()
    result = CliRunner().invoke(main, ["--config", str(ROOT / "config.example.toml"), "digest", "--month", "10月",
                                       "--out", str(out)], env=env)
    assert result.exit_code != 0 and "月份应写成 YYYY-MM" in result.output


class TestWeChatDraft:
    @pytest.fixture
    def overrides(self):
        return {"digest.wechat_draft": True, "digest.thumb_media_id": "sample-thumb-media-id"}

    def test_saved_as_a_draft_through_the_sandbox(self, client, steward, seeded, live_app):
        login(client, STAFF)
        resp = post_form(client, URL, "/staff/digest/draft", {"month": f"{fx.YEAR}-{fx.MONTH:02d}"})
        page = client.get(resp.headers["Location"]).get_data(as_text=True)
        assert "已保存为公众号草稿" in page, page
        (draft,) = sandbox_state.drafts(steward.redis)
        article = draft["articles"][0]
        assert article["title"] == f"育英社情·{fx.YEAR}年{fx.MONTH}月" and "楼道灯坏了" in article["content"]
        for word in private_words(steward):
            assert word not in article["content"]


def test_build_on_both_databases(any_db_url, config):
    with db.session_scope(any_db_url) as s:
        fx.seed(s)
    with db.session_scope(any_db_url) as s:
        d = digest_service.build(s, config, fx.YEAR, fx.MONTH)
    top = d.sections[0]
    assert (top.total, top.topics[0].voices, top.topics[0].last_month) == (196, 14, 3)
    assert [(e.title, e.registered, e.checked_in) for e in top.events] == [("3号院消防演练", 12, 0), ("重阳节包饺子", 26, 22)]
    assert d.proposal is not None and d.proposal.voices == 14 and d.red and d.black
    assert sorted(x.who for x in top.thanks) == ["一位理事会成员", "一位邻居", "理事会成员王建国"]
