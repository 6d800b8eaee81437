"""The ledger: rows for a month and courtyard, overdue flags, and the .xlsx / .csv exports."""

from __future__ import annotations

import io
from datetime import datetime as dt

import openpyxl

from bot.web import ledger
from tests.workbench_helpers import COUNCIL_C3, login, make_ticket

NOW = dt(2026, 11, 26)


def _seed(s):
    make_ticket(s, text="门口路灯坏了三天了", courtyard="c3", created_at=dt(2026, 3, 2, 1), subcategory="照明",
                assignee_name="陈卫东", accept_due_at=dt(2026, 3, 3, 1), finish_due_at=dt(2026, 3, 9, 10),
                accepted_at=dt(2026, 3, 2, 5), finished_at=dt(2026, 3, 4), closed_at=dt(2026, 3, 5),
                status="closed", close_reason="resolved", rating=5)
    make_ticket(s, text="下水道堵了", courtyard="c3", created_at=dt(2026, 3, 10), status="dispatched",
                assignee_name="杨翠花", accept_due_at=dt(2026, 3, 11))
    make_ticket(s, text="楼顶漏水", courtyard="c3", created_at=dt(2026, 3, 12), status="closed",
                close_reason="not_responsible", referral="市房管局")
    make_ticket(s, text="别的院", courtyard="c5", created_at=dt(2026, 3, 12))
    make_ticket(s, text="上个月的", courtyard="c3", created_at=dt(2026, 2, 27))
    make_ticket(s, text="三月一日北京时间零点后", courtyard="c3", created_at=dt(2026, 2, 28, 16, 30))


def test_rows(steward, config):
    with steward.session() as s:
        _seed(s)
        rows = ledger.rows(s, config, 2026, 3, "c3")
    assert [r.summary for r in rows] == ["三月一日北京时间零点后", "门口路灯坏了三天了", "下水道堵了", "楼顶漏水"]
    first = rows[1]
    assert first.category == "报修·照明" and first.responsible == "陈卫东" and first.outcome == "已解决"
    assert first.rating == 5 and not first.overdue
    assert rows[2].overdue  # dispatched, accept deadline long past
    assert rows[3].outcome == "非本社区职责（已转办）：市房管局"


def test_overdue_rules():
    from bot.storage.models import Ticket

    late_accept = Ticket(status="accepted", accept_due_at=dt(2026, 1, 1), accepted_at=dt(2026, 1, 2))
    on_time = Ticket(status="awaiting_callback", accept_due_at=dt(2026, 1, 1), accepted_at=dt(2026, 1, 1),
                     finish_due_at=dt(2026, 1, 5), finished_at=dt(2026, 1, 4))
    working_late = Ticket(status="accepted", accept_due_at=dt(2026, 1, 1), accepted_at=dt(2026, 1, 1),
                          finish_due_at=dt(2026, 1, 5))
    assert ledger.is_overdue(late_accept, NOW)
    assert not ledger.is_overdue(on_time, NOW)
    assert ledger.is_overdue(working_late, NOW)


def test_xlsx_export(client, steward):
    with steward.session() as s:
        _seed(s)
    login(client)
    resp = client.get("/staff/ledger/export.xlsx?month=2026-03&courtyard=c3")
    assert resp.status_code == 200
    assert "attachment" in resp.headers["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(resp.data))
    ws = wb.active
    assert [c.value for c in ws[1]] == [h for h, _ in ledger.COLUMNS]
    assert ws.freeze_panes == "A2"
    assert ws.column_dimensions["D"].width == 40
    data = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    assert len(data) == 4
    assert data[1][0].startswith("R") and data[1][3] == "门口路灯坏了三天了" and data[1][5] == "陈卫东"
    assert data[1][1] == "2026-03-02 09:00"  # Beijing time
    assert data[2][10] == "是"


def test_csv_export_and_council_scope(client, steward):
    with steward.session() as s:
        _seed(s)
    login(client, COUNCIL_C3)
    # A council login asking for another courtyard still gets its own.
    body = client.get("/staff/ledger/export.csv?month=2026-03&courtyard=c5").data.decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("工单号,受理时间,分类")
    assert len(lines) == 5 and "别的院" not in body


def test_ledger_page(client, steward):
    with steward.session() as s:
        _seed(s)
    login(client)
    html = client.get("/staff/ledger/?month=2026-03&courtyard=c3").get_data(as_text=True)
    assert "共 4 件，超时 1 件" in html and "陈卫东" in html
