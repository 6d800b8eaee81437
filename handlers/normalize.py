"""The one normalisation of residents' text, used by every reader of it (classifier, keyword rules,
urgency, courtyard finder, FAQ): traditional → simplified (OpenCC), full-width → half-width,
lower case, Chinese numerals before 号/楼/单元/院 … as digits, the common voice-recognition and
typing slips, English words glossed in Chinese, whitespace folded to single spaces.

Pure: OpenCC's dictionary is part of the installed package; nothing else is read.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

from handlers.latin import gloss_english

# Chinese numerals as residents (and voice recognition) write them.
CN_DIGITS = {
    "零": 0, "〇": 0, "○": 0, "一": 1, "幺": 1, "壹": 1, "二": 2, "两": 2, "贰": 2, "三": 3, "叁": 3,
    "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}
CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100}
NUM = r"(?:\d{1,4}|[零〇○一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖十拾百佰]{1,6})"

# Slips of voice recognition and pinyin typing, fixed before anything reads the text. Each is a
# word residents mean in this domain; the left side is never a word of its own here.
VOICE_FIXES: tuple[tuple[str, str], ...] = (
    ("楼到", "楼道"), ("楼倒", "楼道"), ("下水到", "下水道"), ("楼道登", "楼道灯"), ("楼道等", "楼道灯"),
    ("木有", "没有"), ("冒有", "没有"), ("充电庄", "充电桩"), ("充电装", "充电桩"), ("电题", "电梯"),
    ("电提", "电梯"), ("门径", "门禁"), ("门进", "门禁"), ("拉圾", "垃圾"), ("物叶", "物业"),
    ("燥音", "噪音"), ("底保", "低保"), ("老年正", "老年证"), ("水笼头", "水龙头"), ("报明", "报名"),
    ("保修", "报修"), ("灯怀了", "灯坏了"), ("门怀了", "门坏了"), ("暖器", "暖气"), ("化粪翅", "化粪池"),
    # traditional texts write 著 where simplified has 着; OpenCC keeps 著 (著名 is simplified too)
    ("著火", "着火"), ("著了", "着了"), ("睡不著", "睡不着"), ("燒著", "烧着"),
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202f\ufeff]")
_SPACE = re.compile(r"\s+")
_CN_NUMBER = re.compile(
    r"([零〇○一幺壹二两贰三叁四肆五伍六陆七柒八捌九玖十拾百佰]{1,5})(?=号|单元|栋|幢|楼|层|院(?!子)|室|户|门洞|排)"
)
_LATIN = re.compile(r"[a-z]")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def cn_to_int(s: str) -> int | None:
    """'3' → 3, '十三' → 13, '二十' → 20, '五零一' → 501, '一百零八' → 108."""
    if not s:
        return None
    if s.isdigit():
        return int(s)
    if any(ch not in CN_DIGITS and ch not in CN_UNITS for ch in s):
        return None
    if not any(ch in CN_UNITS for ch in s):  # read digit by digit: 五零一 → 501
        return int("".join(str(CN_DIGITS[ch]) for ch in s))
    total, current = 0, 0
    for ch in s:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        else:
            unit = CN_UNITS[ch]
            total += (current or 1) * unit
            current = 0
    return total + current


def _numeral(m: re.Match[str]) -> str:
    s = m.group(1)
    # 百货楼 is a name, not a hundred; a numeral that does not read as a number stays
    if s.startswith(("百", "佰")):
        return s
    n = cn_to_int(s)
    return str(n) if n is not None else s


def simplify(text: str) -> str:
    """Traditional → simplified characters (identity on simplified text)."""
    return _t2s().convert(text) if text else ""


@lru_cache(maxsize=64)  # the handlers of one message ask it about the same words ~20 times (issue 24)
def canonical(text: str) -> str:
    """The normalised text: simplified, half-width, lower case, digits, slips fixed, single spaces."""
    if not text:
        return ""
    text = _CONTROL.sub(" ", text)
    text = unicodedata.normalize("NFKC", simplify(text)).lower()
    for old, new in VOICE_FIXES:
        if old in text:
            text = text.replace(old, new)
    text = _CN_NUMBER.sub(_numeral, text)
    if _LATIN.search(text):
        text = gloss_english(text)
    return _SPACE.sub(" ", text).strip()


def compact(text: str) -> str:
    """`canonical` without any whitespace: what rules and finders match on."""
    return canonical(text).replace(" ", "")
