"""Template pushes that fit WeChat's 2023 rules: typed category-template fields, no first/remark."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from bot.domain import templates, texts
from bot.domain.templates import compose, fit, summarise, violation
from bot.sandbox import state
from tests.fixtures_dispatch import *  # noqa: F403
from tests.test_sandbox import API, TPL, http, token  # noqa: F401

LONG = ("3号楼2单元楼道灯坏了好几天了，晚上黑乎乎的，老人下楼差点摔倒，"
        "麻烦尽快来修一下，另外门口的垃圾也没人清理\n谢谢🙏")


def _ticket(**kw):
    base = dict(ref="R1023", text=LONG, category="repair", subcategory="照明", courtyard_id="c3", urgent=False,
                accept_due_at=datetime(2026, 12, 1, 10, 30), status_label="已派单")
    return SimpleNamespace(**(base | kw))


def test_summarise_cuts_at_a_clause_boundary_and_says_there_is_more():
    out = summarise("3号楼2单元楼道灯坏了好几天了，晚上黑乎乎的，老人下楼差点摔倒", 20)
    assert out == "3号楼2单元楼道灯坏了好几天了…" and len(out) <= 20
    assert summarise("短句", 20) == "短句"
    assert len(summarise("一" * 50, 20)) == 20


def test_fit_by_type():
    assert fit("character_string3", "工单 R1023") == "R1023"
    assert fit("phrase5", "待听取（语音）") == "待听取语音"
    assert fit("time4", "2026-12-01T18:30") == "2026年12月1日 18:30"
    assert fit("time4", "请在 12月1日 18:30 前接单", now=datetime(2026, 11, 30)) == "2026年12月1日 18:30"
    assert "\n" not in fit("thing1", "第一行\n第二行") and "🙏" not in fit("thing1", "谢谢🙏")


@pytest.mark.parametrize("kind", sorted(templates.DEFAULT_FIELDS))
def test_every_kind_composes_a_valid_template(kind, config):
    t = _ticket()
    contents = [texts.task(config, t, "http://x/m")[0], texts.triage(config, t, "没有可派的成员" * 3)[0],
                texts.reminder(config, t, "accept", t.accept_due_at)[0],
                texts.escalation(config, t, "finish", t.accept_due_at, "王师傅")[0],
                texts.notice_dispatched(config, t, "王师傅")[0], texts.callback_question(config, t, LONG)[0],
                texts.alert(config, t, "推送失败：" + LONG)[0]]
    for content in contents:
        data = compose(kind, content, {})
        assert "first" not in data and "remark" not in data
        assert violation(data) is None, (kind, data)


def test_task_template_reads_well_for_the_member(config):
    data = compose("task", texts.task(config, _ticket(), "http://x/m")[0], config.dispatch.template_fields)
    assert data["character_string3"]["value"] == "R1023"
    # what is wrong and where, not the first 20 characters of the message
    assert data["thing1"]["value"].startswith("3号楼2单元楼道灯坏了") and len(data["thing1"]["value"]) <= 20
    assert data["thing2"]["value"] == "育英街3号院" and data["phrase5"]["value"] == "已派单"
    assert data["time4"]["value"] == "2026年12月1日 18:30"  # accept_due_at is UTC; Beijing is +8


def test_configured_first_and_remark_are_never_sent(config):
    data = compose("task", {"title": "新任务", "how": "回复接单", "ref": "R1"}, {"task": {
        "first": "title", "character_string1": "ref", "remark": "how"}})
    assert data == {"character_string1": {"value": "R1"}}


@pytest.mark.bad_templates
@pytest.mark.parametrize("data,field", [
    ({"thing1": {"value": "一" * 21}}, "data.thing1.value"),
    ({"thing1": {"value": "楼道灯坏了"}, "remark": {"value": "请回复接单"}}, "data.remark.value"),
    ({"first": {"value": "新任务"}}, "data.first.value"),
    ({"thing1": {"value": "两行\n文字"}}, "data.thing1.value"),
    ({"phrase2": {"value": "abc"}}, "data.phrase2.value"),
    ({"character_string2": {"value": "工单R1"}}, "data.character_string2.value"),
    ({"time3": {"value": "尽快"}}, "data.time3.value"),
], ids=["over-long", "remark", "first", "line-break", "phrase-ascii", "string-han", "time-words"])
def test_sandbox_refuses_what_wechat_refuses_with_47003_naming_the_field(http, token, redis_client, data, field):  # noqa: F811
    body = {"touser": "o_member_1", "template_id": TPL, "data": data}
    res = http.post(f"{API}/message/template/send?access_token={token}", json=body).get_json()
    assert res["errcode"] == 47003 and field in res["errmsg"]
    assert state.messages(redis_client, "o_member_1") == []
    assert state.rejected(redis_client)[-1]["field"] == field
    assert field in http.get("/sandbox/").get_data(as_text=True)  # the page says which field was refused


def test_a_dispatched_task_passes_the_rules_and_the_page_shows_it_as_received(steward_live, live):
    tid = new_ticket(steward_live, text=LONG)  # noqa: F405
    drain(steward_live)  # noqa: F405
    [task] = pushes_to(steward_live, C3_FIXER)  # noqa: F405
    assert task["kind"] == "template" and violation(task["data"]) is None
    assert set(task["data"]) == {"thing1", "thing2", "character_string3", "time4", "phrase5"}
    assert state.rejected(steward_live.redis) == []
    import requests

    page = requests.get(f"{live}/sandbox/?openid={C3_FIXER}", timeout=5).text  # noqa: F405
    assert "工单派发通知" in page and "详情" in page and task["data"]["thing1"]["value"] in page
    assert tid
