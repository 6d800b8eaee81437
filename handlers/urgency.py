"""Danger words: a message that needs the emergency numbers at once (漏电, 着火, 燃气味 …)."""

from __future__ import annotations

import re

from handlers.text import norm

# Each entry is a regex over normalised text (no spaces, half-width, lower-case).
DANGER: tuple[str, ...] = (
    # electricity
    r"漏电", r"跑电", r"触电", r"电到人", r"电着人", r"电打人", r"把人电", r"麻人", r"麻手",
    r"带电(?!动|瓶|车|池|梯|脑)",
    r"电线(?:掉|耷拉|垂|断|落|拖)(?:下来|到地|在地|了)",
    r"电线[^,，。!！?？]{0,4}(?:掉下|断了|耷拉|垂到|落地|到地上|在地上)", r"(?:高压线|电线杆)(?:倒|断|掉)",
    r"电线(?:着|冒火|打火|起火|烧)", r"(?:打火花|冒火花|冒火星|电火花|滋滋冒火)", r"配电箱(?:冒|着|烧|响)",
    # fire and smoke
    r"着火", r"起火", r"失火", r"火灾", r"烧起来", r"(?:火|屋|房子|车|电瓶|电动车|电车)着了", r"冒烟",
    r"冒黑烟", r"一股烟", r"浓烟", r"烧焦味", r"爆炸",
    r"(?:电动车|电瓶车|电车|电瓶|电池)(?:起火|着火|自燃|冒烟|爆)",
    # gas
    r"(?:燃气|煤气|天然气|液化气)(?:味|泄漏|泄露|漏|跑气)", r"(?:闻到|有股|一股)(?:燃气|煤气|天然气)",
    r"煤气中毒", r"一氧化碳",
    # people in danger
    r"(?:有人|老人|老太太|老头|人)(?:晕倒|昏倒|摔倒|倒地|晕过去|昏过去|不省人事|没气|没反应|起不来)",
    r"晕倒了", r"昏倒了", r"倒地不起", r"不省人事", r"困在电梯", r"电梯(?:里)?(?:困|关)(?:了|住)?人",
    r"被困", r"(?:跳楼|要跳楼|轻生)",
    # stairwell charging of e-bikes (a stated urgent category)
    r"飞线充电", r"飞线[^,，。!！?？]{0,6}充电", r"充电[^,，。!！?？]{0,4}飞线", r"楼道(?:里|内)?(?:给|在)?(?:电动车|电瓶车|电车|电瓶)?充电(?!桩|器|口|柜|站|设施)", r"(?:拉|扯)(?:电线|线|插板)(?:下来)?充电",
    r"私拉电线", r"私拉乱接",
    # structures about to fall
    r"(?:楼|墙|房顶|屋顶|阳台|围墙)(?:要)?(?:塌|倒)了", r"坍塌", r"(?:砸到人|砸伤)",
)
_DANGER = re.compile("|".join(f"(?:{p})" for p in DANGER))

_NEGATION = re.compile(r"(?:没有|没|不|未|无|并没|并不|不是)(?:再|发现|闻到|见|看到|有)?$")
_QUESTION = re.compile(r"(?:是不是|是否|有没有|会不会|好像|可能|疑似|怀疑)(?:有|是)?$")
_HEDGE = re.compile(r"(?:怕|担心|防止|预防|以防|万一|容易|小心|注意|避免|可能会|会)(?:会|引起|引发|造成|出现|发生)?$")
# Talk about safety, not an emergency: drills, lectures, posters.
_TOPIC = re.compile(r"演练|演习|讲座|培训|知识|宣传|科普|展览|报名")


def _negated(t: str, start: int) -> bool:
    before = t[max(0, start - 5):start]
    if _QUESTION.search(before):
        return False
    return bool(_NEGATION.search(before) or _HEDGE.search(before))


def danger_words(text: str) -> list[str]:
    """Danger phrases that stand (not negated, not a worry, not a drill)."""
    t = norm(text)
    if _TOPIC.search(t) and not re.search(r"现在|快来|救命|赶紧|马上", t):
        return []
    return [m.group(0) for m in _DANGER.finditer(t) if not _negated(t, m.start())]


def is_urgent(text: str) -> bool:
    """True when the message reports a present danger to people (fire, gas, electricity …)."""
    return bool(danger_words(text))
