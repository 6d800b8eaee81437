"""Answers from the FAQ knowledge base in the config (question patterns → answer).

An entry may belong to a place (社区服务中心, 卫生服务站, 派出所, 物业 …: its `places`). When a
message names a place, only that place's entries answer it, so "卫生服务站周末开门不" is not
answered with the community office's hours; the longest place name wins (社区卫生服务站 is the
health station, not 社区).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from bot.config import FaqEntry
from handlers.latin import is_pinyin_text
from handlers.text import bare, norm


def _key(p: str) -> str:
    return bare(p) or norm(p)


@lru_cache(maxsize=2048)
def _pinyin(p: str) -> str:
    from pypinyin import lazy_pinyin  # only for questions typed in pinyin

    return "".join(lazy_pinyin(p))


def _keys(text: str) -> tuple[str, bool]:
    """The message as patterns are matched on; for a message in pinyin, its letters run together."""
    t = _key(text)
    return t, t.isascii() and is_pinyin_text((text or "").lower())


def named_place(text: str, faq: Sequence[FaqEntry]) -> str | None:
    """The longest place name of any entry that the message contains."""
    t, py = _keys(text)
    names = {_key(p) for e in faq for p in getattr(e, "places", ())}
    if py:
        names = {_pinyin(p) for p in names}
    hits = [p for p in names if p and p in t]
    return max(hits, key=len) if hits else None


def lookup(text: str, faq: Sequence[FaqEntry]) -> FaqEntry | None:
    """The entry whose patterns cover most of the message (longest matched patterns win), among the
    entries of the place the message names (or those without a place), or None."""
    t, py = _keys(text)
    place = named_place(text, faq)
    best: tuple[int, int, FaqEntry] | None = None
    for order, entry in enumerate(faq):
        places = {_key(p) for p in getattr(entry, "places", ())}
        patterns = {_key(p) for p in entry.patterns}
        if py:
            places, patterns = {_pinyin(p) for p in places}, {_pinyin(p) for p in patterns if len(p) >= 2}
        if place is not None and places and place not in places:
            continue  # another place's answer
        score = sum(len(p) for p in patterns if p and p in t)
        if score and place is not None and place in places:
            score += len(place)  # the place asked about counts like a matched pattern
        if score and (best is None or score > best[0]):
            best = (score, -order, entry)
    return best[2] if best else None


def answer(text: str, faq: Sequence[FaqEntry]) -> str | None:
    """The answer text for a question, or None when no entry matches."""
    entry = lookup(text, faq)
    return entry.answer if entry else None
