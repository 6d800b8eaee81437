"""Small text helpers shared by the understanding modules: normalising, numerals, yes/no, refs."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from handlers.normalize import CN_DIGITS, CN_UNITS, NUM, canonical, cn_to_int  # noqa: F401 (re-exported)

_SPACE = re.compile(r"\s+")
_WECHAT_EMOTE = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,6}\]|/:[^\s]{1,8}")
_MEANINGFUL = re.compile(r"[0-9A-Za-z\u3400-\u4dbf\u4e00-\u9fff]")
_REF = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]{1,3}\d{2,10})(?![A-Za-z0-9])")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?!\d)")
_NAME = re.compile(r"(?:我叫|俺叫|我是|俺是|姓名[:：]?|名字[:：]?|名字叫|联系人[:：]?)\s*([\u4e00-\u9fff]{2,4}?)(?=[,，。.;；\s\d电手联]|$)")

# Common surnames: a name after 我是 / 我叫 must start with one (so 我是党员 is not a name).
SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮"
    "柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉"
    "缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)

NOT_NAMES = ("哪个", "这个", "那个", "楼院", "社区", "居民", "党员", "业主", "老人", "会长", "志愿", "住户",
             "租户", "家属", "退休", "老师", "师傅", "单元", "号楼", "院的")

YES = {"是", "是的", "对", "对的", "好", "好的", "好啊", "行", "可以", "中", "中中", "中啊", "嗯", "嗯嗯",
       "要", "需要", "默认", "1", "ok", "确定", "没问题", "妥", "对对", "那中", "就这"}
NO = {"不", "不要", "不用", "不用了", "不需要", "不了", "算了", "否", "不是", "不对", "2", "no", "不中",
      "先不", "先不用", "不默认"}


def norm(text: str) -> str:
    """The canonical text (handlers.normalize) with whitespace removed: what rules match on."""
    return _SPACE.sub("", canonical(text or ""))


def bare(text: str) -> str:
    """`norm` minus punctuation and emoji: what is left to read."""
    t = canonical(_WECHAT_EMOTE.sub("", unicodedata.normalize("NFKC", text or "")))
    return "".join(_MEANINGFUL.findall(t)).lower()


def is_blank(text: str) -> bool:
    """Empty, or only emoji / punctuation / WeChat emoticons."""
    return not bare(text)


def number_answer(text: str) -> int | None:
    """A reply that is only a number: '3', '3号', '三', '第3个', '选3' → 3."""
    m = re.fullmatch(rf"(?:第|选|回复|是)?({NUM})(?:号|个|号院|院)?(?:吧|呀|啊|哈)?", bare(text))
    return cn_to_int(m.group(1)) if m else None


def yes_no(text: str) -> bool | None:
    """True for yes (是 / 好 / 中 / 1), False for no (不用 / 2), None when neither."""
    b = bare(text)
    b = re.sub(r"(吧|呀|啊|哈|呗|哦|噢|嘞|哩|了吧)$", "", b) or b
    if b in YES:
        return True
    if b in NO:
        return False
    if re.fullmatch(r"(是|对|好|行|中|可以|嗯)+(的|啊|呀|吧)?(谢谢|麻烦了)?", b):
        return True
    if re.fullmatch(r"(不用|不要|不需要|先不)(了|啦)?(谢谢)?", b):
        return False
    return None


def find_ref(text: str) -> str | None:
    """A ticket ref such as R1024 (any case, full-width allowed) → 'R1024'."""
    m = _REF.search(unicodedata.normalize("NFKC", text or ""))
    return m.group(1).upper() if m else None


def find_phone(text: str) -> str | None:
    """An 11-digit mainland mobile number, spaces or dashes allowed inside."""
    m = _PHONE.search(unicodedata.normalize("NFKC", text or ""))
    return "".join(m.groups()) if m else None


def find_name(text: str) -> str | None:
    """A name the resident gives: '我叫王秀英' / '姓名：李建国'."""
    m = _NAME.search(unicodedata.normalize("NFKC", text or ""))
    if not m:
        return None
    name = m.group(1)
    if name[0] not in SURNAMES or any(w in name for w in NOT_NAMES):
        return None
    return name


def newest(tickets: list[Any]) -> Any:
    """The most recent of a list of TicketView: by created_at (ties: the earlier in the list), else the
    first one listed (bot lists a resident's tickets newest first)."""
    if not tickets:
        return None
    if all(getattr(t, "created_at", None) is not None for t in tickets):
        return max(tickets, key=lambda t: t.created_at or datetime.min)
    return tickets[0]
