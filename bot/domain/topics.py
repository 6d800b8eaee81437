"""社情民意 topics, pure: what residents raised in a month, with similar tickets clustered into one
topic — the same broken lamp reported by five residents is one topic with five voices.

Tickets are compared only within the same category, subcategory and courtyard, by the overlap of
their character unigrams and bigrams (stop characters and digits left out). A merged duplicate
joins the topic of the ticket it was merged into.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

_STOP = set("的了吗呢吧啊呀哈嘛么是在有也都就还又很太和与跟给把被让我你他她它们这那个些里上下一不没")
_DROP = re.compile(r"[^\u4e00-\u9fa5A-Za-z]")  # punctuation, spaces, digits
# Contact details say nothing about the topic; a few ways of saying "broken" or "blocked" are one.
_NOISE = re.compile(r"(?:我是|我叫|我姓|本人|联系人)[\u4e00-\u9fa5]{1,3}|电话|手机|联系方式|号码")
_SAME = (("不亮", "坏"), ("不着", "坏"), ("失灵", "坏"), ("不好使", "坏"), ("堵塞", "堵"), ("堵住", "堵"), ("渗水", "漏水"))
SOLVED = ("resolved", "answered")  # closed as solved or answered directly (已答复)
COMPARED = 5  # a ticket is compared with this many members of a topic (its earliest)
SHORTLIST = 6  # … of this many topics, those sharing the most features with it


@dataclass(frozen=True)
class Item:
    ticket_id: int
    ref: str
    text: str
    category: str
    subcategory: str | None
    courtyard_id: str | None
    status: str
    close_reason: str | None
    created_at: datetime
    resident: str | None = None
    duplicate_of: str | None = None

    @property
    def group(self) -> tuple[str, str, str]:
        return (self.category, self.subcategory or "", self.courtyard_id or "")

    @property
    def solved(self) -> bool:
        return self.status == "closed" and self.close_reason in SOLVED

    @property
    def open(self) -> bool:
        return self.status != "closed"

    @property
    def unsolved(self) -> bool:
        return self.open or self.close_reason == "unable_to_fix"


@dataclass
class Topic:
    items: list[Item] = field(default_factory=list)
    last_month: int = 0  # similar tickets in the month before

    @property
    def key(self) -> str:
        category, sub, yard = self.items[0].group
        return f"{category}|{sub}|{yard}|{self.items[0].ticket_id}"

    @property
    def group(self) -> tuple[str, str, str]:
        return self.items[0].group

    @property
    def voices(self) -> int:
        return len(self.items)

    @property
    def residents(self) -> int:
        return len({i.resident or i.ticket_id for i in self.items})

    @property
    def solved(self) -> int:
        return sum(i.solved for i in self.items)

    @property
    def open(self) -> int:
        return sum(i.open for i in self.items)

    @property
    def unsolved(self) -> int:
        return sum(i.unsolved for i in self.items)

    def central(self) -> Item:
        """The member most like the others: its words name the topic."""
        feats = [features(i.text) for i in self.items[:20]]
        best = max(range(len(feats)), key=lambda k: (sum(overlap(feats[k], f) for f in feats), -len(feats[k])))
        return self.items[best]


def features(text: str) -> frozenset[str]:
    # "我是王秀英，电话139…" says nothing about the topic (digits go with the punctuation).
    plain = _NOISE.sub("", (text or "")[:200])
    for word, same in _SAME:
        plain = plain.replace(word, same)
    chars = [c for c in _DROP.sub("", plain) if c not in _STOP]
    return frozenset(chars) | frozenset(a + b for a, b in zip(chars, chars[1:], strict=False))


def overlap(a: frozenset[str], b: frozenset[str]) -> float:
    """0 (nothing shared) … 1 (the same): the mean of the Dice coefficient and the overlap
    coefficient, so a long report that says more than a short one still matches it."""
    if not a or not b:
        return 0.0
    shared = len(a & b)
    return (2 * shared / (len(a) + len(b)) + shared / min(len(a), len(b))) / 2


def _similar(feat: frozenset[str], members: Sequence[frozenset[str]], threshold: float) -> float:
    best = max((overlap(feat, m) for m in members[:COMPARED]), default=0.0)
    return best if best >= threshold else 0.0


class _Index:
    """Per group, bigram → the topics whose compared members have it: a ticket is scored only
    against the topics sharing the most bigrams with it (a month of 20 000 in about a second)."""

    def __init__(self) -> None:
        self.postings: dict[tuple[str, str, str], dict[str, set[int]]] = {}
        self.members: dict[int, list[frozenset[str]]] = {}

    def add(self, group: tuple[str, str, str], topic: int, feat: frozenset[str]) -> None:
        members = self.members.setdefault(topic, [])
        if len(members) >= COMPARED:
            return
        members.append(feat)
        postings = self.postings.setdefault(group, {})
        for f in feat:
            if len(f) == 2:
                postings.setdefault(f, set()).add(topic)

    def similar(self, group: tuple[str, str, str], feat: frozenset[str], threshold: float) -> Iterator[int]:
        """The topics like `feat`, those sharing the most bigrams first."""
        postings = self.postings.get(group, {})
        shared = Counter(k for f in feat if len(f) == 2 for k in postings.get(f, ()))
        for k, _ in shared.most_common(SHORTLIST):
            if _similar(feat, self.members[k], threshold) > 0:
                yield k


def cluster(items: Iterable[Item], threshold: float) -> list[Topic]:
    """Topics, the most voices first (then the most still unsolved, then the earliest)."""
    ordered = sorted(items, key=lambda i: (i.created_at, i.ticket_id))
    topics: list[Topic] = []
    index = _Index()
    topic_of_ref: dict[str, int] = {}
    for item in ordered:
        feat = features(item.text)
        chosen = topic_of_ref.get(item.duplicate_of or "")
        if chosen is None or topics[chosen].group != item.group:
            chosen = next(index.similar(item.group, feat, threshold), None)
        if chosen is None:
            chosen = len(topics)
            topics.append(Topic())
        topics[chosen].items.append(item)
        index.add(item.group, chosen, feat)
        topic_of_ref[item.ref] = chosen
    for t in topics:
        # A duplicate merged into an older ticket may come first in time: keep the kept one first.
        t.items.sort(key=lambda i: (i.duplicate_of is not None, i.created_at, i.ticket_id))
    topics.sort(key=lambda t: (-t.voices, -t.unsolved, t.items[0].created_at))
    return topics


def set_last_month(topics: Sequence[Topic], earlier: Iterable[Item], threshold: float) -> None:
    """Each topic's `last_month`: how many of last month's tickets are like it."""
    index = _Index()
    for k, t in enumerate(topics):
        t.last_month = 0
        for i in t.items[:COMPARED]:
            index.add(t.group, k, features(i.text))
    for i in earlier:
        for k in index.similar(i.group, features(i.text), threshold):
            topics[k].last_month += 1


def count_similar(topic: Topic, earlier: Iterable[Item], threshold: float) -> int:
    """How many of `earlier` belong to `topic` (one topic: 每月一题's progress)."""
    members = [features(i.text) for i in topic.items[:COMPARED]]
    return sum(1 for i in earlier if i.group == topic.group and _similar(features(i.text), members, threshold) > 0)


def proposal(topics: Sequence[Topic]) -> Topic | None:
    """每月一题: the most frequent topic with something still unsolved (two voices at least)."""
    return next((t for t in topics if t.unsolved and t.voices >= 2), None)
