"""What a newcomer sees in a real headless Chromium: the workbench home, 三率, 社情月报 and the public
board on a fresh install (each says what will appear there and how) and with the demo month (a
示例数据 banner, charts, topics). Every text element is measured: body text ≥ 14 px, nothing under
13 px. Screenshots go to artifacts/screenshots/newcomer-*.png."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from bot.cli import demo_data
from tests.workbench_helpers import STAFF

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("STEWARD_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
PAGES = {"home": "/staff/", "rates": "/staff/rates/", "digest": "/staff/digest/", "board": "/public/"}
EMPTY = {"rates": "#rates-empty", "digest": "#digest-empty", "board": "#board-empty"}

# Visible elements with text of their own, outside SVG charts: [selector-ish description, font-size px].
TEXT_SIZES = """() => {
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg') || ['SCRIPT', 'STYLE', 'OPTION'].includes(el.tagName)) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const r = el.getBoundingClientRect();
    if (!own || r.width === 0 || r.height === 0) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    out.push([el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' ' +
              el.textContent.trim().slice(0, 30), size]);
  }
  return {body: parseFloat(getComputedStyle(document.body).fontSize), texts: out};
}"""


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
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        context.close()
        browser.close()


def visit(page, base: str, name: str, state: str) -> None:
    resp = page.goto(base + PAGES[name])
    assert resp is not None and resp.status == 200, (name, resp and resp.status)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"newcomer-{state}-{name}.png"), full_page=True)
    sizes = page.evaluate(TEXT_SIZES)
    assert sizes["body"] >= 14, (name, sizes["body"])
    small = [(what, px) for what, px in sizes["texts"] if px < 13]
    assert not small, (name, state, small[:10])
    assert len(sizes["texts"]) > 5, name


def test_fresh_then_seeded(browser_page, live_app, steward, config):
    page, base = browser_page, live_app
    page.goto(f"{base}/login")
    page.fill("input[name=username]", STAFF[0])
    page.fill("input[name=password]", STAFF[1])
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/staff/**")

    for name in PAGES:
        visit(page, base, name, "fresh")
        if name in EMPTY:
            assert page.locator(EMPTY[name]).count() == 1, name
            assert "steward demo seed" in page.inner_text(EMPTY[name]) or name == "board"
        assert page.locator("#demo-banner").count() == 0
    page.goto(f"{base}/public/")
    assert page.locator("details").count() == 0  # not ten collapsed rows of "—"

    with steward.session() as s:
        done = demo_data.seed(s, config, redis=steward.redis)
    assert done.tickets > 60

    for name in PAGES:
        visit(page, base, name, "seeded")
        assert page.locator("#demo-banner").count() == 1, name
        if name == "home":  # the tab counts are the rows shown (their cache was cleared by the seed)
            assert page.locator("#tab-triage .count").inner_text() == str(page.locator("tbody tr").count())
        if name in EMPTY:
            assert page.locator(EMPTY[name]).count() == 0, name
    page.goto(f"{base}/staff/rates/")
    assert page.locator("#trend-chart svg").count() == 1
    page.goto(f"{base}/staff/digest/")
    sheets = "".join(page.locator(".sheet").all_inner_texts())
    assert "育英街3号院" in sheets and "示例居民" not in sheets  # residents are never named in the digest
    assert page.locator("ul.thanks li").count() >= 1
    quotes = "\n".join(page.locator("ul.thanks").all_inner_texts())
    assert "师傅修得很好" in quotes and not re.search(r"：\s*(?:5|5分)[ ，]", quotes), quotes
