"""The dialogue state: what the bot remembers about one conversation between two messages.

`bot` keeps it in Redis as JSON (`to_json` / `from_json`) with a TTL; `handlers` read and return it
as a typed, immutable value. The question the last reply asked is one field, `pending`: a `Question`
subclass (which question, what its answer needs, when it was asked). A stored state of an unknown
version (or not JSON at all) reads as a fresh state: forgetting a half-asked question is safe,
misreading one is not. Versions 2 (one held photo) and 3 (the question in flat fields) are read into
today's shape, so a question or a photo held across a deploy is not lost.
"""

from __future__ import annotations

import functools
import json
from dataclasses import MISSING, asdict, dataclass, fields, replace
from typing import Any, get_args, get_type_hints

from handlers.questions import (
    MAX_HELD,
    BindOffered,
    CourtyardAsked,
    EventsListed,
    FollowUpAsked,
    Held,
    MediaRef,
    MenuShown,
    Question,
    RatingAsked,
    Request,
    Step,
    WithdrawAsked,
    hold,
)

VERSION = 4  # 1: the untyped dict of issue 10's time (no "version" key); 2 held one photo; 3 kept the
READABLE = (2, 3, VERSION)  # pending question in nine flat fields (step, step_at, pending, asked, …)



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
    pending: Question | None = None  # the question the last reply asked, waiting for its answer
    last: LastTicket | None = None
    media: Held = ()  # photos sent before any words (or while asked 补充 or 新的事): they go together
    finish_photo: str | None = None  # a member's next photo belongs to this ref (after 办结)
    callback_rating: CallbackRating | None = None
    declined_default: bool = False  # answered 2 to 以后默认…？: not asked again
    handoff_until: float | None = None  # a person has the conversation until then (epoch seconds)

    @property
    def step(self) -> str | None:
        """The pending question's tag (None: nothing asked)."""
        return self.pending.tag if self.pending is not None else None

    @property
    def request(self) -> Request | None:
        """The request waiting on the pending question (which courtyard? which kind?), if any."""
        q = self.pending
        return q.request if isinstance(q, CourtyardAsked | MenuShown) else None

    def settled(self, **extra: Any) -> DialogueState:
        """This state with the question answered (or dropped), plus `extra`."""
        return replace(self, pending=None, **extra)

    def asking(self, question: Question, now: float | None, **extra: Any) -> DialogueState:
        """This state with `question` asked at `now`."""
        return replace(self, pending=replace(question, at=now), **extra)

    def is_empty(self) -> bool:
        return self == DialogueState()

    # --- JSON ---------------------------------------------------------------------------------

    def to_json(self) -> str:
        data = _strip(asdict(replace(self, pending=None)))
        if self.pending is not None:
            data["pending"] = _question_dict(self.pending)
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"))

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
        version = data.get("version")
        if version not in READABLE:
            return cls()
        try:
            return cls(
                pending=_question(data.get("pending")) if version == VERSION else _flat_question(data),
                last=_build(LastTicket, data.get("last")),
                media=_held(data.get("media")),
                finish_photo=_str(data.get("finish_photo")),
                callback_rating=_build(CallbackRating, data.get("callback_rating")),
                declined_default=bool(data.get("declined_default")),
                handoff_until=_num(data.get("handoff_until")),
            )
        except (TypeError, ValueError):
            return cls()


@functools.cache
def _state_defaults() -> dict[str, Any]:
    return asdict(DialogueState())


# The defaults and type hints of a class, worked out once per class, not on every message (the
# state is read and written for each: get_type_hints evaluates every annotation anew).
_HINTS: dict[type, dict[str, Any]] = {}
_DEFAULTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = _HINTS[cls] = get_type_hints(cls)
    return hints


def _defaults(cls: type) -> dict[str, Any]:
    defaults = _DEFAULTS.get(cls)
    if defaults is None:
        defaults = _DEFAULTS[cls] = {f.name: f.default for f in fields(cls) if f.default is not MISSING}
    return defaults


def _strip(d: dict[str, Any]) -> dict[str, Any]:
    """Defaults left out: the stored JSON stays short (most states hold one or two fields)."""
    defaults = _state_defaults()
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


def _question_dict(q: Question) -> dict[str, Any]:
    """A question's JSON form: its tag, and the fields that differ from their defaults."""
    defaults = _defaults(type(q))
    return {"q": q.tag, **{k: v for k, v in asdict(q).items() if k not in defaults or v != defaults[k]}}


def _question(v: Any) -> Question | None:
    """A question from its JSON form (version 4); an unknown tag reads as nothing asked, a field of
    the wrong type raises ValueError (the whole state then reads as fresh)."""
    if not isinstance(v, dict) or not isinstance(v.get("q"), str):
        return None
    cls = Question.kinds.get(v["q"])
    if cls is None:
        return None
    hints = _hints(cls)
    args: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in v:
            continue
        value, hint = v[f.name], hints[f.name]
        if Request in (hint, *get_args(hint)):
            value = _request(value) if value is not None else None
        elif float in (hint, *get_args(hint)) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, hint):
            raise ValueError(f"{cls.__name__}.{f.name}: {value!r}")
        args[f.name] = value
    return cls(**args)  # a required field missing: TypeError (fresh state)


FLAT = ("step", "step_at", "asked", "offer", "placed", "subject", "held_text", "guess")  # version 3's


def _flat_question(data: dict[str, Any]) -> Question | None:
    """Versions 2 and 3 kept the question in flat fields: the same question in today's shape. Fields
    its step never read are dropped (as they were ignored), and so is a step missing what it needs."""
    step, at, request = _str(data.get("step")), _num(data.get("step_at")), _request(data.get("pending"))
    subject, words = _str(data.get("subject")), _str(data.get("held_text"))
    offer = _str(data.get("offer"))
    if step == Step.ASK_COURTYARD:
        return CourtyardAsked(request, int(data.get("asked") or 0), bool(data.get("placed")), _str(data.get("guess")),
                              at=at)
    if step == Step.CONFIRM_BIND and offer:
        return BindOffered(offer, at=at)
    if step == Step.MENU and request:
        return MenuShown(request, at=at)
    if step == Step.EVENT_PICK:
        return EventsListed(at=at)
    if step == Step.CONFIRM_WITHDRAW and subject:
        return WithdrawAsked(subject, words or "", at=at)
    if step == Step.FOLLOWUP_OR_NEW and subject:
        return FollowUpAsked(subject, words, at=at)
    if step == Step.RATE_AFTER and subject:
        return RatingAsked(subject, at=at)
    return None


def coerce(value: DialogueState | dict[str, Any] | None) -> DialogueState:
    """A state from what a caller holds: a state, its JSON dict (tests build these), or nothing."""
    if isinstance(value, DialogueState):
        return value
    if isinstance(value, dict) and value:  # (in the flat form of version 3 when it has a flat field)
        return DialogueState.from_dict({"version": 3 if set(FLAT) & value.keys() else VERSION, **value})
    return DialogueState()


__all__ = ["MAX_HELD", "VERSION", "BindOffered", "CallbackRating", "CourtyardAsked", "DialogueState", "EventsListed",
           "FollowUpAsked", "Held", "LastTicket", "MediaRef", "MenuShown", "Question", "RatingAsked", "Request", "Step",
           "WithdrawAsked", "coerce", "hold"]  # (the questions re-exported: one place to import the state from)
