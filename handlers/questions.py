"""The questions the bot asks a resident, and what they carry: each a `Question` subclass (which
question, what its answer needs, when it was asked), kept as `DialogueState.pending` between two
messages. Also the request a question waits on and the photos held meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

MAX_HELD = 9  # WeChat's album sends at most 9 at a time


class Step:
    """The tags of the questions below (their names in the stored JSON)."""

    ASK_COURTYARD = "ask_courtyard"  # 请问是哪个院的事？
    CONFIRM_BIND = "confirm_bind"  # 以后默认是3号院吗？
    MENU = "menu"  # 1 报修 2 投诉 3 活动 4 咨询
    EVENT_PICK = "event_pick"  # the event list was shown: a number picks one
    CONFIRM_WITHDRAW = "confirm_withdraw"  # 是要撤销 R1001 吗？
    FOLLOWUP_OR_NEW = "followup_or_new"  # 是补充 R1001，还是另一件事？
    RATE_AFTER = "rate_after"  # 修好了 → 再回个数字打个分吧

@dataclass(frozen=True)
class MediaRef:
    media_id: str
    kind: str  # image | voice | video


Held = tuple[MediaRef, ...]  # photos, videos, voices waiting for a ticket, in the order sent


def hold(held: Held, item: MediaRef) -> Held | None:
    """`held` with `item` added at the end (already held: unchanged); None when it is full."""
    if item in held:
        return held
    return (*held, item) if len(held) < MAX_HELD else None

@dataclass(frozen=True)
class Request:
    """A request waiting for an answer (the courtyard, the category) before it becomes a ticket."""

    text: str
    category: str
    subcategory: str | None = None
    confidence: float = 1.0
    urgent: bool = False
    media: Held = ()
    emergency: str | None = None  # handlers.emergency kind when it is one

@dataclass(frozen=True, kw_only=True)
class Question:
    """The question the last reply asked: the subclass says which (`tag`, its name in the stored JSON),
    its fields what the answer needs; `at` is when it was asked (its timeout counts from there).

    A subclass registers itself by its tag, so a behaviour's own question can be declared beside its
    handler (`class TimeAsked(Question, tag="ask_time")`). Its fields hold plain JSON values (str, int,
    float, bool, None) or a `Request`; the conversation's table maps the class to its handlers.
    """

    tag: ClassVar[str] = ""
    kinds: ClassVar[dict[str, type[Question]]] = {}  # tag → class, for reading the stored JSON
    at: float | None = None  # epoch seconds (ctx.now) when asked

    def __init_subclass__(cls, tag: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if tag:
            if tag in Question.kinds:
                raise ValueError(f"two questions are tagged {tag!r}")
            cls.tag = tag
            Question.kinds[tag] = cls


@dataclass(frozen=True)
class CourtyardAsked(Question, tag=Step.ASK_COURTYARD):
    """请问是哪个院的事？ (or 您说的是…吗？ when `guess`)."""

    request: Request | None = None  # None: the greeting's question (the resident's own courtyard)
    asked: int = 0  # how many times it was asked
    placed: bool = False  # the request is a ticket already (urgent): the answer moves it
    guess: str | None = None  # the courtyard only guessed from an organisation's name


@dataclass(frozen=True)
class BindOffered(Question, tag=Step.CONFIRM_BIND):
    """以后默认是3号院吗？"""

    offer: str


@dataclass(frozen=True)
class MenuShown(Question, tag=Step.MENU):
    """1 报修 2 投诉 3 活动 4 咨询 — for a request not understood."""

    request: Request


@dataclass(frozen=True)
class EventsListed(Question, tag=Step.EVENT_PICK):
    """The event list was shown: a number picks one."""


@dataclass(frozen=True)
class WithdrawAsked(Question, tag=Step.CONFIRM_WITHDRAW):
    """是要撤销 R1001 吗？"""

    ref: str
    said: str = ""  # the resident's words, passed on when it is withdrawn


@dataclass(frozen=True)
class FollowUpAsked(Question, tag=Step.FOLLOWUP_OR_NEW):
    """是补充 R1001，还是另一件事？ (the photos held meanwhile are the state's `media`)."""

    ref: str
    words: str | None = None  # the words waiting on the answer


@dataclass(frozen=True)
class RatingAsked(Question, tag=Step.RATE_AFTER):
    """修好了 → 再回个数字打个分吧."""

    ref: str
