"""The monthly digest in a real headless Chromium: the staff member opens it, it is screenshotted
(artifacts/screenshots/), and it prints on A4 — Chromium's own PDF, A4 pages, a sane page count."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests import digest_fixture as fx
from tests.test_workbench_browser import browser_page, shot  # noqa: F401  (the fixture)
from tests.workbench_helpers import STAFF

pytestmark = pytest.mark.browser
A4_POINTS = (595, 842)  # 210 × 297 mm


@pytest.fixture
def config(config):
    members = tuple(replace(m, digest_consent=True) if m.name == "王建国" else m for m in config.members)
    return replace(config, members=members)


def test_digest_prints_on_a4(browser_page, live_app, steward, tmp_path):  # noqa: F811
    page, base = browser_page, live_app
    with steward.session() as s:
        fx.seed(s)
    page.goto(f"{base}/login")
    page.fill("input[name=username]", STAFF[0])
    page.fill("input[name=password]", STAFF[1])
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/staff/**")
    page.click("text=社情月报")
    page.select_option("#month-form select[name=month]", f"{fx.YEAR}-{fx.MONTH:02d}")
    page.click("#month-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#community tr.topic").first.get_attribute("data-voices") == "14"
    assert page.locator("#community svg.chart").count() == 2
    assert "理事会成员王建国" in page.inner_text("#good-deeds + ul")
    shot(page, "20-digest")
    page.emulate_media(media="print")
    assert not page.locator("#form-problem").is_visible()  # the form is not printed
    shot(page, "21-digest-print")
    pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
    (tmp_path / "digest.pdf").write_bytes(pdf)
    pages, boxes = fx.pdf_layout(pdf)
    assert 11 <= pages <= 30, pages  # the community, then each of the ten courtyards on its own page
    assert boxes == {A4_POINTS}, boxes


def test_calendar_page(browser_page, live_app):  # noqa: F811
    page, base = browser_page, live_app
    page.goto(f"{base}/login")
    page.fill("input[name=username]", STAFF[0])
    page.fill("input[name=password]", STAFF[1])
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/staff/**")
    page.click("text=节假日")
    page.fill("#year-form input[name=year]", "2026")
    page.click("#year-form button[type=submit]")
    page.wait_for_load_state()
    assert "国庆节" in page.inner_text("#calendar-days") and "调休上班" in page.inner_text("#calendar-days")
    page.fill("#form-add-day input[name=day]", "2026-12-31")
    page.fill("#form-add-day input[name=name]", "社区自定假日")
    page.click("#form-add-day button[type=submit]")
    page.wait_for_load_state()
    assert "已录入 2026-12-31" in page.inner_text("main") and "社区自定假日" in page.inner_text("#calendar-days")
    shot(page, "22-calendar")
