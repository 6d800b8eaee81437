"""Take personal data out of a short public text: phones and ids however written, names in the
positions Chinese puts them, WeChat ids, e-mail, building / unit / room numbers, ages.

The public board shows only structured facts and summaries staff wrote or approved; this is the
second line behind that, so it errs towards removing too much. Full-width digits, letters and
the marks of ids and e-mail are folded to ASCII first, so they are caught like ASCII ones; Chinese
punctuation stays as it is.
"""

from __future__ import annotations

import re

MASK = "***"
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F) if chr(cp - 0xFEE0).isalnum() or chr(cp - 0xFEE0) in "@._-+"}
_FOLD[0x3000] = 0x20  # ideographic space

# Digits as people write them in a phone number: ASCII, lower and upper Chinese numerals, 幺 (= 1).
_D = "0-9零〇○一二三四五六七八九壹贰貳叁參肆伍陆陸柒捌玖幺"
_SEP = r"[\s\-_.·/、,，]*"
# Counting words that take a number in front of a room or a building.
_NUM = _D + "十百两"

# Common surnames, two-character ones first so 欧阳建国 is taken whole.
_COMPOUND = "欧阳|司马|上官|诸葛|东方|皇甫|尉迟|公孙|慕容|长孙|宇文|司徒|令狐|夏侯|轩辕|端木|独孤|南宫|西门|申屠|澹台"
_SINGLE = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任"
    "沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方邹熊白孟秦邱侯江尹薛闫阎段雷黎史龙陶贺顾毛郝龚邵钱严覃武戴莫"
    "孔汤施牛樊葛邢齐乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕季裴霍涂苗谷"
    "盛曲翁冉骆蓝辛靳柴蒙鲍喻祁蒲房滕屈饶牟艾尤穆卓吉缪芦麦褚娄窦戚岑宫费卜冷晏席卫米柏瞿桂佟臧闵苟邬卞"
    "姬仇栾隋刁沙荣巫寇桑郎甄丛仲虞敖巩佘池匡钮"
)
# Left out on purpose: surnames that are everyday words before 家 / 说 / 师傅 (管家, 全家, 商家, 时候,
# 文明, 安全, 成家, 明天, 和, 万一 …); staff summaries seldom name such people, and the board never
# shows a resident's own words.
_SURNAME = f"(?:{_COMPOUND}|[{_SINGLE}])"
# 老王 / 小李: only surnames that do not also start everyday words after 老 / 小 (小时, 小区, 小程序 …).
_FAMILIAR = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾田董潘袁蔡蒋余杜叶魏苏吕丁任沈姚"
_HAN = r"[\u4e00-\u9fff]"

_CUES = ("我叫|我姓|我是|本人姓|本人叫|本人是|名叫|叫做|姓名|联系人|联系|户主|业主|找一下|请找|找|家属|老伴|"
         "儿子|女儿|丈夫|妻子|爱人")
_HONORIFICS = ("阿姨|大爷|大妈|大娘|大婶|奶奶|爷爷|姥姥|姥爷|师傅|老师|先生|女士|小姐|大姐|大哥|老太太|老太|老人|"
               "婆婆|叔叔|伯伯|阿婆|书记|主任|会长|家里|家的|家")
_ACTS = "反映|投诉|来电|报修"

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # openids (o…, 28 characters) and WeChat's own internal ids
    (re.compile(r"(?<![A-Za-z0-9])o[-_A-Za-z0-9]{10,}"), MASK),
    (re.compile(r"wxid_[A-Za-z0-9_-]+", re.I), MASK),
    # WeChat ids after the words people use for them: 微信号 zhangsan_88, vx：abc123, 加V 123…
    (re.compile(r"(微信号?|微訊|薇信|威信|[vV]信|[vV][xX]|[wW][xX]|weixin|wechat|加[vV]|QQ号?|qq号?)"
                r"\s*[:：是为=]?\s*[A-Za-z0-9][-_A-Za-z0-9]{3,19}"), r"\1" + MASK),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), MASK),
    # building, unit, floor and room: 3号楼 2单元 501室, 五栋, 6楼, 302户, 2-301 (号院 is the courtyard: public)
    (re.compile(rf"[{_NUM}]+\s*(号楼|栋|幢|单元|层|楼|室|户|号房|号(?!院))"), r"*\1"),
    # ages: 76岁, 七十六岁
    (re.compile(rf"[{_NUM}]+\s*(周岁|岁)"), r"*\1"),
    # any run of three or more digits, however written and spaced: phones, ids, rooms
    (re.compile(rf"(?>[{_D}](?:{_SEP}[{_D}]){{2,}})(?!\s*年)"), MASK),
    # names after a cue: 我叫欧阳建国, 找王建国, 联系人李四
    (re.compile(rf"({_CUES})\s*[:：]?\s*(?!方式|方便|方面){_SURNAME}{_HAN}{{0,2}}"), r"\1某某"),
    # names before a title or 家: 刘秀兰家, 王阿姨, 张建国师傅
    (re.compile(rf"{_SURNAME}{_HAN}{{0,2}}?({_HONORIFICS})"), r"某\1"),
    # names before what a person does: 王建国反映…
    (re.compile(rf"{_SURNAME}{_HAN}{{1,2}}?({_ACTS})"), r"某某\1"),
    # 老王, 小李
    (re.compile(rf"([老小])[{_FAMILIAR}]"), r"\1某"),
    # 姓王
    (re.compile(rf"姓\s*{_SURNAME}"), "姓某"),
)


def scrub(text: str | None, limit: int = 60) -> str:
    """`text` fit for a public page: personal data masked, whitespace folded, at most `limit` characters."""
    out = (text or "").translate(_FOLD)
    out = " ".join(out.replace("\x00", "").split())
    for pattern, repl in _RULES:
        out = pattern.sub(repl, out)
    return out[:limit] + ("…" if len(out) > limit else "")
