"""Emergencies: life and safety, decided before anything else is read into a message.

`detect(text)` names the kinds of danger a message reports (a person down, trapped in a lift, fire,
gas, live wires, a missing manhole cover, flooding, 飞线充电, a collapse); `numbers` and `advice`
give the first two lines a resident in danger reads: the right number, then what to do now.
Worries, questions and drills ("怕着火", "有没有燃气味", "消防演练") are not emergencies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.config import Config
from handlers import danger_model
from handlers.model import Recent
from handlers.text import norm
from handlers.urgency import is_urgent

PERSON, LIFT, FIRE, GAS, POWER, MANHOLE, FLOOD, WIRE, COLLAPSE = (
    "person", "lift", "fire", "gas", "power", "manhole", "flood", "wire", "collapse")
DANGER = "danger"  # handlers.urgency saw danger this module has no kind for: every number

_WHO = r"(?:人|老人|老头|老头子|老太太|老太|老伴|老婆|老公|大爷|大娘|奶奶|爷爷|孩子|小孩|娃|妞|婶|叔|邻居|俺妈|俺爸|我妈|我爸)"
_PATTERNS: dict[str, tuple[str, ...]] = {
    PERSON: (
        rf"{_WHO}[^,，。!！?？]{{0,4}}(?:摔倒|摔了|跌倒|栽倒|晕倒|昏倒|晕过去|昏过去|倒地|倒在地|不省人事|没气|没反应|叫不醒|抽搐|抽风|吐血)",
        r"(?:摔倒|跌倒|摔)了?[^,，。!！?？]{0,3}(?:起不来|爬不起来|动不了)", r"晕倒了|昏倒了|倒地不起|不省人事|叫不醒",
        r"(?:掉|跌|摔)(?:进|到|下)(?:去|井里|坑里|下水道)", r"流了?好多血|血流不止|出了好多血|喘不上气|没有呼吸|心脏病犯了",
        r"(?:跳楼|轻生|想不开)",
    ),
    LIFT: (
        r"电梯[^。!！?？]{0,10}(?:关|困|卡|锁)(?:着|住|了)+[^,，。!！?？]{0,3}人", r"(?:困|关|卡)在电梯",
        r"电梯[^,，。!！?？]{0,6}(?:关|困|卡|锁)(?:住)?人",
        r"电梯[^,，。!！?？]{0,4}(?:出不来|下不来|掉下去|往下掉|坠)",
        r"电梯[^。!！?？]{0,12}(?:人|孩子|孙子|孙女|娃|老人|妞)[^,，。!！?？]{0,2}在里(?:头|面|边)",
    ),
    FIRE: (
        r"着火|起火|失火|火灾|烧起来|着起来了|火苗|冒烟|冒黑烟|浓烟|好大的烟|烟很大|烧焦味|爆炸|炸了",
        r"(?:电动车|电瓶车|电车|电瓶|电池)[^,，。!！?？]{0,3}(?:自燃|冒烟|烧|爆)",
    ),
    GAS: (
        r"(?:燃气|煤气|天然气|液化气)[^,，。!！?？]{0,3}(?:味|漏|泄|跑气|呲)", r"(?:闻到|有股|一股|好大的)(?:燃气|煤气|天然气)",
        r"煤气中毒|一氧化碳",
    ),
    POWER: (
        r"漏电|触电|电着人|电到人|电打人|麻手|打火花|冒火花|冒火星|电火花|噼里啪啦.{0,4}火",
        r"电线[^,，。!！?？]{0,4}(?:掉|耷拉|垂|断|落|拖|露|裸)", r"(?:裸露|露着|光着)的?电线", r"(?:高压线|电线杆)[^,，。!！?？]{0,2}(?:倒|断|掉)",
        r"配电箱[^,，。!！?？]{0,3}(?:冒|着|烧|响|爆)",
    ),
    MANHOLE: (
        r"井盖[^,，。!！?？]{0,3}(?:没了|没有了|丢了|不见了|被偷|掉了|碎了|塌了|翻了|掀开|开着|烂了)",
        r"没(?:有)?井盖|(?:下水道|窨井|污水井|井口)[^,，。!！?？]{0,3}(?:敞着|开着|露着|没盖)",
    ),
    FLOOD: (
        r"水漫|漫到屋里|淹了|进水了|水管爆|爆管|管子爆|水哗哗|发大水|水淹|满屋子都是水|屋里成了河",
    ),
    WIRE: (
        r"飞线|楼道[^,，。!！?？]{0,6}充电(?!桩|器|口|柜|站)|(?:从|往)(?:窗户|楼上|阳台)[^,，。!！?？]{0,4}(?:拉|吊|扯)[^,，。!！?？]{0,3}(?:线|插板)",
        r"私拉电线|私拉乱接",
    ),
    COLLAPSE: (
        r"(?:楼|墙|房顶|屋顶|阳台|围墙|天花板|吊顶)[^,，。!！?？]{0,3}(?:塌|倒)了|坍塌|(?:砸到人|砸伤|砸着人)",
    ),
}
_COMPILED = {kind: re.compile("|".join(f"(?:{p})" for p in pats)) for kind, pats in _PATTERNS.items()}
_WORRY = re.compile(r"(?:没有|没|不|未|并没|不是|怕|担心|防止|预防|以防|万一|容易|小心|注意|避免|会不会|是不是|有没有|是否|如何|怎么防)"
                    r"[^,，。!！?？]{0,3}$")
_TALK = re.compile(r"演练|演习|讲座|培训|知识|宣传|科普|展览|报名|课")
_NOW = re.compile(r"现在|快|救命|赶紧|马上|急")
_IF_SO = re.compile(r"^[^,，。!！]{0,2}(?:咋办|怎么办|可咋整|咋整|就完了|可不得了|就麻烦了)")  # 掉进去咋办: not yet


@dataclass(frozen=True)
class Emergency:
    kinds: tuple[str, ...]  # most serious first; PERSON leads when someone is hurt

    @property
    def person(self) -> bool:
        """A person is in danger: never called a repair (报修)."""
        return PERSON in self.kinds or LIFT in self.kinds

    @property
    def kind(self) -> str:
        return self.kinds[0]


_ORDER = (PERSON, LIFT, FIRE, GAS, COLLAPSE, POWER, MANHOLE, FLOOD, WIRE)


_ANY_WORRY = re.compile(r"怕|担心|防止|预防|以防|万一|有没有|是不是|会不会|容易|小心|注意|避免|是否")
# The learned kinds (handlers.danger_model's labels) as this module names them.
LEARNED = {"fire": FIRE, "gas": GAS, "person": PERSON, "lift": LIFT, "electric": POWER, "manhole": MANHOLE,
           "structure": COLLAPSE}
# The rules' kinds are heard beside the model's only while the model is not sure it is no danger.
RULES_UNLESS_NONE = 0.7


def detect(text: str) -> Emergency | None:
    """The dangers `text` reports now (not worries, questions, past events or drills), or None: the
    learned model's kind, with what the rules see while the model does not call it safe. A flood
    (a burst pipe, a blocked drain) is an urgent repair, not an emergency: no 119 for water."""
    t = norm(text)
    if not t or (_TALK.search(t) and not _NOW.search(t)):
        return None
    r = danger_model.reading(t)
    rules, doubted = _rules(t)
    learned = LEARNED.get(r.label) if r.p >= danger_model.THRESHOLD else None
    # the model reads the words, the rules their grammar: "没闻到燃气味", "怕着火" are not a gas leak or a fire
    if learned and not _CUE[learned].search(t):  # "十五号院三号楼" is a place, not a fire
        learned = None
    if learned not in rules and (learned in doubted or (doubted and _ANY_WORRY.search(t))) \
            or (learned == LIFT and not _LIFT_PERSON.search(t)):
        learned = None
    found = {learned} if learned else set()
    if rules and (r.p_none < RULES_UNLESS_NONE or rules & found):
        found |= rules
    else:  # 飞线充电 (no label in the corpus) and someone in a lift: the patterns are exact enough
        found |= rules & {WIRE, LIFT}
    return Emergency(tuple(k for k in _ORDER if k in found)) if found else None


# The least each learned kind needs in the words: the model alone never raises an alarm on a bare place.
_CUE = {FIRE: re.compile(r"火|烟|烧|焦|炸|爆|燃"), GAS: re.compile(r"气|味|呛"), LIFT: re.compile(r"电梯|轿厢"),
        PERSON: re.compile(r"人|老|倒|摔|晕|昏|血|伤|气|醒|动|救|孩|娃|爷|奶|妈|爸|伴|头|太"),
        POWER: re.compile(r"电|火花|线"), MANHOLE: re.compile(r"井|坑|洞|盖|窟窿"),
        COLLAPSE: re.compile(r"塌|倒|裂|掉|砸|歪|垮|落")}
_LIFT_PERSON = re.compile(rf"人|困|出不来|下不来|坠|掉下|往下掉|孩|娃|妞|救命|里头有|里面有|喊|关着|锁着|在里(?:头|面|边)|{_WHO}")


def _rules(t: str) -> tuple[set[str], set[str]]:
    """The kinds the hand-written patterns see in normalised text `t`, and those they see only as a
    worry, a negation or a question."""
    found: set[str] = set()
    doubted: set[str] = set()
    for kind, rx in _COMPILED.items():
        for m in rx.finditer(t):
            if _WORRY.search(t[max(0, m.start() - 5):m.start()]) or _IF_SO.match(t[m.end():]):
                doubted.add(kind)
                continue
            found.add(kind)
    found.discard(FLOOD)
    return found, doubted


_recent: Recent[Emergency | None] = Recent()


def read(text: str) -> Emergency | None:
    """`detect`, else a generic danger where handlers.urgency sees one and nothing sounds like a worry."""
    return _recent.get(danger_model.default(), text, lambda: _read(text))


def _read(text: str) -> Emergency | None:
    found = detect(text)
    if found is None and is_urgent(text) and not _ANY_WORRY.search(norm(text)) \
            and danger_model.reading(norm(text)).p_none < RULES_UNLESS_NONE:
        return Emergency((DANGER,))
    return found


def numbers(cfg: Config, e: Emergency) -> list[tuple[str, str]]:
    """(number, what it is) for the first line, most urgent first, each once."""
    n = cfg.emergency
    table = {
        PERSON: [(n.people, "急救")], LIFT: [(n.lift, "电梯救援")], FIRE: [(n.fire, "火警")],
        GAS: [(n.gas, "燃气抢修"), (n.fire, "火警")], POWER: [(n.power, "供电抢修"), (n.fire, "火警")],
        MANHOLE: [(n.police, "报警")], FLOOD: [(n.fire, "火警")], WIRE: [(n.fire, "起火打火警")],
        COLLAPSE: [(n.fire, "火警"), (n.people, "急救")],
        DANGER: [(n.fire, "火警"), (n.people, "急救"), (n.police, "报警")],
    }
    out: list[tuple[str, str]] = []
    for kind in e.kinds:
        for pair in table[kind]:
            if pair[0] not in {p[0] for p in out}:
                out.append(pair)
    return out[:3]


ADVICE = {
    PERSON: "先别挪动他，守在旁边，告诉急救他在哪个院哪栋楼。",
    LIFT: "让电梯里的人按警铃、别扒门，我们马上叫人。",
    FIRE: "先带家人出门，走楼梯别坐电梯，用湿毛巾捂住口鼻。",
    GAS: "别开灯、别打火、别用手机在屋里打，开窗后人先出来再打电话。",
    POWER: "离远点，别碰电线，看住别让孩子过去。",
    MANHOLE: "在井口旁放个显眼的东西挡一下，看住孩子别靠近。",
    FLOOD: "能关就先关总水阀，拉下电闸，别踩进有电器的水里。",
    WIRE: "楼道里别充电，先把线拔了，车推到楼外去。",
    COLLAPSE: "人先离开，别靠近塌的地方，看住别让人过去。",
    DANGER: "先离开危险的地方，别自己动手处理。",
}


def notice(cfg: Config, e: Emergency) -> str:
    """The two lines before anything else: the number(s), then what to do now."""
    calls = "，".join(f"{what} {num}" for num, what in numbers(cfg, e))
    return f"⚠️ 请马上打电话：{calls}！\n{ADVICE[e.kind]}"


# Words of an open ticket's text that say it is about the same danger (an emergency about it escalates it).
SUBJECT = {
    LIFT: r"电梯", GAS: r"燃气|煤气|天然气|液化气", FIRE: r"火|烟|烧", POWER: r"电线|电箱|配电|漏电|火花|电",
    MANHOLE: r"井盖|井口|下水道|窨井", FLOOD: r"水管|漏水|水|淹", WIRE: r"飞线|充电|电线", COLLAPSE: r"塌|墙|顶",
}


def same_subject(e: Emergency, text: str) -> bool:
    t = norm(text)
    return any(k in SUBJECT and re.search(SUBJECT[k], t) for k in e.kinds if k != PERSON)
