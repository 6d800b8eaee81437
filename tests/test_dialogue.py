"""The dialogue state machine driven through `handlers.conversation.decide()` (pure, no I/O).

The real classifier runs under every test; the low-confidence cases use messages the model really
is unsure about ("楼下那个事"), so the menu is reached the way a resident reaches it.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import load
from bot.domain.wording import MAX_BYTES
from handlers.actions import (
    AddToTicket,
    AttachMedia,
    BindCourtyard,
    CreateTicket,
    PushDelivered,
    SetCourtyard,
    UpdateResident,
    Withdraw,
)
from handlers.base import Context, Decision, EventView, Inbound, Outcome, TicketView
from handlers.conversation import decide
from handlers.progress import Urge
from handlers.replies import compose
from handlers.state import DialogueState, MediaRef

CFG = load("config.example.toml")
class Chat:
    """One resident's conversation: feeds decision.state back like bot does with Redis."""

    def __init__(self, courtyard: str | None = None, **ctx: object) -> None:
        self.courtyard, self.state, self.ctx = courtyard, DialogueState(), ctx
        self.last: Decision | None = None

    def context(self) -> Context:
        return Context(config=CFG, courtyard=self.courtyard, state=self.state, **self.ctx)

    def send(self, text: str = "", kind: str = "text", **fields: object) -> Decision:
        d = decide(Inbound("o-resident", kind, text, **fields), self.context())
        self.state = d.state or DialogueState()
        for a in d.actions:
            if isinstance(a, BindCourtyard):
                self.courtyard = a.courtyard
        self.last = d
        return d

    def reply(self, ref: str = "R1024") -> str | None:
        assert self.last is not None
        outs = [Outcome(a, True, ref=ref if isinstance(a, CreateTicket) else None) for a in self.last.actions]
        return compose(self.last, outs, self.context())


def tickets(d: Decision) -> list[CreateTicket]:
    return [a for a in d.actions if isinstance(a, CreateTicket)]


# --- first contact and the courtyard ----------------------------------------------------------


def test_subscribe_greets_and_asks_for_the_courtyard_once() -> None:
    chat = Chat()
    d = chat.send(kind="event", event="subscribe")
    assert "欢迎" in d.reply and "粮食局家属院" in d.reply and "3" in d.reply
    d = chat.send("3")
    assert d.actions == [BindCourtyard("c3")]
    assert chat.state.step is None


def test_subscribe_greeting_question_is_optional() -> None:
    chat = Chat()
    chat.send(kind="event", event="subscribe")
    d = chat.send("3号院楼道灯不亮了")
    assert d.actions[0] == BindCourtyard("c3") and tickets(d)[0].courtyard == "c3"
    assert chat.state.step is None


def test_subscribe_when_bound_does_not_ask() -> None:
    d = Chat("c3").send(kind="event", event="subscribe")
    assert "哪个院" not in d.reply


def test_courtyard_qr_code_binds() -> None:
    d = Chat().send(kind="event", event="subscribe", event_key="qrscene_c5")
    assert d.actions == [BindCourtyard("c5")]


def test_unbound_resident_is_asked_then_answers_with_a_name() -> None:
    chat = Chat()
    d = chat.send("楼道灯不亮了")
    assert d.actions == [] and "哪个院" in d.reply and chat.state.step == "ask_courtyard"
    d = chat.send("粮食局家属院")
    (t,) = tickets(d)
    assert (t.courtyard, t.category, t.text) == ("c3", "repair", "楼道灯不亮了")
    text = chat.reply()
    assert "R1024" in text and "育英街3号院（粮食局家属院）" in text and "以后默认是3号院吗" in text
    d = chat.send("是")
    assert d.actions == [BindCourtyard("c3")]


@pytest.mark.parametrize("answer", ["3", "三号院", "粮食局院", "3号", "育英街3号院"])
def test_courtyard_answers(answer: str) -> None:
    chat = Chat()
    chat.send("楼道灯不亮了")
    assert tickets(chat.send(answer))[0].courtyard == "c3"


def test_declining_the_default() -> None:
    chat = Chat()
    chat.send("楼道灯不亮了")
    chat.send("3")
    d = chat.send("不用了")
    assert d.actions == [UpdateResident(no_default_offer=True)] and chat.courtyard is None  # remembered, not bound


def test_unknown_courtyard_twice_registers_anyway() -> None:
    chat = Chat()
    chat.send("楼道灯不亮了")
    d = chat.send("不知道啊")
    assert d.actions == [] and "没认出" in d.reply
    d = chat.send("就是育英街那边")
    (t,) = tickets(d)
    assert t.courtyard is None and t.text == "楼道灯不亮了"
    assert "待确认" in chat.reply()


def test_courtyard_named_in_the_text_needs_no_question() -> None:
    chat = Chat()
    d = chat.send("俺是粮食局家属院的，2号楼下水道堵了")
    assert tickets(d)[0].courtyard == "c3"
    assert chat.state.pending.offer == "c3"


def test_courtyard_in_text_beats_the_binding() -> None:
    d = Chat("c1").send("5号院门口的路灯坏了")
    assert tickets(d)[0].courtyard == "c5"
    assert "以后默认" not in (d.reply or "")


def test_bound_resident_gets_a_ticket_at_once() -> None:
    d = Chat("c3").send("3号楼楼道灯不亮")
    assert tickets(d)[0].courtyard == "c3"


def test_location_message_finds_the_nearest_courtyard() -> None:
    chat = Chat()
    d = chat.send(kind="location", lat=34.7478, lon=113.6254)
    assert "育英街3号院" in d.reply and "以后默认" in d.reply
    assert chat.send("好").actions == [BindCourtyard("c3")]


def test_location_answers_the_courtyard_question() -> None:
    chat = Chat()
    chat.send("楼道灯不亮了")
    assert tickets(chat.send(kind="location", lat=34.7510, lon=113.6268))[0].courtyard == "c19"


def test_location_far_away() -> None:
    assert "不在" in Chat().send(kind="location", lat=39.9, lon=116.4).reply


# --- low confidence: the menu -----------------------------------------------------------------


def _vague() -> str:
    """A vague message the current model really is unsure about (which one moves as the corpus grows)."""
    from handlers.classify import classify

    for text in ("那个事儿", "楼下那个事", "楼上那个事", "楼下那个情况", "有个事反映一下", "那件事咋说"):
        c = classify(text)
        if c.category != "other" and c.confidence < CFG.confidence_threshold:
            return text
    raise AssertionError("the model is sure about every vague message")


VAGUE = _vague()


def test_low_confidence_menu_then_1_is_a_repair() -> None:
    chat = Chat("c3")
    d = chat.send(VAGUE)
    assert d.actions == [] and "1 报修" in d.reply and "4 咨询" in d.reply
    assert chat.state.request.text == VAGUE
    (t,) = tickets(chat.send("1"))
    assert (t.category, t.courtyard, t.text) == ("repair", "c3", VAGUE)


@pytest.mark.parametrize(("answer", "category"), [("2", "grievance"), ("投诉", "grievance"), ("报修", "repair")])
def test_menu_choices(answer: str, category: str) -> None:
    chat = Chat("c3")
    chat.send(VAGUE)
    assert tickets(chat.send(answer))[0].category == category


def test_menu_then_unbound_asks_the_courtyard() -> None:
    chat = Chat()
    chat.send(VAGUE)
    d = chat.send("1")
    assert d.actions == [] and "哪个院" in d.reply
    assert tickets(chat.send("粮食局家属院"))[0].courtyard == "c3"


def test_menu_answered_with_more_words_reads_both() -> None:
    chat = Chat("c3")
    chat.send(VAGUE)
    (t,) = tickets(chat.send("楼道里的灯"))
    assert t.text == f"{VAGUE}，楼道里的灯" and t.category == "repair"


def test_menu_twice_unclear_still_registers() -> None:
    chat = Chat("c3")
    chat.send(VAGUE)
    (t,) = tickets(chat.send("就是那个"))  # still unclear: registered with the best guess, not asked again
    assert t.text == f"{VAGUE}，就是那个" and t.courtyard == "c3"


def test_menu_choice_event_lists_events() -> None:
    chat = Chat("c3")
    chat.send(VAGUE)
    d = chat.send("3")
    assert d.actions == [] and "活动" in d.reply


# --- urgency ----------------------------------------------------------------------------------


def test_urgent_message_gives_emergency_numbers_first() -> None:
    chat = Chat("c3")
    d = chat.send("楼道里电线掉下来了还冒烟")
    (t,) = tickets(d)
    assert t.urgent
    text = chat.reply()
    assert text.startswith("⚠️") and text.index("119") < text.index("R1024")
    assert CFG.emergency.power in text.split("\n")[0]  # the numbers for this danger, not the whole list


def test_urgent_and_unbound_still_gives_numbers_first() -> None:
    chat = Chat()
    d = chat.send("楼道里有股燃气味")
    assert d.urgent_notice and "119" in chat.reply().split("\n")[0]
    (t,) = tickets(d)  # opened at once, without waiting for the courtyard
    assert t.urgent and t.courtyard is None and "哪个院" in d.reply
    d = chat.send("5")
    assert SetCourtyard("c5") in d.actions and BindCourtyard("c5") in d.actions


def test_urgent_message_skips_the_menu() -> None:
    d = Chat("c3").send("快来人 着火了")
    assert tickets(d) and tickets(d)[0].urgent


# --- media ------------------------------------------------------------------------------------


def _open(ref: str, text: str, status: str = "received", day: int = 20) -> TicketView:
    return TicketView(ref, status, "repair", "c3", text, datetime(2026, 11, day, 9))


def test_photo_right_after_a_repair_is_attached() -> None:
    chat = Chat("c3")
    chat.send("3号楼楼道灯不亮")
    chat.ctx["open_tickets"] = [_open("R1025", "3号楼楼道灯不亮")]
    d = chat.send(kind="image", media_id="PHOTO1")
    assert d.actions == [AttachMedia("R1025", (MediaRef("PHOTO1", "image"),), "")]
    assert "照片已补充到工单 R1025" in compose(d, [Outcome(d.actions[0], True, ref="R1025")], chat.context())


def test_photo_with_two_open_tickets_asks_which_then_attaches() -> None:
    chat = Chat("c3")
    chat.send("3号楼楼道灯不亮")
    chat.ctx["open_tickets"] = [_open("R1025", "3号楼楼道灯不亮"), _open("R1001", "别的事", day=1)]
    d = chat.send(kind="image", media_id="PHOTO1")
    assert d.actions == [] and "是补充工单 R1025" in (d.reply or "")
    d = chat.send("1")
    assert d.actions == [AttachMedia("R1025", (MediaRef("PHOTO1", "image"),), "")]


def test_photos_while_asked_which_are_held_in_order_up_to_nine_and_attached_on_1() -> None:
    chat = Chat("c3")
    chat.send("3号楼楼道灯不亮")
    chat.ctx["open_tickets"] = [_open("R1025", "3号楼楼道灯不亮"), _open("R1001", "别的事", day=1)]
    replies_seen = [chat.send(kind="image", media_id=f"P{i}").reply or "" for i in range(10)]
    assert "是补充工单 R1025" in replies_seen[0]
    assert all("回 1" not in r for r in replies_seen[1:])  # the question is asked once, not per photo
    assert replies_seen[8] == "收到了，一共 9 张照片。"
    assert "没收下" in replies_seen[9] and "最多先收 9 张" in replies_seen[9]
    d = chat.send("1")
    assert d.actions == [AttachMedia("R1025", tuple(MediaRef(f"P{i}", "image") for i in range(9)))]
    assert "9 张照片已补充到工单 R1025" in (chat.reply() or "")
    assert chat.state.media == ()


def test_voice_right_after_a_repair_is_attached() -> None:
    chat = Chat("c3")
    chat.send("下水道堵了")
    chat.ctx["open_tickets"] = [_open("R1025", "下水道堵了")]
    d = chat.send("就在二单元门口", kind="voice", media_id="VOICE1")
    assert d.actions == [AddToTicket("R1025", "就在二单元门口", (MediaRef("VOICE1", "voice"),))]  # the words and the voice


def test_photo_first_then_words() -> None:
    chat = Chat("c3")
    d = chat.send(kind="image", media_id="PHOTO1")
    assert d.actions == [] and "哪个院" in d.reply
    (t,) = tickets(chat.send("楼道灯坏了"))
    assert t.media == (MediaRef("PHOTO1", "image"),)
    assert chat.state.media == ()


def test_voice_uses_its_recognition_text() -> None:
    chat = Chat("c3")
    (t,) = tickets(chat.send("三号院二号楼的楼道灯不亮了", kind="voice", media_id="VOICE1"))
    assert t.text == "三号院二号楼的楼道灯不亮了" and t.media == (MediaRef("VOICE1", "voice"),)


def test_voice_without_recognition() -> None:
    d = Chat("c3").send("", kind="voice", media_id="VOICE1")
    assert d.actions == [] and "没听清" in d.reply


# --- withdraw and progress --------------------------------------------------------------------


def test_cancel_withdraws_the_newest_open_ticket() -> None:
    chat = Chat("c3", open_tickets=[_open("R1025", "灯不亮"), _open("R1001", "堵了", day=1)])
    d = chat.send("取消")
    assert d.actions == [Withdraw("R1025")]
    assert "R1025 已撤销" in compose(d, [Outcome(d.actions[0], True, ref="R1025")], chat.context())


def test_cancel_a_named_ticket() -> None:
    d = Chat("c3", open_tickets=[_open("R1025", "灯不亮"), _open("R1001", "堵了", day=1)]).send("撤销r1001")
    assert d.actions == [Withdraw("R1001", "撤销r1001")]


def test_cancel_drops_a_pending_request() -> None:
    chat = Chat()
    chat.send("楼道灯不亮了")
    d = chat.send("不用了")
    assert d.actions == [] and "取消" in d.reply and not chat.state.pending


def test_cancel_with_nothing_open() -> None:
    d = Chat("c3").send("取消")
    assert d.actions == [] and "没有" in d.reply


@pytest.mark.parametrize("text", ["我的工单", "进度", "我报的修咋样了", "查工单", "R1025进度"])
def test_my_tickets_lists_open_tickets_with_status(text: str) -> None:
    open_ = [_open("R1025", "楼道灯不亮", "accepted"), _open("R1001", "下水道堵了", "triage", day=1)]
    d = Chat("c3", open_tickets=open_).send(text)
    assert d.actions == [] and "R1025" in d.reply and "办理中" in d.reply
    if text != "R1025进度":
        assert "R1001" in d.reply and "待分派" in d.reply


def test_my_tickets_when_there_are_none() -> None:
    assert "没有" in Chat("c3").send("我的工单").reply


def test_all_status_names() -> None:
    statuses = ["received", "dispatched", "accepted", "awaiting_callback", "triage"]
    open_ = [_open(f"R{i}", "事", s) for i, s in enumerate(statuses)]
    reply = Chat("c3", open_tickets=open_).send("我的工单").reply
    for word in ("已受理", "已派单", "办理中", "待回访", "待分派"):
        assert word in reply


# --- platform events and odd messages ---------------------------------------------------------


def test_template_delivery_event() -> None:
    d = Chat().send(kind="event", event="templatesendjobfinish", msg_id="123", status="success")
    assert d.actions == [PushDelivered("123", "success")] and d.reply is None


def test_unsubscribe_says_nothing_and_clears_state() -> None:
    chat = Chat()
    chat.state = {"step": "menu", "pending": {"text": "x"}}
    d = chat.send(kind="event", event="unsubscribe")
    assert d.reply is None and d.state is None and d.actions == []


@pytest.mark.parametrize(("key", "word"), [("MY_TICKETS", "工单"), ("EVENTS", "活动"), ("REPORT", "问题"), ("HELP", "我的工单")])
def test_menu_clicks(key: str, word: str) -> None:
    d = Chat().send(kind="event", event="click", event_key=key)
    assert word in d.reply


@pytest.mark.parametrize("text", ["", "   ", "😊😊", "[微笑]", "👍", "。。。"])
def test_empty_or_emoji_gets_a_friendly_reply(text: str) -> None:
    d = Chat("c3").send(text)
    assert d.actions == [] and d.reply


def test_unknown_message_type() -> None:
    d = Chat().send(kind="unknown")
    assert d.actions == [] and "看不懂" in d.reply


def test_greetings_and_thanks_get_no_ticket() -> None:
    for text in ("谢谢", "你好"):
        d = Chat("c3").send(text)
        assert d.actions == [] and d.reply


def test_inquiry_answered_by_faq_needs_no_ticket() -> None:
    d = Chat("c3").send("老年证怎么办")
    assert d.actions == [] and "老年优待证" in d.reply


def test_inquiry_without_faq_becomes_an_inquiry_ticket() -> None:
    (t,) = tickets(Chat("c3").send("物业费咋交"))
    assert t.category == "inquiry"


def test_resident_details_from_the_message() -> None:
    d = Chat("c3").send("我住2号楼3单元501，楼道灯坏了，电话13812345678")
    assert UpdateResident(unit="2号楼3单元501", phone="13812345678") in d.actions


def test_event_messages_go_to_events() -> None:
    ev = EventView(7, "红歌合唱", datetime(2026, 12, 5, 9), "党群服务中心", 30, 3)
    d = Chat("c3", events=[ev]).send("有啥活动")
    assert "红歌合唱" in d.reply


def test_reply_never_exceeds_2048_bytes() -> None:
    chat = Chat("c3")
    chat.last = Decision(reply="很长的话" * 400, urgent_notice="⚠️ 119")
    text = chat.reply()
    assert len(text.encode("utf-8")) <= MAX_BYTES and text.endswith("…") and text.startswith("⚠️")


# --- the real classifier on clear messages ----------------------------------------------------


def test_with_the_real_classifier() -> None:
    chat = Chat()
    d = chat.send("楼道里的灯坏了，晚上黑乎乎的看不见")
    assert d.actions == [] and "哪个院" in d.reply
    (t,) = tickets(chat.send("粮食局家属院"))
    assert (t.category, t.courtyard) == ("repair", "c3")
    assert Chat("c3").send("谢谢你们").actions == []


# --- never raises, never too long ---------------------------------------------------------------

WORDS = ["3号院", "粮食局", "灯", "坏了", "取消", "我的工单", "1", "0", "5分", "报名", "接单 R1", "漏电", "没修好",
         "😊", "是", "不用了", "有啥活动", "退单", "办结", "R1025", " ", "，", "2号楼3单元501", "13812345678"]
STATES = [{}, {"step": "ask_courtyard"}, {"step": "menu", "pending": {"text": "那个", "category": "repair"}},
          {"step": "ask_courtyard", "pending": {"text": "灯坏了", "category": "repair"}, "asked": 2},
          {"step": "confirm_bind", "offer": "c3"}, {"step": "event_pick"}, {"last": {"text": "灯坏了"}},
          {"finish_photo": "R1"}, {"media": {"media_id": "M", "kind": "image"}}]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    parts=st.lists(st.sampled_from(WORDS) | st.text(max_size=8), max_size=5),
    kind=st.sampled_from(["text", "voice", "image", "location", "link", "unknown"]),
    state=st.sampled_from(STATES),
    member=st.booleans(),
    bound=st.sampled_from([None, "c3"]),
)
def test_decide_never_fails(parts: list[str], kind: str, state: dict, member: bool, bound: str | None) -> None:
    open_ = [_open("R1025", "灯坏了"), _open("R1", "堵了", "awaiting_callback", day=1)]
    ev = EventView(7, "红歌合唱", datetime(2026, 12, 5, 9), "党群服务中心", 1, 1)
    ctx = Context(config=CFG, courtyard=bound, state=dict(state), open_tickets=open_,
                  awaiting_callback=open_[1:], events=[ev], member=CFG.member("o-sample-c3-2") if member else None)
    msg = Inbound("o", kind, "".join(parts), media_id="M1", lat=34.7478 if kind == "location" else None, lon=113.6254)
    d = decide(msg, ctx)
    outs = [Outcome(a, True, ref="R9") for a in d.actions]
    text = compose(d, outs, ctx)
    assert text is None or len(text.encode("utf-8")) <= MAX_BYTES
    assert d.state is None or isinstance(d.state, DialogueState)


@pytest.mark.parametrize("text", ["我报的修有进展吗", "啥时候来修啊", "咋还没人来"])
def test_progress_questions_with_open_tickets(text: str) -> None:
    d = Chat("c3", open_tickets=[_open("R1025", "楼道灯不亮", "dispatched")]).send(text)
    if d.actions:  # issue 26: "咋还没人来" presses on the ticket (催办): where it stands, and its member prodded
        (urge,) = d.actions
        assert isinstance(urge, Urge) and urge.ref == "R1025"
    else:
        assert "R1025" in d.reply and "已派" in d.reply


def test_courtyard_answer_with_details_keeps_them() -> None:
    chat = Chat()
    chat.send("楼道灯不亮了")
    (t,) = tickets(chat.send("粮食局院3号楼"))
    assert t.courtyard == "c3" and t.text == "楼道灯不亮了（粮食局院3号楼）"
