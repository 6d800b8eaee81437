"""The one scrubber for everything meant for other eyes (the public board, the monthly digest's page,
PDF and WeChat draft, 好人好事): phones and ids however written, names in the positions Chinese puts
them (after a cue, before a title, 家, a phone word or what a person does) and the names we know,
WeChat ids, e-mail, building / unit / room numbers, ages. Pure.

It errs towards removing too much. Full-width digits, letters and the marks of ids and e-mail are
folded to ASCII first. Time is linear in the text's length: numbers are found by one scan (`_numbers`),
not by regular expressions that backtrack over long digit runs (a report followed by 30,000 digits
took the digest down), and every regular expression left either starts at a bounded cue or is
anchored so that it cannot restart inside a run it already failed on (bench/scrub.py measures it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp - 0xFEE0).isalnum() or chr(cp - 0xFEE0) in "@._-+"}
_FOLD[0x3000] = 0x20  # ideographic space
MAX_INPUT = 4000  # characters looked at (beyond any limit a page prints: the cut is never shown)

# Digits as people write them in a phone number: ASCII, lower and upper Chinese numerals, 幺 (= 1).
DIGITS = frozenset("0123456789零〇○一二三四五六七八九壹贰貳叁參肆伍陆陸柒捌玖幺")
_COUNTING = frozenset("十百两")  # in front of a room, a floor or an age, not in a phone number
_SEPARATORS = frozenset(" -_.·/、,，")
_ROOM = re.compile(r"\s*(号楼|栋|幢|单元|层|楼|室|户|号房|号院|号)")
_AGE = re.compile(r"\s*(周岁|岁)")
_YEAR = re.compile(r"\s*年")

# Common surnames, two-character ones first so 欧阳建国 is taken whole.
_COMPOUND = "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|长孙|宇文|司徒|令狐|夏侯|轩辕|端木|独孤|南宫|西门|申屠|澹台"
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方邹熊白孟秦邱侯江尹薛闫阎段雷黎史龙陶贺顾毛郝龚邵钱严覃武戴莫"
    "孔汤施牛樊葛邢齐乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕季裴霍涂苗谷"
    "盛曲翁冉骆蓝辛靳柴蒙鲍喻祁蒲房滕屈饶牟艾尤穆卓吉缪芦麦褚娄窦戚岑宫费卜冷晏席卫米柏瞿桂佟臧闵苟邬卞"
    "姬仇栾隋刁沙荣巫寇桑郎甄丛仲虞敖巩佘池匡钮"
)
# Left out on purpose: surnames that are everyday words before 家 / 说 / 师傅 (管家, 全家, 商家, 时候,
# 文明, 安全, 成家, 明天, 和, 万一 …).
_SURNAME = f"(?:{_COMPOUND}|[{SURNAMES}])"
# 老王 / 小李: only surnames that do not also start everyday words after 老 / 小 (小时, 小区, 小程序 …).
_FAMILIAR = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾田董潘袁蔡蒋余杜叶魏苏吕丁任沈姚"
_HAN = r"[\u4e00-\u9fff]"

# Words after which a name follows: a resident's own (我叫…), who to find (找…), who is thanked
# (感谢…), who handled it (处理人：…) — staff summaries name people these ways too.
_CUES = ("我叫|我姓|我是|本人姓|本人叫|本人是|名叫|叫做|姓名|联系人|联系|户主|业主|找一下|请找|找|家属|老伴|"
         "儿子|女儿|丈夫|妻子|爱人|处理人|负责人|经办人|办理人|维修人|维修工|维修员|网格员|志愿者|对接人|"
         "感谢|谢谢|多谢|多亏|表扬|点赞|辛苦|致谢")
_HONORIFICS = ("阿姨|大爷|大妈|大娘|大婶|奶奶|爷爷|姥姥|姥爷|师傅|老师|先生|女士|小姐|大姐|大哥|老太太|老太|老人|"
               "婆婆|叔叔|伯伯|阿婆|书记|主任|会长|家里|家的|(?<!大)家")
_ACTS = "反映|投诉|来电|报修"
# A name right before how to reach the person: 欧阳建国 手机…, 王小明电话…
_CONTACT = r"手机|电话|电联|座机|微信|联系方式|号码|tel|Tel|TEL|\*\*\*"

_IDS: tuple[tuple[re.Pattern[str], str], ...] = (
    # openids (o…, 28 characters) and WeChat's own internal ids
    (re.compile(r"(?<![A-Za-z0-9])o[-_A-Za-z0-9]{10,}"), MASK),
    (re.compile(r"wxid_[A-Za-z0-9_-]+", re.I), MASK),
    # WeChat ids after the words people use for them: 微信号 zhangsan_88, vx：abc123, 加V 123…
    (re.compile(r"(微信号?|微訊|薇信|威信|[vV]信|[vV][xX]|[wW][xX]|weixin|wechat|加[vV]|QQ号?|qq号?)"
                r" ?[:：是为=]? ?[A-Za-z0-9][-_A-Za-z0-9]{3,19}"), r"\1" + MASK),
    # e-mail; the local part starts where no local-part character stands before it (no restarts)
    (re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,5}"),
     MASK),
)
_NAMES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"({_CUES})( ?[:：]? ?)(?!方式|方便|方面|社区|大家|您|你){_SURNAME}{_HAN}{{0,2}}"), r"\1\2某某"),
    (re.compile(rf"{_SURNAME}{_HAN}{{1,2}}(?= ?[:：,，]? ?(?:{_CONTACT}))"), "某某"),
    (re.compile(rf"{_SURNAME}{_HAN}{{0,2}}?({_HONORIFICS})"), r"某\1"),
    (re.compile(rf"{_SURNAME}{_HAN}{{1,2}}?({_ACTS})"), r"某某\1"),
    (re.compile(rf"([老小])[{_FAMILIAR}]"), r"\1某"),
    (re.compile(rf"姓 ?{_SURNAME}"), "姓某"),
)


def _numbers(text: str) -> str:
    """Every run of digits (however written, spaced or dotted) in one pass: three or more digits
    masked; a number before a building, unit, floor or room word becomes `*`, before 岁 too; a
    year (19xx / 20xx before 年) and a courtyard (up to two digits before 号院) stay."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c not in DIGITS and c not in _COUNTING:
            out.append(c)
            i += 1
            continue
        start, digits, end = i, 0, i
        j = i
        while j < n:  # the run: digits, with separators only between them
            if text[j] in DIGITS or text[j] in _COUNTING:
                digits += text[j] in DIGITS
                j += 1
                end = j
            elif text[j] in _SEPARATORS and j + 1 < n and (text[j + 1] in DIGITS or text[j + 1] in _SEPARATORS):
                j += 1
            else:
                break
        run = text[start:end]
        room, age = _ROOM.match(text, end), _AGE.match(text, end)
        if room and room.group(1) == "号院" and len(run) <= 2:
            out.append(run)  # 3号院: the courtyard is public
        elif room and room.group(1) != "号院":
            out.append("*")
        elif age:
            out.append("*")
        elif digits >= 3 and not (len(run) == 4 and run[:2] in ("19", "20") and _YEAR.match(text, end)):
            out.append(MASK)
        else:
            out.append(run)
        i = end
    return "".join(out)


def scrub(text: str | None, limit: int = 60, names: Iterable[str] = ()) -> str:
    """`text` fit for other eyes: personal data masked (and each of `names` — residents', members'
    without consent — replaced), whitespace folded, at most `limit` characters."""
    out = (text or "")[: max(MAX_INPUT, limit * 4)].translate(_FOLD)
    out = " ".join(out.replace("\x00", "").split())
    for name in sorted({n for n in names if n and len(n) >= 2}, key=len, reverse=True):
        out = out.replace(name, "某某")
    for pattern, repl in _IDS:
        out = pattern.sub(repl, out)
    out = _numbers(out)
    for pattern, repl in _NAMES:
        out = pattern.sub(repl, out)
    return out[:limit] + ("…" if len(out) > limit else "")
