"""Issue 12, "nothing lost": residents send two or three photos in a row (WeChat sends each as its own
message). Every one is kept, in the order sent (up to 9, WeChat's album), goes with the ticket the
words open or is added to the ticket the answer names, and the member hears of them once."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.services.inbound import intake
from bot.storage.models import Media
from tests.fixtures_dispatch import *  # noqa: F403
from tests.oauth_helpers import open_as
from tests.test_conv_member_media import _media_urls, _task_link

LAMP = """
    居民: 3号院2号楼楼道灯不亮了
      < 工单号 R1001
    维修 << R1001 … /m/ticket/
"""
THREE_HELD = """
    居民: [照片]
      < 是补充工单 R1001 … 回 1 补充，回 2 新的事
    居民: [照片]
      < 收到了，一共 2 张照片
      <! 回 1 补充
      <! 说说
    维修 <<!
    居民: [照片]
      < 收到了，一共 3 张照片
      <! 是补充工单
    维修 <<!
"""


def _photos(chat) -> dict[int | None, list[str]]:
    """The resident's photos by ticket, in the order they were stored."""
    with chat.steward.session() as s:
        rows = s.scalars(select(Media).where(Media.openid == chat.openid("居民"), Media.kind == "image")
                         .order_by(Media.id)).all()
        out: dict[int | None, list[str]] = {}
        for m in rows:
            out.setdefault(m.ticket_id, []).append(m.media_id)
        return out


def _in_order_sent(ids: list[str]) -> bool:
    """The transcript names each photo photo-<line number>: the order sent is the numbers' order."""
    numbers = [int(i.removeprefix("photo-")) for i in ids]
    return numbers == sorted(numbers)


def _member_notices(chat, who: str = "维修") -> list[str]:
    return [t for t in chat.got.get(chat.openid(who), []) if "补充" in t]


def test_three_photos_then_words_make_one_ticket_with_all_three_on_the_members_page(chat, app):
    chat.lives("居民", "c3").play("""
        居民: [照片]
          < 照片收到了 … 是哪个院、什么问题
        居民: [照片]
          < 收到了，一共 2 张照片 … 一起登记
          <! 请再用文字
        居民: [照片]
          < 收到了，一共 3 张照片
        居民: 3号院2号楼楼道灯不亮了
          < 工单号 R1001
          <! 有照片的话
        维修 << R1001 … /m/ticket/
    """)
    (t,) = chat.tickets("居民")
    photos = _photos(chat)
    assert list(photos) == [t.id] and len(photos[t.id]) == 3 and _in_order_sent(photos[t.id])
    link = _task_link(chat, "维修", "R1001")
    html = open_as(app.test_client(), link, chat.openid("维修")).get_data(as_text=True)
    assert len(_media_urls(html, "img")) == 3


def test_three_photos_while_asked_and_answered_1_are_all_added_and_the_member_told_once(chat):
    chat.lives("居民", "c3").play(LAMP + "~ 40\n" + THREE_HELD + """
        居民: 1
          < 3 张照片已补充到工单 R1001
        维修 << 补充照片 … 居民补充了 3 张照片 … 任务页
    """)
    assert len(_member_notices(chat)) == 1
    (t,) = chat.tickets("居民")
    photos = _photos(chat)
    assert list(photos) == [t.id] and len(photos[t.id]) == 3 and _in_order_sent(photos[t.id])


def test_three_photos_while_asked_and_answered_2_go_with_the_new_ticket(chat):
    chat.lives("居民", "c3").play(LAMP + "~ 40\n" + THREE_HELD + """
        居民: 2
          < 新的事 … 什么问题 … 照片会一起登记
          <! 已补充
        居民: [照片]
          < 收到了，一共 4 张照片
          <! 是补充工单
        居民: 5号楼门口下水道堵了，污水往外冒
          < 工单号 R1002
          <! 有照片的话
        维修 <<! 补充照片
    """)
    first, second = chat.tickets("居民")
    photos = _photos(chat)
    assert list(photos) == [second.id] and len(photos[second.id]) == 4 and _in_order_sent(photos[second.id])


def test_words_while_asked_about_three_photos_open_the_new_ticket_with_all_three(chat):
    chat.lives("居民", "c3").play(LAMP + "~ 40\n" + THREE_HELD + """
        居民: 俺家门口的树倒了 挡着路了
          < 工单号 R1002
    """)
    first, second = chat.tickets("居民")
    assert {k: len(v) for k, v in _photos(chat).items()} == {second.id: 3}


def test_photos_after_words_the_bot_asked_about_go_where_the_answer_says(chat):
    chat.lives("居民", "c3").play(LAMP + """
        居民: 晚上上楼黑得很
          < 是补充工单 R1001 … 回 1 补充
        居民: [照片]
          < 照片收到了
          <! 回 1 补充
          <! 说说
        居民: [照片]
          < 收到了，一共 2 张照片
        居民: 1
          < 已补充到工单 R1001（连同 2 张照片）
        维修 << 晚上上楼黑得很
        维修 << 居民补充了 2 张照片
    """)
    (t,) = chat.tickets("居民")
    assert {k: len(v) for k, v in _photos(chat).items()} == {t.id: 2}


def test_photos_while_a_request_waits_for_its_courtyard_all_go_with_the_ticket(chat):
    chat.play("""
        居民: 楼道灯坏了好几天了
          < 哪个院
        居民: [照片]
          < 照片收到了 … 请告诉我是哪个院
        居民: [照片]
          < 收到了，一共 2 张照片 … 请告诉我是哪个院
        居民: [照片]
          < 一共 3 张照片
        居民: 3号院
          < 工单号 R1001
    """)
    (t,) = chat.tickets("居民")
    photos = _photos(chat)
    assert list(photos) == [t.id] and len(photos[t.id]) == 3 and _in_order_sent(photos[t.id])


def test_second_and_third_photo_soon_after_the_only_open_ticket_are_all_attached(chat):
    chat.lives("居民", "c3").play(LAMP + """
        居民: [照片]
          < 照片已补充到工单 R1001
        维修 << 补充照片 … 任务页
        居民: [照片]
          < 照片已补充到工单 R1001
          <! 另一件事
        维修 <<!
        居民: [照片]
          < 照片已补充到工单 R1001
        维修 <<!
        ~ 5
        居民: [照片]
          < 照片已补充到工单 R1001
        维修 << 补充照片
    """)
    (t,) = chat.tickets("居民")
    photos = _photos(chat)
    assert list(photos) == [t.id] and len(photos[t.id]) == 4 and _in_order_sent(photos[t.id])


def test_a_tenth_photo_before_the_words_is_refused_politely_and_nine_go_with_the_ticket(chat):
    chat.lives("居民", "c3")
    for _ in range(9):
        chat.say("居民", "[照片]")
    assert "一共 9 张照片" in chat.reply
    chat.play("""
        居民: [照片]
          < 这张照片没收下 … 最多先收 9 张 … 登记以后可以接着发
          <! 一共 10
        居民: 3号院2号楼楼道灯不亮了
          < 工单号 R1001
        居民: [照片]
          < 照片已补充到工单 R1001
    """)
    (t,) = chat.tickets("居民")
    assert len(_photos(chat)[t.id]) == 10  # nine held, then the one sent after the ticket


def test_a_photo_held_before_a_deploy_goes_with_the_ticket(chat):
    """A version-2 state (one held photo) left in Redis by the old code is read into today's shape."""
    chat.lives("居民", "c3")
    old = {"version": 2, "media": {"media_id": "photo-0", "kind": "image"}}
    chat.steward.redis.set(intake.DIALOGUE_KEY.format(chat.openid("居民")), json.dumps(old), ex=3600)
    chat.play("""
        居民: 3号院2号楼楼道灯不亮了
          < 工单号 R1001
          <! 有照片的话
    """)
    (t,) = chat.tickets("居民")
    assert _photos(chat) == {t.id: ["photo-0"]}


def test_an_album_arriving_all_at_once_keeps_every_photo(chat, app, config):
    """WeChat sends an album's photos as separate requests a few milliseconds apart, served in
    parallel: each reads the dialogue state, adds its photo and writes it back. The resident's
    dialogue lock (bot/services/inbound/dialogue_lock.py) makes them take turns, so none is overwritten."""
    import threading

    from tests.wechat_client import WeChatTestClient

    chat.lives("居民", "c3")
    openid = chat.openid("居民")
    start = threading.Barrier(4)
    statuses: list[int] = []

    def send(n: int) -> None:
        client = WeChatTestClient(app.test_client(), config)  # one HTTP client per sender thread
        start.wait()
        statuses.append(client.image(openid, media_id=f"photo-{n}").status)

    threads = [threading.Thread(target=send, args=(n,)) for n in (1, 2, 3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert statuses == [200] * 4
    chat.play("""
        居民: 3号院2号楼楼道灯不亮了
          < 工单号 R1001
        维修 << R1001 … /m/ticket/
    """)
    (t,) = chat.tickets("居民")
    assert sorted(_photos(chat)[t.id]) == [f"photo-{n}" for n in (1, 2, 3, 4)]
