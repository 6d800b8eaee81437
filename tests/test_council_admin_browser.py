"""理事会 pages in a real headless Chromium: add a member and invite him (the printable invitation
shows his QR code), deactivate a member who holds an open task (it is handed on). No inline script
or style is blocked by the Content-Security-Policy."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.services.community import members
from bot.storage.models import CouncilMember
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import C3_BACKUP, C3_FIXER, drain, new_ticket, ticket_of
from tests.test_workbench_browser import browser_page, shot  # noqa: F401 (the fixture)
from tests.workbench_helpers import ADMIN

pytestmark = pytest.mark.browser


def test_invite_a_member_and_deactivate_another(browser_page, steward_live, live):  # noqa: F811
    page, base, st = browser_page, live, steward_live
    csp: list[str] = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    tid = new_ticket(st)
    drain(st)
    assert ticket_of(st, tid).assignee_openid == C3_FIXER
    with st.session() as s:
        members.ensure_seeded(s, st.file_config)
        fixer = s.scalars(select(CouncilMember.id).where(CouncilMember.openid == C3_FIXER)).one()

    page.goto(f"{base}/login")
    page.fill("input[name=username]", ADMIN[0])
    page.fill("input[name=password]", ADMIN[1])
    page.click("#login-form button[type=submit]")
    page.click("#nav-council")
    page.select_option("#form-add-member select[name=courtyard]", "c3")
    page.fill("#form-add-member input[name=name]", "张新来")
    page.fill("#form-add-member input[name=skills]", "维修")
    page.click("#form-add-member button[type=submit]")
    assert "已添加 张新来" in page.inner_text("main")
    page.click("#form-invite button[type=submit]")
    page.wait_for_selector("#qr")
    assert "张新来" in page.inner_text("#invitee") and "有效期至" in page.inner_text("#invitation-until")
    assert page.eval_on_selector("#qr", "img => img.complete && img.naturalWidth > 100")
    shot(page, "council-invitation")

    page.goto(f"{base}/admin/council/{fixer}")
    page.click("#form-deactivate button[type=submit]")  # the confirmation box is required first
    assert "已停用" not in page.inner_text("#member-state")
    page.check("#form-deactivate input[name=confirm]")
    page.click("#form-deactivate button[type=submit]")
    assert page.inner_text("#member-state") == "已停用"
    t = ticket_of(st, tid)
    assert t.ref in page.inner_text("main") and t.assignee_openid == C3_BACKUP
    shot(page, "council-deactivated")
    assert not csp, csp
