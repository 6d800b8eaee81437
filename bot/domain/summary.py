"""A problem in at most 20 characters, from the resident's own words, for a template field.

A template field shows 20 characters (since 2023-05-04): the first 20 of a message are usually a
greeting and who is writing ("您好，俺是二中家属院嘞…"). `summary` keeps what is wrong and where —
"3号楼2单元楼道灯不亮", "门口井盖丢了" — dropping greetings, self-introductions, dialect fillers,
thanks and the courtyard's name (the task shows it in its own field).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

LIMIT = 20

_CLAUSE = re.compile(r"[，。！？!?,.；;、\s~～…]+")
# Clauses that carry no problem: greetings, thanks, who is writing, pleas for help.
_EMPTY = re.compile(
    r"^(?:你好|您好|恁好|喂|哎|唉|在吗|在不在|有人吗|师傅|同志|领导|社区|管家|理事会|小哥|大哥|大姐|妹子|"
    r"谢谢|多谢|感谢|辛苦|麻烦(?:你|您|恁)们?了?|打扰|不好意思|求求|拜托|急死了|咋办|怎么办|可咋整|中不中|"
    r"能不能|快点|赶紧|请|帮帮忙|帮忙)"
)
_SELF = re.compile(r"^(?:我|俺|咱|我们|俺们|咱们)(?:家)?(?:是|住|在|就是|住在|家在|这边是)")
# Words that say something is wrong: a clause with one of them is the problem.
_FAULT = re.compile(
    r"坏|不亮|不灵|漏|渗|滴水|堵|丢|没了|不见|断|裂|塌|掉|响|吵|臭|乱|占|停|冒|不转|不动|不出|没水|没电|没气|"
    r"卡|锈|破|烂|歪|倒|积水|满了|没人管|噪音|扰民|着火|起火|困|打不开|关不上|不好使|不能用|用不了|"
    r"失灵|晃|松|翘|脱落|缺|少了|没有|污水|垃圾|老鼠|虫|漫|淹|爆|黑|不通|故障|异响|异味|味|脏|危险"
)
_FILLERS = re.compile(
    r"那个啥|那啥|就是说|就是|那个|这个|嘞|哩|咧|呀|啊|吧|哈|嘛|呢|哦|噢|嗯|诶|俺们|俺|咱们|咱|我们|"
    r"你们|恁们|恁|给俺|帮俺|一下子|一下|真是|实在|特别|非常|可|都|又|还|也|好几天|好些天|几天了|半个月了|一个月了|"
    r"了好久|好久|老是|总是|一直|现在|今天|昨天|昨儿|今儿|早上|晚上|夜里|半夜"
)
_YARD = re.compile(r"[\u4e00-\u9fff]{0,6}?(?:家属院|家属楼|家属区|大院|楼院)|(?:育英街)?[0-9一二三四五六七八九十]{1,3}号院")
_PLACE = re.compile(r"[0-9一二三四五六七八九十]{1,3}(?:号楼|栋|幢)(?:[0-9一二三四五六七八九十]{1,2}单元)?|"
                    r"[0-9一二三四五六七八九十]{1,2}单元")


def _clean(clause: str, drop: Iterable[str]) -> str:
    c = clause
    for name in sorted((n for n in drop if n), key=len, reverse=True):
        c = c.replace(name, "")
    c = _YARD.sub("", c)
    c = _SELF.sub("", c)
    c = re.sub(r"^(?:的|里|这|那|这边|那边|门口的?)?", "", c) if not c.startswith("门口") else c
    c = _FILLERS.sub("", c)
    c = re.sub(r"了+$", "了", re.sub(r"^(?:的|哩|是|在|住|家|了)+|的+$", "", c))
    return c


def summary(text: str, drop: Iterable[str] = (), limit: int = LIMIT) -> str:
    """What is wrong, and where, in at most `limit` characters (`drop`: names shown elsewhere)."""
    drop = tuple(drop)
    raw = " ".join((text or "").split())
    clauses = [c for c in _CLAUSE.split(raw) if c]
    kept: list[str] = []
    for clause in clauses:
        if _EMPTY.match(clause) and not _FAULT.search(clause[2:]):
            continue
        c = _clean(clause, drop)
        if len(c) >= 2:
            kept.append(c)
    if not kept:
        return _cut(raw, limit)
    faults = [c for c in kept if _FAULT.search(c)]
    main = faults[0] if faults else kept[0]
    place = next((m.group(0) for c in kept if (m := _PLACE.search(c))), "")
    if place and place not in main and not _PLACE.search(main) and len(place) + len(main) <= limit:
        main = place + main
    # a second fault in few words still fits: "楼道灯不亮，门也坏了"
    for extra in faults[1:]:
        if extra not in main and len(main) + 1 + len(extra) <= limit:
            main = f"{main}，{extra}"
    return _cut(main, limit)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
