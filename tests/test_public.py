"""The public board: this month's tickets per courtyard, scrubbed; grievances only when published."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.clock import utcnow
from bot.web.public import scrub
from tests.workbench_helpers import make_ticket


@pytest.mark.parametrize(
    "text, gone, kept",
    [
        ("电话13812345678灯坏了", "13812345678", "灯坏了"),
        ("打 138 1234 5678 找我", "1234", "找我"),
        ("座机0371-65551234", "65551234", "座机"),
        ("3号楼2单元501室漏水", "501", "漏水"),
        ("五栋三单元门口", "五栋", "门口"),
        ("我叫王建国，家里停电", "王建国", "停电"),
        ("oAbCdEfGhIjKlMnOpQr 留言", "oAbCdEfGhIjKlMnOpQr", "留言"),
        ("3号院的路灯", "", "3号院"),  # the courtyard is public
    ],
)
def test_scrub(text, gone, kept):
    out = scrub(text, limit=100)
    if gone:
        assert gone not in out
    assert kept in out


def test_board(client, steward):
    with steward.session() as s:
        make_ticket(s, text="路灯坏了，我在2单元302", courtyard="c3", status="closed", close_reason="resolved")
        make_ticket(s, text="楼上装修太吵", category="grievance", courtyard="c3")
        make_ticket(s, text="邻居占用楼道堆杂物", category="grievance", courtyard="c3", published=True)
        make_ticket(s, text="上个月的事", courtyard="c3", created_at=utcnow().replace(day=1) - timedelta(days=3))
    html = client.get("/public/").get_data(as_text=True)
    assert "育英街3号院" in html and "路灯坏了" in html and "已解决" in html
    assert "302" not in html
    assert "装修太吵" not in html and "另有 1 件投诉类事项" in html
    assert "邻居占用楼道堆杂物" in html
    assert "上个月的事" not in html
    assert "响应率" in html and "满意率" in html


def test_board_one_courtyard_and_no_login(client, steward):
    with steward.session() as s:
        make_ticket(s, text="五号院的灯", courtyard="c5")
        make_ticket(s, text="三号院的灯", courtyard="c3")
    html = client.get("/public/?courtyard=c5").get_data(as_text=True)
    assert "五号院的灯" in html and "三号院的灯" not in html
