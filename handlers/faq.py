"""Answers from the FAQ knowledge base in the config (question patterns → answer).

An entry may belong to a place (社区服务中心, 卫生服务站, 派出所, 物业 …: its `places`). When a
message names a place, only that place's entries answer it, so "卫生服务站周末开门不" is not
answered with the community office's hours; the longest place name wins (社区卫生服务站 is the
health station, not 社区).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.config import FaqEntry
from handlers.text import bare, norm


def _key(p: str) -> str:
    return bare(p) or norm(p)


def named_place(text: str, faq: Sequence[FaqEntry]) -> str | None:
    """The longest place name of any entry that the message contains."""
    t = _key(text)
    names = {_key(p) for e in faq for p in getattr(e, "places", ())}
    hits = [p for p in names if p and p in t]
    return max(hits, key=len) if hits else None


def lookup(text: str, faq: Sequence[FaqEntry]) -> FaqEntry | None:
    """The entry whose patterns cover most of the message (longest matched patterns win), among the
    entries of the place the message names (or those without a place), or None."""
    t = _key(text)
    place = named_place(text, faq)
    best: tuple[int, int, FaqEntry] | None = None
    for order, entry in enumerate(faq):
        places = {_key(p) for p in getattr(entry, "places", ())}
        if place is not None and places and place not in places:
            continue  # another place's answer
        score = sum(len(p) for p in {_key(p) for p in entry.patterns} if p and p in t)
        if score and place is not None and place in places:
            score += len(place)  # the place asked about counts like a matched pattern
        if score and (best is None or score > best[0]):
            best = (score, -order, entry)
    return best[2] if best else None


def answer(text: str, faq: Sequence[FaqEntry]) -> str | None:
    """The answer text for a question, or None when no entry matches."""
    entry = lookup(text, faq)
    return entry.answer if entry else None
