"""Blind conversations played through the real webhook and worker, each turn judged against what its
author expected a sensible human desk to do.

The conversations (`tests/blind/conversations-*.json`) were written by authors who never saw the
corpus, the tests or each other's lines; they are never trained on. A conversation goes right when
every expectation of every turn holds. What the sender reads is the passive reply and whatever the
account sent them during the turn (a voice is answered by a push once a worker has heard it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.storage.models import Push, Ticket, TicketEvent
from tests.conversation import Chat

BLIND = Path(__file__).resolve().parent / "blind"
EMERGENCY_NUMBERS = ("119", "120", "96333")
# Sets D and E were briefed with a category list that is not the deployment's (repair, grievance,
# environment, safety, help, consult): "consult" is our inquiry; environment, safety and help have no
# category of ours (rubbish, a dangling cable, an old man alone are repairs, grievances or help
# requests by what is asked), so those expectations are not judged.
BRIEFED = {"consult": "inquiry"}
UNJUDGED = {"environment", "safety", "help"}
# Events that mean "the resident's words went into this ticket".
ADDED = ("resident_followup", "media_attached", "emergency_reported")
WHO = {"resident": "居民", "resident2": "邻居"}


def conversations() -> list[dict[str, Any]]:
    found = []
    for path in sorted(BLIND.glob("conversations-*.json")):
        found += json.loads(path.read_text(encoding="utf-8"))
    return found


def known_misses() -> set[str]:
    path = BLIND / "known_misses.txt"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return {line.split("#", 1)[0].strip() for line in lines if line.split("#", 1)[0].strip()}


@dataclass
class Verdict:
    conversation: str
    kind: str
    misses: list[str] = field(default_factory=list)

    @property
    def right(self) -> bool:
        return not self.misses


@dataclass
class _Before:
    tickets: int
    newest: int | None  # the sender's newest ticket before the turn
    events: int  # "added" events on it
    pushes: int  # the highest push id so far


def play(chat: Chat, conversation: dict[str, Any]) -> Verdict:
    verdict = Verdict(conversation["id"], conversation.get("kind", ""))
    if conversation.get("resident_courtyard"):
        chat.lives("居民", conversation["resident_courtyard"])
    for n, turn in enumerate(conversation["turns"], 1):
        if turn.get("wait_minutes"):
            chat.wait(float(turn["wait_minutes"]))
        who = _speaker(chat, turn["who"])
        before = _before(chat)
        chat.say(who, _line(turn))
        reply = "\n".join([chat.reply, *chat.got.get(chat.openid(who), [])])
        verdict.misses += [f"turn {n}: {m}" for m in _judge(chat, turn.get("expect") or {}, before, reply,
                                                             chat.openid(who))]
    return verdict


def _line(turn: dict[str, Any]) -> str:
    text = " ".join(str(turn.get("text") or "").split())
    if turn.get("mode") == "photo":
        return "[照片]"
    if turn.get("mode") == "voice":
        return f"[录音] {text}"
    return text


def _speaker(chat: Chat, who: str) -> str:
    """A resident's name in the roster; a council member is the one the resident's newest ticket went
    to (else the first member of its courtyard, as the chair would hand it on)."""
    if who in WHO:
        return WHO[who]
    ticket = _newest(chat)
    openid = ticket.assignee_openid if ticket is not None else None
    if openid is None and ticket is not None and ticket.courtyard_id:
        council = chat.steward.config.council(ticket.courtyard_id)
        openid = council[0].openid if council else None
    if openid is None:
        council = chat.steward.config.council("c3")
        openid = council[0].openid
    name = next((n for n, o in chat.people.items() if o == openid), None)
    if name is None:
        name = f"成员{len(chat.people)}"
        chat.people[name] = openid
    return name


def _newest(chat: Chat) -> Ticket | None:
    with chat.steward.session() as s:
        return s.scalars(select(Ticket).where(Ticket.resident_openid == chat.openid("居民"))
                         .order_by(Ticket.id.desc()).limit(1)).first()


def _before(chat: Chat) -> _Before:
    newest = _newest(chat)
    with chat.steward.session() as s:
        total = s.scalar(select(func.count(Ticket.id))) or 0
        added = s.scalar(select(func.count(TicketEvent.id)).where(
            TicketEvent.ticket_id == (newest.id if newest else -1), TicketEvent.kind.in_(ADDED))) or 0
        pushes = s.scalar(select(func.max(Push.id))) or 0
    return _Before(total, newest.id if newest else None, added, pushes)


def _judge(chat: Chat, expect: dict[str, Any], before: _Before, reply: str, sender: str) -> list[str]:
    misses: list[str] = []
    with chat.steward.session() as s:
        new = list(s.scalars(select(Ticket).order_by(Ticket.id).offset(before.tickets)))
        previous = s.get(Ticket, before.newest) if before.newest else None
        added = s.scalar(select(func.count(TicketEvent.id)).where(
            TicketEvent.ticket_id == (before.newest or -1), TicketEvent.kind.in_(ADDED))) or 0
        alerted = s.scalar(select(func.count(Push.id)).where(Push.kind.in_(("alert", "emergency")),
                                                             Push.id > before.pushes)) or 0
    subject = new or ([previous] if previous is not None else [])
    if "new_tickets" in expect and len(new) != int(expect["new_tickets"]):
        misses.append(f"opened {len(new)} tickets, expected {expect['new_tickets']}")
    wanted = BRIEFED.get(expect.get("category") or "", expect.get("category"))
    if wanted and wanted not in UNJUDGED and new and wanted not in {t.category for t in new}:
        misses.append(f"category {[t.category for t in new]}, expected {expect['category']}")
    where = expect.get("courtyard")
    if where == "outside":
        if any(t.courtyard_id for t in new):
            misses.append("a problem outside the community was put in a courtyard")
        if "哪个院" in reply or "哪个楼院" in reply:
            misses.append("asked which courtyard about a place outside the community")
    elif where and subject and where not in {t.courtyard_id for t in subject}:
        misses.append(f"courtyard {[t.courtyard_id for t in subject]}, expected {where}")
    if expect.get("emergency") is True and not (any(n in reply for n in EMERGENCY_NUMBERS) or alerted):
        misses.append("an emergency, but no number to call and no staff alert")
    if expect.get("emergency") is False and (found := [n for n in EMERGENCY_NUMBERS if n in reply]):
        misses.append(f"not an emergency, but the reply says {found}")
    if expect.get("emergency_number") and expect["emergency_number"] not in reply:
        misses.append(f"the reply does not give {expect['emergency_number']}")
    if expect.get("adds_to_previous") is True and (new or added <= before.events):
        misses.append("expected the words to go into the earlier ticket")
    if expect.get("adds_to_previous") is False and not expect.get("new_tickets") and added > before.events:
        misses.append("the words were added to the earlier ticket")
    if "member_told" in expect:
        told = _member_told(chat, subject, sender)
        if told != bool(expect["member_told"]):
            misses.append("the council member was told" if told else "the council member was not told")
    for fragment in expect.get("reply_mentions") or []:
        if fragment and fragment not in reply:
            misses.append(f"the reply does not mention {fragment!r}")
    for fragment in expect.get("reply_not") or []:
        if fragment and fragment in reply:
            misses.append(f"the reply says {fragment!r}")
    return misses


def _member_told(chat: Chat, tickets: list[Ticket], sender: str) -> bool:
    """Any council member of the tickets' courtyards, other than the sender (whose answer is no news
    to him), received something during the turn."""
    openids = {m.openid for t in tickets if t.courtyard_id for m in chat.steward.config.council(t.courtyard_id)}
    openids |= {t.assignee_openid for t in tickets if t.assignee_openid}
    return any(chat.got.get(o) for o in openids - {sender})
