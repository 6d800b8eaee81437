"""The seam between `bot` (I/O) and `handlers` (understanding, no I/O).

`bot` turns a WeChat message into an `Inbound`, gathers a `Context` (the resident's binding,
dialogue state, open tickets, whether the sender is a council member), and asks
`handlers.decide()` for a `Decision`: actions for `bot` to carry out, the next dialogue state,
and the words of the reply. Outcomes of the actions (a ticket's ref, a refused command) come
back to `handlers.replies.compose()` so every word the resident reads is chosen here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from bot.config import Config, CouncilMember
from handlers.state import DialogueState, Held, coerce


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
class CreateTicket:
    category: str
    subcategory: str | None
    courtyard: str | None
    text: str
    urgent: bool = False
    confidence: float = 1.0
    media: Held = ()  # every photo / voice held for it, in the order sent
    emergency: str | None = None  # handlers.emergency kind (person, fire, gas, lift, …) when one


@dataclass(frozen=True)
class BindCourtyard:
    courtyard: str


@dataclass(frozen=True)
class SetCourtyard:
    """The resident names the courtyard of a ticket opened without one (urgent: opened at once)."""

    courtyard: str
    ref: str | None = None  # None: the sender's newest open ticket that has no courtyard


@dataclass(frozen=True)
class UpdateResident:
    unit: str | None = None
    phone: str | None = None
    name: str | None = None
    no_default_offer: bool = False  # said 2 to 以后默认…？


@dataclass(frozen=True)
class MoveTicket:
    """不对，是15号院: the ticket just made belongs to another courtyard."""

    ref: str
    courtyard: str


@dataclass(frozen=True)
class AttachMedia:
    """Photos, videos or voices for a ticket (one message's, or all those held meanwhile): its member is told once."""

    ref: str
    media: Held
    note: str = ""


@dataclass(frozen=True)
class Withdraw:
    ref: str
    said: str = ""  # the resident's words (the member is told them)


@dataclass(frozen=True)
class EscalateTicket:
    """The resident reports danger about a ticket already open: make it urgent, tell its member and staff."""

    ref: str
    said: str
    emergency: str | None = None


@dataclass(frozen=True)
class HandOff:
    """The resident asks for a person: staff are told; the bot is quiet until `minutes` pass or release."""

    said: str
    minutes: float


@dataclass(frozen=True)
class AddToTicket:
    """Words (or a voice) about an open ticket: kept on it and relayed to its member."""

    ref: str
    text: str
    media: Held = ()
    repeat: bool = False  # the same complaint again: the resident is told it is in hand


@dataclass(frozen=True)
class CouncilCommand:
    verb: str  # accept | return | progress | finish
    ref: str
    note: str = ""


@dataclass(frozen=True)
class CallbackAnswer:
    ref: str
    solved: bool | None
    rating: int | None = None
    note: str = ""


@dataclass(frozen=True)
class LateRating:
    """A rating sent after the "solved" answer closed the ticket."""

    ref: str
    rating: int
    note: str = ""


@dataclass(frozen=True)
class EventSignup:
    event_id: int
    name: str | None = None
    phone: str | None = None
    guest: str = ""  # a second place, for this person (named by the resident)


@dataclass(frozen=True)
class EventCancel:
    event_id: int


@dataclass(frozen=True)
class PushDelivered:
    msg_id: str | None
    status: str


Action = (
    CreateTicket | BindCourtyard | SetCourtyard | UpdateResident | MoveTicket | AttachMedia | Withdraw | EscalateTicket | HandOff | AddToTicket
    | CouncilCommand
    | CallbackAnswer | LateRating | EventSignup | EventCancel | PushDelivered
)


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
