"""The dialogue state: what the bot remembers about one conversation between two messages.

`bot` keeps it in Redis as JSON (`to_json` / `from_json`) with a TTL; `handlers` read and return it
as a typed, immutable value. A stored state of an unknown version (or not JSON at all) reads as a
fresh state: forgetting a half-asked question is safe, misreading one is not. Version 2 (one held
photo) is read into today's shape, so a photo held across a deploy is not lost.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

VERSION = 3  # 1 was the untyped dict of issue 10's time (no "version" key); 2 held one photo
READABLE = (2, VERSION)
MAX_HELD = 9  # WeChat's album sends at most 9 at a time


class Step:
    """The question the last reply asked (the conversation's state); None: nothing is pending."""

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


@dataclass(frozen=True)
class LastTicket:
    """The ticket just opened: a photo, a voice or a follow-up soon after goes to it."""

    text: str
    category: str
    at: float | None = None  # epoch seconds (ctx.now) when it was opened
    ref: str | None = None
    courtyard: str | None = None


@dataclass(frozen=True)
class CallbackRating:
    """A rating given before saying whether the problem is solved."""

    ref: str
    rating: int | None = None


@dataclass(frozen=True)
class DialogueState:
    version: int = VERSION
    step: str | None = None
    step_at: float | None = None  # epoch seconds when `step` was asked (its timeout counts from here)
    pending: Request | None = None
    asked: int = 0  # how many times the current question was asked
    offer: str | None = None  # the courtyard offered as the default
    placed: bool = False  # the pending request is already a ticket (urgent): the answer moves it
    last: LastTicket | None = None
    media: Held = ()  # photos sent before any words (or while asked 补充 or 新的事): they go together
    finish_photo: str | None = None  # a member's next photo belongs to this ref (after 办结)
    callback_rating: CallbackRating | None = None
    subject: str | None = None  # the ref a pending yes/no or 1/2 question is about
    held_text: str | None = None  # the words waiting on FOLLOWUP_OR_NEW
    declined_default: bool = False  # answered 2 to 以后默认…？: not asked again
    handoff_until: float | None = None  # a person has the conversation until then (epoch seconds)
    guess: str | None = None  # the courtyard only guessed from an organisation's name: 您说的是…吗？

    def settled(self, **extra: Any) -> DialogueState:
        """This state with the finished question's fields cleared, plus `extra`."""
        cleared = replace(self, step=None, step_at=None, pending=None, asked=0, offer=None, placed=False,
                          subject=None, held_text=None, guess=None)
        return replace(cleared, **extra) if extra else cleared

    def asking(self, step: str, now: float | None, **extra: Any) -> DialogueState:
        """This state with a new question asked at `now`."""
        return replace(self.settled(), step=step, step_at=now, **extra)

    def is_empty(self) -> bool:
        return self == DialogueState()

    # --- JSON ---------------------------------------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(_strip(asdict(self)), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes | None) -> DialogueState:
        if not raw:
            return cls()
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return cls()
        return cls.from_dict(data) if isinstance(data, dict) else cls()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DialogueState:
        """A state from its JSON form; another version, or a malformed one, reads as fresh."""
        if data.get("version") not in READABLE:
            return cls()
        try:
            return cls(
                step=_str(data.get("step")),
                step_at=_num(data.get("step_at")),
                pending=_request(data.get("pending")),
                asked=int(data.get("asked") or 0),
                offer=_str(data.get("offer")),
                placed=bool(data.get("placed")),
                last=_build(LastTicket, data.get("last")),
                media=_held(data.get("media")),
                finish_photo=_str(data.get("finish_photo")),
                callback_rating=_build(CallbackRating, data.get("callback_rating")),
                subject=_str(data.get("subject")),
                held_text=_str(data.get("held_text")),
                declined_default=bool(data.get("declined_default")),
                handoff_until=_num(data.get("handoff_until")),
                guess=_str(data.get("guess")),
            )
        except (TypeError, ValueError):
            return cls()


def _strip(d: dict[str, Any]) -> dict[str, Any]:
    """Defaults left out: the stored JSON stays short (most states hold one or two fields)."""
    defaults = asdict(DialogueState())
    return {k: v for k, v in d.items() if k == "version" or v != defaults.get(k)}


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _build(cls: Any, v: Any) -> Any:
    if not isinstance(v, dict):
        return None
    names = {f.name for f in fields(cls)}
    return cls(**{k: v[k] for k in names if k in v})


def _held(v: Any) -> Held:
    """Held media from JSON: a list (version 3) or one object (version 2); bad items are left out."""
    items = v if isinstance(v, list) else [v]
    refs = [_build(MediaRef, i) for i in items[:MAX_HELD]]
    return tuple(r for r in refs if r is not None and isinstance(r.media_id, str) and r.media_id)


def _request(v: Any) -> Request | None:
    if not isinstance(v, dict) or not isinstance(v.get("text"), str):
        return None
    media = _held(v.get("media"))
    return Request(text=v["text"], category=str(v.get("category") or "repair"), subcategory=_str(v.get("subcategory")),
                   confidence=float(v.get("confidence") or 1.0), urgent=bool(v.get("urgent")), media=media,
                   emergency=_str(v.get("emergency")))


def coerce(value: DialogueState | dict[str, Any] | None) -> DialogueState:
    """A state from what a caller holds: a state, its JSON dict (tests build these), or nothing."""
    if isinstance(value, DialogueState):
        return value
    if isinstance(value, dict) and value:
        return DialogueState.from_dict({"version": VERSION, **value})
    return DialogueState()


__all__ = ["MAX_HELD", "VERSION", "CallbackRating", "DialogueState", "Held", "LastTicket", "MediaRef", "Request", "Step",
           "coerce", "hold"]
