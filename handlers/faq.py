"""Answers from the FAQ knowledge base in the config (question patterns → answer)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.config import FaqEntry
from handlers.text import bare, norm


def lookup(text: str, faq: Sequence[FaqEntry]) -> FaqEntry | None:
    """The entry whose patterns cover most of the message (longest matched patterns win), or None."""
    t = bare(text) or norm(text)
    best: tuple[int, int, FaqEntry] | None = None
    for order, entry in enumerate(faq):
        score = sum(len(p) for p in {bare(p) or norm(p) for p in entry.patterns} if p and p in t)
        if score and (best is None or score > best[0]):
            best = (score, -order, entry)
    return best[2] if best else None


def answer(text: str, faq: Sequence[FaqEntry]) -> str | None:
    """The answer text for a question, or None when no entry matches."""
    entry = lookup(text, faq)
    return entry.answer if entry else None
