"""One message, several problems: "楼道灯不亮了，还有门口垃圾好几天没人收" is two tickets, each routed by its
own category and courtyard, both told in one reply. One problem told in several sentences ("楼道灯不亮了，
黑咕隆咚的，老人下楼害怕") stays one: a message is split only at a word that adds a matter (还有, 另外,
再一个 …), and only when every part reads confidently as a problem of its own, no two alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.config import Courtyard
from handlers import courtyard as yards
from handlers.text import bare

_JOIN = re.compile(
    r"[，,。；;！!？?、\s]*(?:另外(?:还有)?|还有(?:就是|个事|一个事|一件事|一个)?|再(?:一个|一件|有就是|就是|有个事)|"
    r"再说个事|顺便(?:说一下|说个事|再说一个)|第二(?:个|件)?|二是|对了)[，,：:、\s]*"
)
_FIRST = re.compile(r"^(?:第一(?:个|件)?|一是|头一个)[，,：:、\s]*")
TICKET_CATEGORIES = ("repair", "grievance")
MAX_PARTS = 4
SURE = 0.8  # a part must read as a problem of its own surely ("还有三天了" is no second problem)


@dataclass(frozen=True)
class Part:
    text: str
    category: str
    subcategory: str | None
    confidence: float
    courtyard: str | None  # named in this part itself (sure), else None


def split(text: str, courtyards: Sequence[Courtyard], classify: Callable[[str], Any],
          threshold: float) -> list[Part] | None:
    """The separate problems of `text` (two or more), or None when it is one matter (or unclear)."""
    pieces = [p.strip(" ，,。；;！!") for p in _JOIN.split(_FIRST.sub("", text.strip()))]
    pieces = [p for p in pieces if p]
    if not 2 <= len(pieces) <= MAX_PARTS or any(len(bare(p)) < 4 for p in pieces):
        return None
    parts = []
    for piece in pieces:
        cls = classify(piece)
        if cls.category not in TICKET_CATEGORIES or float(cls.confidence) < max(threshold, SURE):
            return None
        found = yards.find(piece, courtyards)
        parts.append(Part(piece, cls.category, cls.subcategory, float(cls.confidence),
                          found.courtyard if found and found.sure else None))
    kinds = {(p.category, p.subcategory) for p in parts}
    if len(kinds) < len(parts):  # the same matter said twice ("水管漏了，还有地下室也漏水"): one ticket
        return None
    return parts
