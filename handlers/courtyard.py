"""Which courtyard (楼院) a message names, the nearest one to a location, and building/unit numbers.

The forms residents use are generated from each courtyard's name and aliases: the full name
(育英街3号院), the street address (育英街3号), the number with a yard word (3号院, 三号院, 15院,
3号楼院), the organisation an alias is named after with a home word (粮食局家属院, 粮食局那个院)
and the distinctive core of it likewise (粮食院, 书店家属院, 百货楼院, 邮电院). Those are sure.
The bare organisation name (粮食局那边) is only a guess, to be confirmed with the resident; followed
by a place word (二中门口, 税务局办事大厅, 去新华书店买) it is the organisation's own place, not the
courtyard. A building (3号楼) or a unit (3单元) is never a courtyard: those are read by `parse_unit`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.config import Courtyard
from handlers.latin import is_pinyin_text
from handlers.text import NUM, cn_to_int, norm, number_answer

# Voice recognition and pinyin typing swap these for the characters in courtyard names.
HOMOPHONES = str.maketrans({
    "居": "局", "菊": "局", "园": "院", "苑": "院", "愿": "院", "玉": "育", "预": "育",
    "遇": "育", "婴": "英", "鹰": "英", "樱": "英", "好": "号", "浩": "号", "耗": "号",
})
YARD = r"(?:号楼院(?!子)|号大院|号家属院|号家属楼|号院|号小区|号宿舍)"
HOME_WORDS = (r"(?:家属院|家属员|家属楼|家属区|宿舍院|宿舍楼|宿舍|大院|小区|楼院|那个院|这个院|那院|的院|"
              r"老院|院儿|院子|院)")
# The organisation's own place or people, not the courtyard named after it (二中门口, 税务局大厅 …).
PLACE_WORDS = (r"(?:门口|大门|大厅|办事大厅|营业厅|柜台|窗口|学校|校门|操场|礼堂|会议室|里面|里头|里|旁边|附近|对面|"
               r"往[东西南北]|[东西南北]边|边上|前面|后面|\d楼|楼上|的人|的师傅|工作人员|上班|单位|打电话|电话|"
               r"热线|来人|派人|领导|局长|组织|厂区|放学|上学|买|卖|办事|开门|几点)")
_PLACE_BEFORE = re.compile(r"(?:去|到|从|往|路过|经过|在|进|逛|离|(?:at|outside|near|to|from|by|into|opposite)(?:the|a)?)$")
_SELF = re.compile(r"(?:住在?|(?:我|俺|咱)(?:是|家|们是|们)|家[住在]|是)$")
# Core + 院 that are words of their own: 卫生院 is a clinic, 书院 an academy.
NOT_YARDS = ("卫生院", "医院", "书院", "法院", "学院", "剧院", "影院", "戏院", "大院子")
_GENERIC_SUFFIX = ("书店", "大楼", "中学", "小学", "公司", "商场", "银行", "医院")
_NUM_BOUND = r"(?<![0-9零〇○一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖十拾百佰])"
_N_YARD_BEFORE = re.compile(r"(?:市|区|县|省|人民|中心|第|妇幼|中医)$")


@dataclass(frozen=True)
class Mention:
    courtyard: str
    strong: bool  # sure: a name, alias, number or organisation with a home word; weak = a bare stem
    start: int
    end: int = 0


@dataclass(frozen=True)
class _Index:
    by_number: dict[int, str]
    streets: tuple[str, ...]
    phrases: tuple[tuple[str, str], ...]  # (alias or full name, id), longest first
    stems: tuple[tuple[str, str], ...]  # (organisation name, id): sure with a home word, else a guess
    cores: tuple[tuple[str, str], ...]  # (distinctive core of it, id): only with a home word


def courtyard_number(c: Courtyard) -> int | None:
    """The house number in a courtyard's name (育英街3号院 → 3), else in an alias, else None."""
    for text in (c.name, *c.aliases):
        m = re.search(rf"({NUM})号", norm(text))
        if m and (n := cn_to_int(m.group(1))) is not None:
            return n
    return None


def _cores(stem: str) -> list[str]:
    """The short forms residents cut an organisation's name to: 粮食局 → 粮食, 百货大楼 → 百货楼, 百货."""
    out = []
    if len(stem) >= 3 and stem[-1] in "局厂所站":
        out.append(stem[:-1])
    for suffix in _GENERIC_SUFFIX:
        if stem.endswith(suffix) and len(stem) > len(suffix) + 1:
            out.append(stem[: -len(suffix)])
            out.append(suffix)  # 书店院; dropped below when another courtyard has it too
            if suffix == "大楼":
                out.append(stem[:-2] + "楼")
    digits = "".join(str(cn_to_int(ch)) if cn_to_int(ch) is not None else ch for ch in stem)
    if digits != stem:
        out.append(digits)  # 二中 → 2中
    return [c for c in out if len(c) >= 2]


@lru_cache(maxsize=32)
def _index(courtyards: tuple[Courtyard, ...]) -> _Index:
    by_number: dict[int, str] = {}
    streets: set[str] = set()
    phrases: dict[str, str] = {}
    stems: dict[str, str] = {}
    cores: dict[str, set[str]] = {}
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
            m = re.fullmatch(rf"(.+){HOME_WORDS}", t)  # greedy: 百货大楼院 → 百货大楼, not 百货大
            stem = m.group(1) if m else t
            if len(stem) >= 2 and stem != t:
                stems.setdefault(stem, c.id)
                for core in _cores(stem):
                    cores.setdefault(core, set()).add(c.id)
    unique = {k: next(iter(v)) for k, v in cores.items() if len(v) == 1 and k not in stems}
    return _Index(
        by_number,
        tuple(sorted(streets, key=len, reverse=True)),
        tuple(sorted(phrases.items(), key=lambda kv: -len(kv[0]))),
        tuple(sorted(stems.items(), key=lambda kv: -len(kv[0]))),
        tuple(sorted(unique.items(), key=lambda kv: -len(kv[0]))),
    )


_PINYIN_YARD = re.compile(r"[a-z]\s?(?:yuan|jia\s?shu|su\s?she)(?![a-z])")


@lru_cache(maxsize=32)
def _pinyin_forms(courtyards: tuple[Courtyard, ...]) -> tuple[tuple[re.Pattern[str], str], ...]:
    """Toneless pinyin of each organisation name and core with a home word → the characters."""
    from pypinyin import lazy_pinyin  # only for messages in pinyin: its import costs ~0.4 s

    idx = _index(courtyards)
    homes = {"jia shu yuan": "家属院", "jia shu lou": "家属楼", "su she": "宿舍", "da yuan": "大院",
             "lou yuan": "楼院", "yuan": "院"}
    home = "|".join(h.replace(" ", r"\s?") for h in sorted(homes, key=len, reverse=True))
    out = []
    for word, _ in (*idx.stems, *idx.cores):
        py = r"\s?".join(lazy_pinyin(word))
        out.append((re.compile(rf"(?<![a-z])({py})\s?({home})(?![a-z])"), word))
    return tuple(out)


def _from_pinyin(t: str, courtyards: Sequence[Courtyard]) -> str:
    homes = {"jiashuyuan": "家属院", "jiashulou": "家属楼", "sushe": "宿舍", "dayuan": "大院", "louyuan": "楼院",
             "yuan": "院"}
    for pattern, word in _pinyin_forms(tuple(courtyards)):

        def spelled(m: re.Match[str], w: str = word) -> str:
            return f"{w}{homes[m.group(2).replace(' ', '')]},"

        t = pattern.sub(spelled, t)
    return t


# Voice recognition's slips for 家属院 (家数院, 加属院, 家属员 …).
_JIASHU = re.compile(r"[家加佳嘉][属数树蜀鼠署舒][院员园愿苑源]")


def _prepare(text: str, courtyards: Sequence[Courtyard] = ()) -> str:
    # a space after 号 separates (育英街3号 楼顶漏水 is not building 3); other spaces go
    t = re.sub(r"号\s+", "号,", text or "")
    t = _JIASHU.sub("家属院", t)
    lowered = t.lower()
    # pinyin names turn up in English messages too ("Shuili yuan", "lives in Youdian yuan")
    if courtyards and _PINYIN_YARD.search(lowered) and (is_pinyin_text(lowered) or lowered.isascii()):
        t = _from_pinyin(lowered, courtyards)
    return norm(t).translate(HOMOPHONES)


def mentions(text: str, courtyards: Sequence[Courtyard]) -> list[Mention]:
    """Every courtyard named in `text`, in order of appearance."""
    # Pure, and asked ~8 times per message (find, leftover, the follow-up checks): remembered.
    return list(_mentions(text, tuple(courtyards)))


@lru_cache(maxsize=256)
def _mentions(text: str, courtyards: tuple[Courtyard, ...]) -> tuple[Mention, ...]:
    idx = _index(courtyards)
    t = _prepare(text, courtyards)
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []

    def add(cid: str | None, strong: bool, start: int, end: int) -> None:
        if cid and not any(s < end and start < e for s, e in taken):
            found.append(Mention(cid, strong, start, end))
            taken.append((start, end))

    def blocked(start: int, end: int) -> bool:  # spans already taken suppress a weaker reading
        return any(s < end and start < e for s, e in taken)

    # `word in t` first: most of the community's names are absent from a message, and the
    # substring test is far cheaper than building and running a pattern for each.
    for phrase, cid in idx.phrases:
        if phrase not in t:
            continue
        for m in re.finditer(re.escape(phrase), t):
            add(cid, True, m.start(), m.end())
    if idx.streets:
        streets = "|".join(map(re.escape, idx.streets))
        pattern = rf"(?:{streets})({NUM})(?:{YARD}|号(?!楼|栋|幢|单元|门|室|线)|院)"
        for m in re.finditer(pattern, t):
            add(idx.by_number.get(cn_to_int(m.group(1)) or -1), True, m.start(), m.end())
    for m in re.finditer(rf"{_NUM_BOUND}({NUM}){YARD}", t):
        add(idx.by_number.get(cn_to_int(m.group(1)) or -1), True, m.start(), m.end())
    for m in re.finditer(rf"{_NUM_BOUND}(\d{{1,2}})院(?!长|士|子)", t):  # 15院, 三院 (canonical: 3院)
        if not _N_YARD_BEFORE.search(t[max(0, m.start() - 2):m.start()]):
            add(idx.by_number.get(int(m.group(1))), True, m.start(), m.end())
    for word, cid in (*idx.stems, *idx.cores):
        if word not in t:
            continue
        # 税务局那边的家属院: "over there" between the organisation and the home word
        for m in re.finditer(re.escape(word) + rf"(?:(?:那边|这边|那块|那片)的?)?({HOME_WORDS})?", t):
            if m.group(1) and not any(t.startswith(w, m.start()) for w in NOT_YARDS):
                add(cid, True, m.start(), m.end())
    for stem, cid in idx.stems:  # the bare organisation name
        if stem not in t:
            continue
        for m in re.finditer(re.escape(stem), t):
            if blocked(m.start(), m.end()):
                continue
            rest, before = t[m.end():], t[max(0, m.start() - 10):m.start()]
            if re.match(r"[,，]?(?:的)?" + rf"{NUM}(?:号楼|栋|单元)", rest) or _SELF.search(before):
                add(cid, True, m.start(), m.end())  # 水利局三号楼, 俺是粮食局哩: the resident's home
            elif not re.match(r"的?" + PLACE_WORDS, rest) and not _PLACE_BEFORE.search(before):
                add(cid, False, m.start(), m.end())
    found.sort(key=lambda x: x.start)
    return tuple(found)


_FILLER = re.compile(r"我们|俺们|咱们|我|俺|咱|住在|家在|家住|是|住|家|在|的|哩|嘞|啊|呀|吧|哈|了|那边|这边|那个|这个")


def leftover(text: str, courtyards: Sequence[Courtyard]) -> str:
    """What a message says besides naming a courtyard: '' for '我是粮食局家属院的'."""
    t = _prepare(text, courtyards)
    for m in sorted(mentions(text, courtyards), key=lambda m: -m.start):
        t = t[:m.start] + t[m.end:]
    return _FILLER.sub("", re.sub(r"[^0-9a-z\u4e00-\u9fff]", "", t))


@dataclass(frozen=True)
class Finding:
    courtyard: str
    sure: bool  # False: a guess to confirm with the resident (您说的是…吗？)


# 不是3号院，是5号院 / 3号院，不对，说错了，5号院: the first is taken back.
_NOT_BEFORE = re.compile(r"(?:不是|不在|并不是|也不是|不对|不属于)[的在咱俺我]?$")
_TAKEN_BACK = re.compile(r"^[^0-9\u4e00-\u9fff]*(?:的|哩|嘞)?[^0-9\u4e00-\u9fff]*(?:不对|不是|说错了|错了|搞错了|口误|说岔了)")
# 俺闺女住九号院: a relative's home (the problem's place), not the sender's own.
_KIN = re.compile(r"(?:闺女|女儿|儿子|儿媳|媳妇|俺妈|我妈|俺娘|我娘|老娘|俺爸|我爸|俺爹|老爹|父母|爹妈|婆婆|公公|"
                  r"丈母娘|老丈人|岳父|岳母|奶奶|爷爷|姥姥|姥爷|外婆|外公|亲戚|姐姐|哥哥|弟弟|妹妹|姑|姨|舅|叔|婶|"
                  r"大爷|大娘|老人|老两口|孩子|娘家|婆家)(?:家|那|她|他|们)?(?:住|在|是|家在|住在)?(?:的|那个)?$")
_OWN = re.compile(r"(?:我|俺|咱)(?:们)?(?:家)?(?:住在?|是|在|家在)[的那个]*$")


def _corrected(t: str, strong: list[Mention]) -> list[Mention]:
    """The mentions left when those taken back are dropped (never all of them)."""
    kept = []
    for i, m in enumerate(strong):
        later = [n for n in strong[i + 1:] if n.courtyard != m.courtyard]
        if _NOT_BEFORE.search(t[max(0, m.start - 5):m.start]) and len(strong) > 1:
            continue
        if later and _TAKEN_BACK.match(t[m.end:later[0].start]):
            continue
        kept.append(m)
    return kept or strong


def find(text: str, courtyards: Sequence[Courtyard]) -> Finding | None:
    """The courtyard a message names, ranked: sure forms beat a bare organisation name; one taken
    back (不是3号院，是5号院) loses; of two different sure ones, a relative's home (俺闺女住9号院),
    else the place that is not the resident's own home (我住3号院，5号院门口…)."""
    found = mentions(text, courtyards)
    strong = [m for m in found if m.strong]
    if strong:
        t = _prepare(text, courtyards)
        strong = _corrected(t, strong)
        ids = list(dict.fromkeys(m.courtyard for m in strong))
        if len(ids) > 1:
            kin = [m for m in strong if _KIN.search(t[max(0, m.start - 8):m.start])]
            if kin:
                return Finding(kin[0].courtyard, True)
            others = [m for m in strong if not _SELF.search(t[max(0, m.start - 4):m.start])]
            if others:
                return Finding(others[0].courtyard, True)
        return Finding(strong[0].courtyard, True)
    weak = list(dict.fromkeys(m.courtyard for m in found))
    return Finding(weak[0], False) if len(weak) == 1 else None


def locate(text: str, courtyards: Sequence[Courtyard], strong_only: bool = True) -> str | None:
    """The id of the courtyard a message surely names, or None. With strong_only=False a bare
    organisation name counts too (for answers to "which courtyard?", where it is the answer)."""
    f = find(text, courtyards)
    if f is None or (strong_only and not f.sure):
        return None
    return f.courtyard


def choices(courtyards: Sequence[Courtyard]) -> list[tuple[int, Courtyard]]:
    """(number to reply, courtyard): the house numbers when they are all distinct, else 1..n."""
    numbers = [courtyard_number(c) for c in courtyards]
    if all(n is not None for n in numbers) and len(set(numbers)) == len(numbers):
        return [(n, c) for n, c in zip(numbers, courtyards, strict=True) if n is not None]
    return list(enumerate(courtyards, start=1))


def answer(text: str, courtyards: Sequence[Courtyard]) -> str | None:
    """A reply to 'which courtyard?': a name, an alias, or just the number from the list."""
    found = locate(text, courtyards, strong_only=False)
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
