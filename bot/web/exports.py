"""Spreadsheet exports (ledger, event roster) in one place: .xlsx (openpyxl) and CSV.

Residents write what they like — "=HYPERLINK(…)", "+86 138…", "@所有人" — and a spreadsheet must
show that as text, never run it as a formula. In .xlsx every string cell is a string cell (openpyxl
would otherwise store a leading "=" as a formula) with Excel's quote prefix, so editing it does not
turn it into one either; in CSV a value that Excel, WPS or LibreOffice would evaluate gets a leading
apostrophe (the OWASP recommendation), which those programs show as a text marker.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

Cell = str | int | float | bool | None
Column = tuple[str, int]  # header, width in characters (sized for Chinese text)

# A cell starting with one of these is a formula (or DDE payload) to Excel, WPS or LibreOffice.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv; charset=utf-8"


def csv_safe(value: Cell) -> str:
    """The CSV text of one cell: numbers as they are, text that could be a formula behind an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def to_csv(columns: Sequence[Column], rows: Iterable[Sequence[Cell]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([h for h, _ in columns])
    for row in rows:
        w.writerow([csv_safe(c) for c in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel then reads it as UTF-8


def to_xlsx(columns: Sequence[Column], rows: Iterable[Sequence[Cell]], sheet: str, title: str = "",
            wrap: Sequence[int] = ()) -> bytes:
    """One sheet: a bold header row, fixed widths, frozen header, filter; `wrap` = 1-based columns to wrap."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append([h for h, _ in columns])
    for i, (_, width) in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=i)
        ws.column_dimensions[cell.column_letter].width = width
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for r, row in enumerate(rows, start=2):
        for c, value in enumerate(row, start=1):
            _put(ws.cell(row=r, column=c), value, wrap=c in wrap)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    if title:
        wb.properties.title = title
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _put(cell, value: Cell, wrap: bool) -> None:  # noqa: ANN001
    if isinstance(value, str):
        cell.value = value
        cell.data_type = "s"  # openpyxl makes "=…" a formula on assignment: undo that
        if value.startswith(FORMULA_START):
            cell.quotePrefix = True  # editing the cell in Excel keeps it text
    else:
        cell.value = value
    if wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def response(fmt: str, columns: Sequence[Column], rows: Sequence[Sequence[Cell]], filename: str,
             sheet: str, title: str = "", wrap: Sequence[int] = ()) -> Response:
    """An attachment download; personal data, so no cache may keep a copy."""
    if fmt == "xlsx":
        body, mime = to_xlsx(columns, rows, sheet, title, wrap), XLSX_MIME
    else:
        body, mime = to_csv(columns, rows), CSV_MIME
    resp = Response(body, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
    resp.headers["Cache-Control"] = "no-store"
    return resp
