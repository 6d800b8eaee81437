"""Anonymising residents' words for print (the monthly digest): no names, phones, room numbers,
openids or other numbers survive; what the sentence is about does. Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable

_CN_NUM = "0-9０-９一二三四五六七八九十百两零〇"
# The common surnames: "王阿姨", "老李", "小张" name a person as surely as a full name does.
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
            "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
            "戴莫孔向汤常")
TITLES = "阿姨|大爷|大妈|大娘|叔叔|婶婶|师傅|老师|大姐|大哥|奶奶|爷爷|姐|哥|同志|会长|主任|书记|先生|女士"
_PATTERNS = (
    (re.compile(r"o[-_A-Za-z0-9]{10,}"), ""),  # openids
    (re.compile(r"(?<!\d)1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)"), "***"),  # mobiles
    (re.compile(r"(?<!\d)0\d{2,3}[\s-]?\d{7,8}(?!\d)"), "***"),  # landlines
    (re.compile(rf"[{_CN_NUM}]+\s*(号楼|栋|幢|单元|层|楼|室|户|号房)"), r"*\1"),  # 3号楼2单元501室
    (re.compile(r"(我叫|我姓|我是|本人姓|本人叫|联系人|姓名)[：:]?[\u4e00-\u9fa5]{1,3}"), r"\1**"),
    (re.compile(rf"[{SURNAMES}]({TITLES})"), r"某\1"),  # 王阿姨 → 某阿姨
    (re.compile(rf"(老|小)[{SURNAMES}]"), r"\1某"),  # 老王 → 老某
    (re.compile(r"[0-9０-９]{2,}"), "*"),  # any other number
)


def scrub(text: str, limit: int = 60, names: Iterable[str] = ()) -> str:
    """`text` fit for print: known `names` (residents', members' without consent) and the patterns
    above replaced, whitespace collapsed, cut to `limit` characters."""
    out = " ".join((text or "").split())
    for name in sorted({n for n in names if n and len(n) >= 2}, key=len, reverse=True):
        out = out.replace(name, "某某")
    for pattern, repl in _PATTERNS:
        out = pattern.sub(repl, out)
    return out[:limit] + ("…" if len(out) > limit else "")
