"""The voice a resident sent plays in a real Chromium: on the staff ticket page and on the member's
task page (after WeChat's web authorisation, the sandbox's here)."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from bot.services.push.links import action_link
from bot.storage.models import Ticket
from tests.fixtures_dispatch import *  # noqa: F403
from tests.fixtures_dispatch import C3_FIXER, drain
from tests.test_workbench_browser import browser_page, shot  # noqa: F401
from tests.workbench_helpers import STAFF

pytestmark = pytest.mark.browser

DECODE = """async () => {
  const audio = document.querySelector('audio');
  const source = audio.querySelector('source');
  const body = await (await fetch(source.src)).arrayBuffer();
  const decoded = await new OfflineAudioContext(1, 48000, 48000).decodeAudioData(body);
  return {type: source.type, canPlay: audio.canPlayType(source.type), seconds: decoded.duration};
}"""


def _decodes(page) -> None:  # noqa: ANN001
    got = page.evaluate(DECODE)
    assert got["type"] == "audio/ogg" and got["canPlay"] in ("maybe", "probably")
    assert got["seconds"] > 1.0, got


def test_voice_plays_for_staff_and_for_the_member(browser_page, steward_live, live, wechat):  # noqa: F811
    page, base, st = browser_page, live, steward_live
    media_id = requests.post(f"{base}/sandbox/voice", json={"words": "俺家楼道灯坏了"}, timeout=5).json()["media_id"]
    ex = wechat.voice("o-elder-browser-1", "", media_id=media_id)
    drain(st)
    with st.session() as s:
        ticket = s.scalars(select(Ticket)).one()
        ref, tid = ticket.ref, ticket.id
        # staff listened and placed it in 3号院: a member sees media of his own courtyard's tickets only
        ticket.courtyard_id = "c3"
    assert ref in ex.text

    page.goto(f"{base}/staff/t/{ref}")
    page.fill("input[name=username]", STAFF[0])
    page.fill("input[name=password]", STAFF[1])
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"**/staff/t/{ref}")
    _decodes(page)
    shot(page, "voice-staff-ticket")

    # The member opens his link in WeChat: authorisation (the sandbox asks who holds the phone).
    page.goto(action_link(st.config, tid, C3_FIXER))
    page.click(f"text={st.config.member(C3_FIXER).name}")
    page.wait_for_url("**/m/ticket/**")
    assert ref in page.inner_text("h1")
    _decodes(page)
    shot(page, "voice-member-page")
