"""Issue 12, item 7: the photos and voices a resident sends reach the member — a notice, and on his
task page (the photo and the voice's player and words), served only to the member the link is for."""

from __future__ import annotations

import re

import pytest

from tests.conversation import sandbox_asr
from tests.fixtures_dispatch import *  # noqa: F403
from tests.oauth_helpers import open_as

LAMP = """
    居民: 3号院2号楼楼道灯不亮了
    维修 << R1001 … /m/ticket/
"""


def _task_link(chat, who: str, ref: str) -> str:
    """The task page's path from the newest message `who` received that names `ref` and a link."""
    from bot.sandbox import state as sbx

    for m in reversed(sbx.messages(chat.steward.redis, chat.openid(who))):
        text = str(m.get("text") or "") + str(m.get("url") or "")
        if ref in text and (found := re.search(r"/m/ticket/[\w.\-]+", text)):
            return found.group(0)
    raise AssertionError(f"{who} got no task link for {ref}")


def _media_urls(html: str, tag: str) -> list[str]:
    return re.findall(rf'<{tag} src="(/m/ticket/[^"]+/media/\d+)"', html)


@pytest.mark.parametrize("when", ["at once", "after the question"])
def test_a_residents_photo_is_on_the_members_page_and_only_his(chat, app, when):
    chat.lives("居民", "c3").play(LAMP)
    if when == "after the question":
        chat.play("""
            ~ 40
            居民: [照片]
              < 是补充工单 R1001
            居民: [语音] 补充的
        """)
    else:
        chat.play("居民: [照片]")
    chat.play("""
        维修 << 补充照片 … 任务页 … /m/ticket/
    """)
    link = _task_link(chat, "维修", "R1001")
    html = open_as(app.test_client(), link, chat.openid("维修")).get_data(as_text=True)
    [photo] = _media_urls(html, "img")
    fixer = app.test_client()
    open_as(fixer, link, chat.openid("维修"))
    got = fixer.get(photo)
    assert got.status_code == 200 and got.mimetype == "image/png" and got.data.startswith(b"\x89PNG")
    # forwarded to someone else in WeChat: neither the page's photos nor the file
    other = app.test_client()
    page = open_as(other, link, chat.openid("组长"))
    assert page.status_code == 403 and "<img" not in page.get_data(as_text=True)
    assert other.get(photo).status_code == 403


def test_another_members_link_cannot_fetch_the_photo(chat, app):
    chat.lives("居民", "c3").lives("邻居", "c3").play(LAMP + """
        居民: [照片]
        邻居: 3号院7号楼楼道里一股煤气味
    """)
    fixer = app.test_client()
    link = _task_link(chat, "维修", "R1001")
    [photo] = _media_urls(open_as(fixer, link, chat.openid("维修")).get_data(as_text=True), "img")
    media_id = photo.rsplit("/", 1)[1]
    (gas,) = chat.tickets("邻居")
    holder = next(n for n, o in chat.people.items() if o == gas.assignee_openid)
    their = _task_link(chat, holder, gas.ref)
    someone = app.test_client()
    assert open_as(someone, their, gas.assignee_openid).status_code == 200
    assert someone.get(f"{their}/media/{media_id}").status_code == 404  # not that ticket's photo
    assert someone.get(photo).status_code in (403, 404)


def test_a_voice_with_its_words_is_on_the_members_page(chat, app):
    chat.lives("居民", "c3").play(LAMP + """
        居民: [语音] 就在二单元门口那一段
          < R1001
        维修 << 补充语音|居民补充 … R1001
    """)
    link = _task_link(chat, "维修", "R1001")
    fixer = app.test_client()
    html = open_as(fixer, link, chat.openid("维修")).get_data(as_text=True)
    assert "<audio" in html and "就在二单元门口那一段" in html
    [voice] = re.findall(r'<source src="(/m/ticket/[^"]+/media/\d+)"', html)
    got = fixer.get(voice)
    assert got.status_code == 200 and got.mimetype.startswith("audio/")


class TestHeardByTheSandboxAsr:
    @pytest.fixture
    def overrides(self, web_port: int) -> dict:
        return sandbox_asr(web_port)

    def test_a_spoken_addition_is_heard_and_shown_to_the_member(self, chat, app):
        chat.lives("居民", "c3").play(LAMP + """
            居民: [录音] 还有三楼的也不亮
            居民 << 您说的是 … R1001
            维修 << 居民补充 … 三楼
        """)
        link = _task_link(chat, "维修", "R1001")
        html = open_as(app.test_client(), link, chat.openid("维修")).get_data(as_text=True)
        assert "<audio" in html and "还有三楼的也不亮" in html
