"""The sandbox page names who received each push: a council member with courtyard and role, the
community's staff as 社区工作人员, everybody else as 居民."""

from __future__ import annotations

import re

from bot.sandbox import state


def test_people_are_labelled_by_who_they_are(client, config, redis_client):
    staff = config.staff_openids[0]
    for openid in (staff, "o-sample-c3-2", "o-some-resident"):
        state.record(redis_client, "custom", openid, msgtype="text", text="测试消息")
    page = client.get("/sandbox/").get_data(as_text=True)
    labels = dict((openid, label) for label, openid in
                  re.findall(r'<h2><a href="[^"]*">([^<]*)</a> <span class="muted">([^<]*)</span>', page))
    assert labels[staff] == "社区工作人员"
    assert labels["o-sample-c3-2"] == "陈卫东（育英街3号院 成员）"
    assert labels["o-some-resident"] == "居民"
