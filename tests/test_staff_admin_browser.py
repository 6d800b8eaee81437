"""工作人员 page in a real headless Chromium: an admin adds an account, the new account logs in in a
second browser context, the admin resets its password and that login ends at its next click; the old
password no longer works, the new one does. No inline script or style is blocked by the CSP."""

from __future__ import annotations

import pytest

from tests.fixtures_dispatch import *  # noqa: F403
from tests.test_workbench_browser import browser_page, shot  # noqa: F401 (the fixture)
from tests.workbench_helpers import ADMIN

pytestmark = pytest.mark.browser


def _login(page, base: str, username: str, password: str) -> None:  # noqa: ANN001
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("#login-form button[type=submit]")


def test_add_an_account_and_reset_its_password(browser_page, steward_live, live):  # noqa: F811
    page, base = browser_page, live
    csp: list[str] = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    _login(page, base, *ADMIN)
    page.click("#nav-staff")
    page.fill("#form-add-account input[name=username]", "zhao")
    page.fill("#form-add-account input[name=name]", "赵敏")
    page.select_option("#form-add-account select[name=role]", "council")
    page.select_option("#form-add-account select[name=courtyard]", "c3")
    page.fill("#form-add-account input[name=password]", "first-pass-123")
    page.fill("#form-add-account input[name=password2]", "first-pass-123")
    page.click("#form-add-account button[type=submit]")
    assert "已添加账号 zhao" in page.inner_text("main")
    assert "楼院理事会" in page.inner_text("#account-state")

    other = page.context.browser.new_context().new_page()
    _login(other, base, "zhao", "first-pass-123")
    assert "赵敏" in other.inner_text("header")

    page.fill("#form-password input[name=password]", "second-pass-456")
    page.fill("#form-password input[name=password2]", "second-pass-456")
    page.click("#form-password button[type=submit]")
    assert "密码已重设" in page.inner_text("main")
    shot(page, "staff-password-reset")

    other.reload()
    assert "/login" in other.url  # the old session ended
    _login(other, base, "zhao", "first-pass-123")
    assert "/login" in other.url
    _login(other, base, "zhao", "second-pass-456")
    assert "赵敏" in other.inner_text("header")
    page.click("#nav-staff")
    assert "赵敏" in page.inner_text("#account-zhao")
    other.context.close()
    assert not csp, csp
