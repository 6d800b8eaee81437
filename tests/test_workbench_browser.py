"""The workbench in a real headless Chromium (Debian's, driven by Playwright): log in, fix a triage
ticket and dispatch it, close another, export the ledger, see the rates charts. Screenshots of each
page go to artifacts/screenshots/."""

from __future__ import annotations

import io
import os
from pathlib import Path

import openpyxl
import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import select

from bot.domain.clock import to_local, utcnow
from bot.services.uow import jobs
from bot.storage.models import Ticket
from tests.workbench_helpers import STAFF, make_ticket

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("STEWARD_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"


@pytest.fixture
def browser_page():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extra)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(accept_downloads=True, locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        context.close()
        browser.close()


def seed_history(session, months: int = 6) -> None:
    """A few closed tickets per courtyard and month, so the trend and comparison charts have lines."""
    from datetime import timedelta

    from tests.workbench_helpers import event

    now = utcnow()
    for back in range(1, months + 1):
        for k, yard in enumerate(("c1", "c3", "c5", "c7", "c9", "c11")):
            for j in range(3):
                created = now - timedelta(days=30 * back - j - k)
                t = make_ticket(session, text=f"往月工单{back}-{yard}-{j}", courtyard=yard, created_at=created,
                                status="closed", close_reason="resolved")
                late = (j + k + back) % 4 == 0
                event(session, t, created + timedelta(minutes=5), "received", "dispatched")
                event(session, t, created + timedelta(hours=30 if late else 2), "dispatched", "accepted")
                event(session, t, created + timedelta(days=2), "accepted", "awaiting_callback")
                event(session, t, created + timedelta(days=3), "awaiting_callback", "closed",
                      data={"reason": "resolved", "solved": (j + back) % 5 != 0, "rating": 5 - (j + k) % 3})


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_staff_workflow(browser_page, live_app, steward, tmp_path):
    page, base = browser_page, live_app
    # The Content-Security-Policy (no inline script or style) must not block anything we ship.
    csp_violations: list[str] = []
    page.on("console", lambda m: csp_violations.append(m.text) if "Content Security Policy" in m.text else None)
    with steward.session() as s:
        triage_ref = make_ticket(s, text="家里厨房水管漏水了，快来人", courtyard=None, status="triage",
                                 confidence=0.3).ref
        other_ref = make_ticket(s, text="单元门口的路灯不亮了", courtyard="c3", subcategory="照明",
                                status="dispatched", assignee_name="陈卫东").ref
        seed_history(s)

    # log in
    page.goto(f"{base}/staff/")
    assert "/login" in page.url
    page.fill("input[name=username]", STAFF[0])
    page.fill("input[name=password]", STAFF[1])
    shot(page, "01-login")
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/staff/**")

    # find the triage ticket
    page.click("#tab-triage")
    assert page.locator("#tab-triage .count").inner_text() == "1"
    assert page.locator(f"text={triage_ref}").count() == 1
    shot(page, "02-triage-queue")
    page.click(f"text={triage_ref}")
    page.wait_for_url(f"**/staff/t/{triage_ref}")
    assert "家里厨房水管漏水了" in page.inner_text("#resident-text")

    # move it to 3号院, reclassify as a water repair and dispatch
    page.select_option("#form-move select[name=courtyard]", "c3")
    page.click("#form-move button[type=submit]")
    page.wait_for_load_state()
    page.select_option("#form-reclassify select[name=category]", "repair")
    page.select_option("#form-reclassify select[name=subcategory]", "给排水")
    page.check("#form-reclassify input[name=then_dispatch]")
    page.click("#form-reclassify button[type=submit]")
    page.wait_for_load_state()
    assert "已交给派单程序" in page.inner_text("main")
    SimpleWorker([Queue(n, connection=steward.redis_raw) for n in jobs.worker_queues(()) if n.startswith("dispatch")],
                 connection=steward.redis_raw).work(burst=True)
    page.reload()
    assert "已派单" in page.inner_text("h1")
    assert "报修 · 给排水" in page.inner_text("#f-category")
    timeline = page.inner_text("#timeline")
    assert "改分类" in timeline and "刘晓红" in timeline and "派单" in timeline
    shot(page, "03-ticket-dispatched")

    # close the other one as unable to fix
    page.goto(f"{base}/staff/t/{other_ref}")
    page.select_option("#form-close select[name=reason]", "unable_to_fix")
    page.fill("#form-close input[name=note]", "管线老化需整体改造，已报街道")
    page.click("#form-close button[type=submit]")
    page.wait_for_load_state()
    assert "已关闭：无法解决" in page.inner_text("main")
    assert "已办结" in page.inner_text("h1")
    shot(page, "04-ticket-closed")

    # the ledger, exported
    local = to_local(utcnow())
    month = f"{local.year:04d}-{local.month:02d}"
    page.goto(f"{base}/staff/ledger/?month={month}&courtyard=c3")
    assert triage_ref in page.inner_text("#ledger") and other_ref in page.inner_text("#ledger")
    shot(page, "05-ledger")
    with page.expect_download() as dl:
        page.click("#export-xlsx")
    path = tmp_path / "ledger.xlsx"
    dl.value.save_as(str(path))
    ws = openpyxl.load_workbook(io.BytesIO(path.read_bytes())).active
    assert ws.freeze_panes == "A2" and ws["A1"].value == "工单号"
    rows = {r[0].value: [c.value for c in r] for r in ws.iter_rows(min_row=2)}
    assert {triage_ref, other_ref} <= set(rows)
    assert rows[other_ref][8] == "无法解决" and rows[other_ref][3] == "单元门口的路灯不亮了"
    assert rows[triage_ref][2] == "报修·给排水" and rows[triage_ref][4] == "育英街3号院"

    # the rates page and its charts
    page.goto(f"{base}/staff/rates/?month={month}")
    assert page.locator("#trend-chart svg").count() == 1
    assert page.locator("#comparison-chart svg").count() == 1
    assert page.locator("#comparison-chart svg text").count() >= 10  # one label per courtyard
    box = page.locator("#trend-chart svg").bounding_box()
    assert box and box["width"] > 200 and box["height"] > 80  # actually drawn
    shot(page, "06-rates")

    # the public board, on a phone-sized screen
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/public/?courtyard=c3")
    board = page.inner_text("#yard-c3")
    # Facts only: the resident's own words never reach the public board.
    assert "单元门口的路灯不亮了"[:8] not in board and "报修·照明" in board and "无法解决" in board
    shot(page, "07-public-board-phone")

    with steward.session() as s:
        t = s.scalars(select(Ticket).where(Ticket.ref == triage_ref)).one()
        assert t.status == "dispatched" and t.courtyard_id == "c3"
    assert csp_violations == []
