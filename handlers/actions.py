"""What `bot` must do for a decision, each action with the words its outcome earns.

An action says what it needs said (`reply` when it worked, `failed` when not), so a new action is
one class here or beside its handler; `handlers.replies.compose` asks the action, never its type.
`bot.services.actions.run.executes` pairs each action with the one function that carries it out.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.vocabulary import STATUS_LABELS
from bot.domain.wording import media_words
from handlers.base import Action, Context, Outcome
from handlers.replies import courtyard_label
from handlers.state import Held


@dataclass(frozen=True)
class CreateTicket(Action):
    category: str
    subcategory: str | None
    courtyard: str | None
    text: str
    urgent: bool = False
    confidence: float = 1.0
    media: Held = ()  # every photo / voice held for it, in the order sent
    emergency: str | None = None  # handlers.emergency kind (person, fire, gas, lift, …) when one

    def reply(self, out: Outcome, ctx: Context) -> str | None:
        where = courtyard_label(ctx.config, self.courtyard)
        if self.emergency:  # never "报修" when someone may be in danger
            head = "已按紧急求助登记" if self.emergency in ("person", "lift") else "已按紧急情况登记"
            hours = f"{ctx.config.urgent_accept_hours:g}"
            return (f"{head}，工单号 {out.ref}，楼院：{where}。"
                    f"已同时通知理事会和社区工作人员，{hours} 小时内一定有人联系您。")
        head = {"repair": "已受理您的报修", "grievance": "已受理您反映的问题"}.get(self.category, "您的问题已登记")
        tail = "已按紧急情况通知理事会，会尽快有人联系您。" if self.urgent else "理事会会尽快安排，有进展会通知您。"
        return f"{head}，工单号 {out.ref}，楼院：{where}。{tail}"

    def failed(self, out: Outcome) -> str:
        return "对不起，刚才没登记上，请过一会儿再发一次。"


@dataclass(frozen=True)
class BindCourtyard(Action):
    courtyard: str

    def reply(self, out: Outcome, ctx: Context) -> str | None:
        return f"好的，记住了：您是{courtyard_label(ctx.config, self.courtyard)}的。"


@dataclass(frozen=True)
class SetCourtyard(Action):
    """The resident names the courtyard of a ticket opened without one (urgent: opened at once)."""

    courtyard: str
    ref: str | None = None  # None: the sender's newest open ticket that has no courtyard


@dataclass(frozen=True)
class UpdateResident(Action):
    unit: str | None = None
    phone: str | None = None
    name: str | None = None
    no_default_offer: bool = False  # said 2 to 以后默认…？


@dataclass(frozen=True)
class MoveTicket(Action):
    """不对，是15号院: the ticket just made belongs to another courtyard."""

    ref: str
    courtyard: str


@dataclass(frozen=True)
class AttachMedia(Action):
    """Photos, videos or voices for a ticket (one message's, or all those held meanwhile): its member is told once."""

    ref: str
    media: Held
    note: str = ""

    def reply(self, out: Outcome, ctx: Context) -> str | None:
        return f"{media_words([m.kind for m in self.media])}已补充到工单 {out.ref or self.ref}。"


@dataclass(frozen=True)
class Withdraw(Action):
    ref: str
    said: str = ""  # the resident's words (the member is told them)

    def reply(self, out: Outcome, ctx: Context) -> str | None:
        who = out.data.get("member")
        told = f"已告诉{who}不用来了。" if who else "不会再派人了。"
        return f"好的，工单 {out.ref or self.ref} 已撤销，{told}"


@dataclass(frozen=True)
class EscalateTicket(Action):
    """The resident reports danger about a ticket already open: make it urgent, tell its member and staff."""

    ref: str
    said: str
    emergency: str | None = None

    def reply(self, out: Outcome, ctx: Context) -> str | None:
        who = out.data.get("assignee")
        told = f"已马上通知{who}和社区工作人员" if who else "已马上通知理事会和社区工作人员"
        return f"您的工单 {out.ref or self.ref} 已改为紧急，{told}。"


@dataclass(frozen=True)
class HandOff(Action):
    """The resident asks for a person: staff are told; the bot is quiet until `minutes` pass or release."""

    said: str
    minutes: float


@dataclass(frozen=True)
class AddToTicket(Action):
    """Words (or a voice) about an open ticket: kept on it and relayed to its member."""

    ref: str
    text: str
    media: Held = ()
    repeat: bool = False  # the same complaint again: the resident is told it is in hand

    def reply(self, out: Outcome, ctx: Context) -> str | None:
        who = out.data.get("member")
        told = f"已转告{who}" if who else "已转告理事会"
        ref = out.ref or self.ref
        if self.repeat:
            return (f"这件事已经在办了（工单 {ref}，{STATUS_LABELS.get(out.data.get('status', ''), '办理中')}）。"
                    f"您说的已记上，{told}，有进展马上告诉您。")
        shown = [m.kind for m in self.media if m.kind != "voice"]  # (a voice is the message itself)
        with_media = f"（连同{' ' * (len(shown) > 1)}{media_words(shown)}）" if shown else ""
        return f"已补充到工单 {ref}{with_media}，{told}。"


@dataclass(frozen=True)
class CouncilCommand(Action):
    verb: str  # accept | return | progress | finish
    ref: str
    note: str = ""

    def reply(self, out: Outcome, ctx: Context) -> str | None:
        ref = out.ref or self.ref
        return {
            "accept": f"已接单 {ref}，请尽快处理。办好后回复：办结 {ref} 说明",
            "return": f"已退单 {ref}，社区会重新派单。",
            "progress": f"进展已记下（{ref}），会告诉居民。",
            "finish": f"已办结 {ref}，辛苦了！有现场照片可以直接发过来，会附在工单上。",
        }.get(self.verb, f"已处理 {ref}。")

    def failed(self, out: Outcome) -> str:
        return f"没办成：工单 {self.ref} 现在不能这样操作。"


@dataclass(frozen=True)
class CallbackAnswer(Action):
    ref: str
    solved: bool | None
    rating: int | None = None
    note: str = ""
    complaint: str = ""  # a rating given with a complaint (4分 就是来得太慢): kept on the ticket for staff

    def reply(self, out: Outcome, ctx: Context) -> str | None:
        if self.solved is False:
            return f"对不起，没给您办好。已重新交给理事会办理（工单 {out.ref or self.ref}），会尽快再联系您。"
        return "谢谢您的评价！以后有事随时找我们。"


@dataclass(frozen=True)
class LateRating(Action):
    """A rating sent after the "solved" answer closed the ticket."""

    ref: str
    rating: int
    note: str = ""


@dataclass(frozen=True)
class EventSignup(Action):
    event_id: int
    name: str | None = None
    phone: str | None = None
    guest: str = ""  # a second place, for this person (named by the resident)

    def reply(self, out: Outcome, ctx: Context) -> str | None:
        return "报名成功！"


@dataclass(frozen=True)
class EventCancel(Action):
    event_id: int
    guest: str = ""  # one of the places taken for others (老伴, 同行2 or a name); "" the resident's own

    def reply(self, out: Outcome, ctx: Context) -> str | None:
        return "已取消报名。"


@dataclass(frozen=True)
class PushDelivered(Action):
    msg_id: str | None
    status: str
