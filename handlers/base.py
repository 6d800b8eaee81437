"""The seam between `bot` (I/O) and `handlers` (understanding, no I/O).

`bot` turns a WeChat message into an `Inbound`, gathers a `Context` (the resident's binding,
dialogue state, open tickets, whether the sender is a council member), and asks
`handlers.decide()` for a `Decision`: actions for `bot` to carry out, the next dialogue state,
and the words of the reply. Outcomes of the actions (a ticket's ref, a refused command) come
back to `handlers.replies.compose()`, which asks each action for its words (`Action.reply`), so
every word the resident reads is chosen in `handlers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.config import Config, CouncilMember
from handlers.state import DialogueState, coerce


@dataclass(frozen=True)
class Inbound:
    """One parsed WeChat message or event, as plain data."""

    openid: str
    kind: str  # text | voice | image | location | link | video | shortvideo | event | unknown
    text: str = ""  # text content, voice Recognition, link title
    event: str | None = None  # subscribe | unsubscribe | click | view | scan | templatesendjobfinish | location
    event_key: str | None = None
    media_id: str | None = None
    lat: float | None = None
    lon: float | None = None
    url: str | None = None
    status: str | None = None  # TEMPLATESENDJOBFINISH Status
    msg_id: str | None = None
    created: int = 0


@dataclass(frozen=True)
class TicketView:
    ref: str
    status: str
    category: str
    courtyard: str | None
    text: str
    created_at: datetime | None = None
    assignee: str | None = None  # council member openid
    urgent: bool = False
    question: str | None = None  # what its member just asked the resident (进展 R1001 请问是几号楼？)


@dataclass(frozen=True)
class EventView:
    id: int
    title: str
    starts_at: datetime  # Beijing time, as residents read it
    place: str
    capacity: int
    registered: int
    courtyard: str | None = None
    mine: bool = False  # the sender has a registration (or a waitlist place)
    cancelled: bool = False  # staff called it off: listed as such, takes no sign-ups


@dataclass
class Context:
    config: Config
    courtyard: str | None = None  # the resident's bound courtyard
    state: DialogueState = field(default_factory=DialogueState)  # dialogue state (kept in Redis by bot)
    member: CouncilMember | None = None  # when the sender is on a council
    open_tickets: list[TicketView] = field(default_factory=list)  # the sender's own open tickets
    awaiting_callback: list[TicketView] = field(default_factory=list)
    events: list[EventView] = field(default_factory=list)  # upcoming events
    tasks: list[TicketView] = field(default_factory=list)  # a member's open tasks (assigned to them)
    withdrawn: list[TicketView] = field(default_factory=list)  # the sender's tickets withdrawn lately (taken back?)
    now: datetime | None = None

    def __post_init__(self) -> None:
        # Callers (tests, replay) may hold the JSON dict form; the handlers only ever see the type.
        self.state = coerce(self.state)

    @property
    def clock(self) -> float | None:
        """`now` as epoch seconds (what the state's timestamps hold), None when unknown."""
        if self.now is None:
            return None
        return (self.now if self.now.tzinfo else self.now.replace(tzinfo=UTC)).timestamp()


# ---- actions: what bot must do -------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """Something `bot` must do (the classes are in `handlers.actions`, or beside their handler). Each
    says what its outcome means to the resident; `bot` registers one executor per class."""

    def reply(self, out: Outcome, ctx: Context) -> str | None:
        """The words when it worked (None: nothing to say)."""
        return None

    def failed(self, out: Outcome) -> str:
        """The words when it did not (and bot gave no reason of its own)."""
        return "对不起，刚才没办成，请过一会儿再试一次。"


@dataclass
class Decision:
    reply: str | None = None  # None: nothing to say (bot answers "success")
    actions: list[Action] = field(default_factory=list)
    state: DialogueState | None = None  # new dialogue state; None clears it
    urgent_notice: str | None = None  # shown before anything else (emergency numbers)


# ---- outcomes: what came of the actions ----------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    action: Action
    ok: bool
    ref: str | None = None
    message: str = ""  # a plain-Chinese reason when not ok (e.g. 不是您负责的工单)
    data: dict[str, Any] = field(default_factory=dict)


class Handler(Protocol):
    """Two steps, so understanding is testable without I/O: does it match, then handle it."""

    name: str

    def match(self, msg: Inbound, ctx: Context) -> bool: ...

    def handle(self, msg: Inbound, ctx: Context) -> Decision: ...
