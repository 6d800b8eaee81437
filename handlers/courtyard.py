"""Which courtyard (楼院) a message names, the nearest one to a location, and building/unit numbers.

A courtyard is named by its full name (育英街3号院), an alias (粮食局家属院), its number with a
yard word (3号院, 三号院, 3号楼院, 3号大院), the street address (育英街3号) or the organisation
stem of an alias with a home word (粮食局宿舍, 粮食局那个院). A building (3号楼) or a unit
(3单元) is never a courtyard: those are read by `parse_unit`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.config import Courtyard
from handlers.text import NUM, cn_to_int, norm, number_answer

# Voice recognition and pinyin typing swap these for the characters in courtyard names.
HOMOPHONES = str.maketrans({
    "居": "局", "菊": "局", "园": "院", "苑": "院", "愿": "院", "玉": "育", "预": "育",
    "遇": "育", "婴": "英", "鹰": "英", "樱": "英", "好": "号", "浩": "号", "耗": "号",
})
YARD = r"(?:号楼院(?!子)|号大院|号家属院|号家属楼|号院|号小区|号宿舍)"
FAMILY_WORDS = r"(?:家属院|家属楼|家属区|宿舍|大院|小区)"
HOME_WORDS = r"(?:家属院|家属楼|家属区|宿舍院|宿舍楼|宿舍|大院|小区|楼院|那个院|这个院|那院|的院|院)"
# A bare stem followed by these names the organisation, not the courtyard (供电局的人来了没).
ORG_SENSE = r"(?:的人|的师傅|的工作人员|上班|营业厅|单位|打电话|电话|热线|来人|派人|领导|局长)"
_NUM_BOUND = r"(?<![0-9零〇○一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖十拾百佰])"
_SELF = re.compile(r"(?:住在?|(?:我|俺|咱)(?:是|家|们是)|家[住在])$")


@dataclass(frozen=True)
class Mention:
    courtyard: str
    strong: bool  # named by name / alias / number; weak = a bare organisation stem
    start: int
    end: int = 0


@dataclass(frozen=True)
class _Index:
    by_number: dict[int, str]
    streets: tuple[str, ...]
    phrases: tuple[tuple[str, str], ...]  # (alias or full name, id), longest first
    stems: tuple[tuple[str, str], ...]  # (organisation stem, id), longest first
    short: tuple[tuple[str, str], ...]  # stems without 局/厂, named only with 家属院 / 宿舍 …


def courtyard_number(c: Courtyard) -> int | None:
    """The house number in a courtyard's name (育英街3号院 → 3), else in an alias, else None."""
    for text in (c.name, *c.aliases):
        m = re.search(rf"({NUM})号", norm(text))
        if m and (n := cn_to_int(m.group(1))) is not None:
            return n
    return None


@lru_cache(maxsize=32)
def _index(courtyards: tuple[Courtyard, ...]) -> _Index:
    by_number: dict[int, str] = {}
    streets: set[str] = set()
    phrases: dict[str, str] = {}
    stems: dict[str, str] = {}
    short: dict[str, str] = {}
    for c in courtyards:
        n = courtyard_number(c)
        if n is not None:
            by_number.setdefault(n, c.id)
        for text in (c.name, *c.aliases):
            t = norm(text).translate(HOMOPHONES)
            m = re.match(rf"(.+?)({NUM})号", t)
            if m and len(m.group(1)) >= 2:  # 育英街3号院 → street 育英街 (and 育英)
                streets.add(m.group(1))
                if m.group(1).endswith(("街", "路", "巷")):
                    streets.add(m.group(1)[:-1])
            if re.fullmatch(rf"({NUM})号院", t) or re.search(rf"{NUM}号", t):
                continue  # numbered forms are matched with number boundaries, never as substrings
            phrases.setdefault(t, c.id)
            stem = re.sub(HOME_WORDS + "$", "", t)
            if len(stem) >= 2 and stem != t:
                stems.setdefault(stem, c.id)
                digits = "".join(str(cn_to_int(ch)) if cn_to_int(ch) is not None else ch for ch in stem)
                stems.setdefault(digits, c.id)  # 二中 → 2中
                if len(stem) >= 3 and stem[-1] in "局厂":  # 邮电家属院: only with a family-housing word
                    short.setdefault(stem[:-1], c.id)
    return _Index(
        by_number,
        tuple(sorted(streets, key=len, reverse=True)),
        tuple(sorted(phrases.items(), key=lambda kv: -len(kv[0]))),
        tuple(sorted(stems.items(), key=lambda kv: -len(kv[0]))),
        tuple(sorted(short.items(), key=lambda kv: -len(kv[0]))),
    )


def _prepare(text: str) -> str:
    # a space after 号 separates (育英街3号 楼顶漏水 is not building 3); other spaces go
    return norm(re.sub(r"号\s+", "号,", text or "")).translate(HOMOPHONES)


def mentions(text: str, courtyards: Sequence[Courtyard]) -> list[Mention]:
    """Every courtyard named in `text`, in order of appearance."""
    idx = _index(tuple(courtyards))
    t = _prepare(text)
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []

    def add(cid: str | None, strong: bool, start: int, end: int) -> None:
        if cid and not any(s < end and start < e for s, e in taken):
            found.append(Mention(cid, strong, start, end))
            taken.append((start, end))

    for phrase, cid in idx.phrases:
        for m in re.finditer(re.escape(phrase), t):
            add(cid, True, m.start(), m.end())
    if idx.streets:
        streets = "|".join(map(re.escape, idx.streets))
        pattern = rf"(?:{streets})({NUM})(?:{YARD}|号(?!楼|栋|幢|单元|门|室|线)|院)"
        for m in re.finditer(pattern, t):
            add(idx.by_number.get(cn_to_int(m.group(1)) or -1), True, m.start(), m.end())
    for m in re.finditer(rf"{_NUM_BOUND}({NUM}){YARD}", t):
        add(idx.by_number.get(cn_to_int(m.group(1)) or -1), True, m.start(), m.end())
    for stem, cid in idx.stems:
        for m in re.finditer(re.escape(stem) + rf"({HOME_WORDS})?", t):
            rest = t[m.end():]
            if m.group(1):
                add(cid, True, m.start(), m.end())
            elif not re.match(ORG_SENSE, rest):
                add(cid, False, m.start(), m.end())
    for stem, cid in idx.short:
        for m in re.finditer(re.escape(stem) + FAMILY_WORDS, t):
            add(cid, True, m.start(), m.end())
    found.sort(key=lambda x: x.start)
    return found


_FILLER = re.compile(r"我们|俺们|咱们|我|俺|咱|住在|家在|家住|是|住|家|在|的|哩|嘞|啊|呀|吧|哈|了|那边|这边|那个|这个")


def leftover(text: str, courtyards: Sequence[Courtyard]) -> str:
    """What a message says besides naming a courtyard: '' for '我是粮食局家属院的'."""
    t = _prepare(text)
    for m in sorted(mentions(text, courtyards), key=lambda m: -m.start):
        t = t[:m.start] + t[m.end:]
    return _FILLER.sub("", re.sub(r"[^0-9a-z\u4e00-\u9fff]", "", t))


def locate(text: str, courtyards: Sequence[Courtyard], strong_only: bool = False) -> str | None:
    """The id of the courtyard a message names, or None.

    A name/alias/number beats a bare organisation stem. When two different courtyards are
    named, the one that is not the resident's own home (我住3号院，5号院门口…) is the place.
    """
    found = mentions(text, courtyards)
    strong = [m for m in found if m.strong]
    pool = strong or ([] if strong_only else found)
    if not pool:
        return None
    ids = list(dict.fromkeys(m.courtyard for m in pool))
    if len(ids) > 1:
        t = _prepare(text)
        others = [m for m in pool if not _SELF.search(t[max(0, m.start - 4):m.start])]
        if others:
            return others[0].courtyard
    return pool[0].courtyard


def choices(courtyards: Sequence[Courtyard]) -> list[tuple[int, Courtyard]]:
    """(number to reply, courtyard): the house numbers when they are all distinct, else 1..n."""
    numbers = [courtyard_number(c) for c in courtyards]
    if all(n is not None for n in numbers) and len(set(numbers)) == len(numbers):
        return [(n, c) for n, c in zip(numbers, courtyards, strict=True) if n is not None]
    return list(enumerate(courtyards, start=1))


def answer(text: str, courtyards: Sequence[Courtyard]) -> str | None:
    """A reply to 'which courtyard?': a name, an alias, or just the number from the list."""
    found = locate(text, courtyards)
    if found:
        return found
    n = number_answer(text)
    if n is not None:
        return next((c.id for k, c in choices(courtyards) if k == n), None)
    return None


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


def nearest(lat: float, lon: float, courtyards: Sequence[Courtyard], max_km: float = 1.0) -> str | None:
    """The configured courtyard closest to a location, if one is within `max_km`."""
    best: tuple[float, str] | None = None
    for c in courtyards:
        if c.lat is None or c.lon is None:
            continue
        d = distance_km(lat, lon, c.lat, c.lon)
        if d <= max_km and (best is None or d < best[0]):
            best = (d, c.id)
    return best[1] if best else None


_BUILDING = re.compile(rf"{_NUM_BOUND}({NUM})(?:号楼(?!院(?!子))|栋|幢|#楼?|号(?=\d{{1,2}}单元|[一二三四五六七八九]单元))")
_UNIT = re.compile(rf"{_NUM_BOUND}({NUM})(?:单元|门洞)")
_ROOM_NEXT = re.compile(r"[-之的]?(\d{3,4}|[零〇○一幺二两三四五六七八九]{3,4})(?:室|号|户|房)?")
_ROOM_ANY = re.compile(rf"{_NUM_BOUND}({NUM})(?:室|户)")
_FLOOR = re.compile(rf"{_NUM_BOUND}({NUM})(?:楼|层)(?!道|梯|顶|下|上|院|房)")


def parse_unit(text: str) -> str | None:
    """Building / unit / room as '2号楼3单元501' (any part may be missing), or None."""
    t = norm(text)
    parts: list[str] = []
    b = _BUILDING.search(t)
    u = _UNIT.search(t, b.end() if b else 0) or _UNIT.search(t)
    if b and (n := cn_to_int(b.group(1))) is not None:
        parts.append(f"{n}号楼")
    if u and (n := cn_to_int(u.group(1))) is not None:
        parts.append(f"{n}单元")
    if not parts:
        return None
    after = max(b.end() if b else 0, u.end() if u else 0)
    r = _ROOM_NEXT.match(t, after) or _ROOM_ANY.search(t, after)
    room = cn_to_int(r.group(1)) if r else None
    if room is not None and room >= 100:
        parts.append(str(room))
    else:
        room = None
    if room is None and (f := _FLOOR.search(t, after)) and (n := cn_to_int(f.group(1))) is not None and n < 40:
        parts.append(f"{n}楼")
    return "".join(parts)
