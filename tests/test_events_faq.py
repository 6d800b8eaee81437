"""Events (list, sign-up, waitlist, cancel) and FAQ answers (pure, no I/O)."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.config import load
from handlers import events, faq
from handlers.actions import EventCancel, EventSignup, UpdateResident
from handlers.base import Context, Decision, EventView, Inbound, Outcome
from handlers.conversation import decide
from handlers.replies import compose

CFG = load("config.example.toml")
SONG = EventView(7, "红歌合唱", datetime(2026, 12, 5, 9, 0), "党群服务中心二楼", 30, 12)
MUSEUM = EventView(8, "参观河南博物院", datetime(2026, 12, 12, 8, 30), "社区门口集合", 20, 20)
FILM = EventView(9, "露天电影放映", datetime(2026, 12, 20, 19, 0), "3号院广场", 0, 40, mine=True)
ALL = [SONG, MUSEUM, FILM]


def send(text: str, evs: list[EventView] = ALL, state: dict | None = None) -> Decision:
    return decide(Inbound("o-res", "text", text), Context(config=CFG, courtyard="c3", state=state or {}, events=evs))


def test_list_shows_places_times_and_room() -> None:
    d = send("有啥活动")
    assert d.actions == []
    assert "1. 「红歌合唱」12月5日（周六）上午9:00" in d.reply
    assert "还剩 18 个名额" in d.reply and "已满，可排候补" in d.reply and "您已报名" in d.reply
    assert "报名1" in d.reply and d.state.step == events.STEP


def test_no_events() -> None:
    assert "还没有安排活动" in send("有啥活动", evs=[]).reply


@pytest.mark.parametrize("text", ["报名1", "报名 1", "我要报名红歌", "报名参加红歌合唱", "报名第一个"])
def test_signup_by_number_or_title(text: str) -> None:
    d = send(text)
    assert d.actions == [EventSignup(7, None, None)]


def test_signup_with_name_and_phone() -> None:
    d = send("报名1 王秀英 13812345678")
    assert d.actions == [UpdateResident(name="王秀英", phone="13812345678"), EventSignup(7, "王秀英", "13812345678")]
    d = send("我叫李建国，电话139 1234 5678，报名红歌合唱")
    assert d.actions[-1] == EventSignup(7, "李建国", "13912345678")


def test_number_after_the_list_picks_the_event() -> None:
    d = send("有啥活动")
    d = send("2", state=d.state)
    assert d.actions == [EventSignup(8, None, None)]


def test_full_event_still_signs_up_and_bot_words_are_shown() -> None:
    d = send("报名参观博物院")
    assert d.actions == [EventSignup(8, None, None)]
    ctx = Context(config=CFG, events=ALL)
    out = Outcome(d.actions[0], True, data={"status": "waitlist"}, message="「参观河南博物院」名额已满，已把您排进候补名单。")
    assert "候补" in compose(d, [out], ctx)


def test_ambiguous_signup_asks_which() -> None:
    d = send("我要报名")
    assert d.actions == [] and "哪个活动" in d.reply


def test_single_event_needs_no_number() -> None:
    assert send("报名", evs=[SONG]).actions == [EventSignup(7, None, None)]


def test_already_registered() -> None:
    d = send("报名电影")
    assert d.actions == [] and "已经报名" in d.reply


@pytest.mark.parametrize("text", ["取消报名", "电影不去了", "取消报名电影"])
def test_cancel(text: str) -> None:
    assert send(text).actions == [EventCancel(9)]


def test_cancel_without_registration() -> None:
    d = send("取消报名", evs=[SONG])
    assert d.actions == [] and "没有报名" in d.reply


def test_activity_room_is_not_an_event() -> None:
    assert not events.matches_explicit(Inbound("o", "text", "活动室的灯坏了"), Context(config=CFG, events=ALL))


@pytest.mark.parametrize(
    ("text", "word"),
    [("社区几点上班", "办公时间"), ("办房产证要带啥", "不动产证"), ("老年证咋办", "老年优待证"), ("低保怎么申请", "低保"),
     ("80岁补贴咋领", "高龄补贴"), ("暖气费在哪交", "暖气费")],
)
def test_faq(text: str, word: str) -> None:
    answer = faq.answer(text, CFG.faq)
    assert answer and word in answer


def test_faq_no_match() -> None:
    assert faq.answer("楼道灯不亮", CFG.faq) is None


def test_ordinal_picks_the_list_position_not_a_title_word() -> None:
    # "第一个" must not pick 「智能手机课（第一期）」 because its title holds 第一.
    phone_class = EventView(10, "智能手机使用课（第一期）", datetime(2026, 12, 8, 14, 0), "一楼", 2, 0)
    d = send("报名第一个 张桂兰 13812345678", [SONG, MUSEUM, phone_class])
    assert EventSignup(SONG.id, "张桂兰", "13812345678") in d.actions


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("社区卫生服务站周末开门不？", "卫生服务站"),  # not the community office's hours
        ("卫生站几点开门 想去量血压", "卫生服务站"),
        ("社区电话多少", "社区服务中心"),
        ("社区几点上班", "社区服务中心"),
        ("派出所电话谁知道", "派出所"),
        ("派出所周六上班不 办身份证", "派出所"),
        ("物业的电话换了吗 打不通", "物业服务中心"),
        ("俺住供电局家属院，停水停电的通知在哪能看着", "公告栏"),
    ],
)
def test_faq_answers_about_the_place_asked(text: str, place: str) -> None:
    answer = faq.answer(text, CFG.faq)
    assert answer and place in answer, answer


def test_faq_place_names_longest_wins() -> None:
    assert faq.named_place("社区卫生服务站几点开门", CFG.faq) == "社区卫生服务站"
    assert faq.named_place("社区几点开门", CFG.faq) == "社区"
    assert faq.named_place("老年证咋办", CFG.faq) is None


def test_question_about_the_health_station_end_to_end() -> None:
    d = send("社区卫生服务站周末开门不？")
    assert d.actions == [] and "卫生服务站" in d.reply and "周日" in d.reply
    d = send("社区电话多少")
    assert d.actions == [] and "0371-6000 0001" in d.reply


@pytest.mark.parametrize(
    ("text", "word"),
    [("bu dong chan zheng zen me ban", "不动产证"), ("lao nian zheng zen me ban", "老年优待证"),
     ("wei sheng zhan ji dian kai men", "卫生服务站")],
)
def test_faq_in_pinyin(text: str, word: str) -> None:
    answer = faq.answer(text, CFG.faq)
    assert answer and word in answer, answer
