"""Community events: "有啥活动", sign-up (with name and phone from the message), cancellation.

Events are numbered 1..n in the order of `ctx.events` (upcoming first), the numbers the list shows.
A full event still takes sign-ups: the bot puts the resident on the waitlist.
"""

from __future__ import annotations

import re
from datetime import datetime

from handlers.actions import EventCancel, EventSignup, UpdateResident
from handlers.base import Context, Decision, EventView, Inbound
from handlers.state import EventsListed
from handlers.text import NUM, SURNAMES, bare, cn_to_int, find_name, find_phone, number_answer

STEP = EventsListed.tag  # after the list was shown (that question pending) a bare number picks an event
WEEKDAYS = "一二三四五六日"
_CANCEL = re.compile(r"取消报名|取消活动|不去了|去不了|不参加了?|退出|不报了|退报名|撤销报名|来不了|取消")
_SIGNUP = re.compile(r"报名|报个名|参加|算我|我要去|我想去|想去|我去|带我|加我|登记|预约|占个位|留个位|报上"
                     r"|(?:给|帮|替)(?:我|俺)(?:们)?(?:也)?报|报(?:个|一个)|都(?:想|要)?去(?!不)|(?:俩|一块|一起)(?:都)?去(?!不)"
                     r"|报(?:两|俩|二|三|四|五|[2-5])(?:个|位)")
# Who else goes: a relative or neighbour by what the resident calls them (我和我老伴都去), and how many (报两个人)
_REL = re.compile(r"老伴|老婆|老公|爱人|孙子|孙女|外孙女?|儿子|闺女|女儿|儿媳|邻居|朋友|亲家|老姐妹|老伙计|俺妈|我妈|俺爸|我爸")
_COUNT = re.compile(r"(?:报|去|来|算|我们|俺们|咱们|一共|总共)?(两|俩|二|三|四|五|[2-5])(?:个人|个|位|口人|人)"
                    r"|(?:我|俺|咱)(?:们)?(俩|仨)|(两)口子")
_TOGETHER = re.compile(r"(?:我|俺)(?:和|跟|同|带(?:上|着)?)|都|一块|一起|俩|仨|两口子|还有")
_INDEX = re.compile(rf"(?:报名|参加|取消|第)*({NUM})(?:号活动|个活动|个|号)?")
_GENERIC = {"活动", "报名", "参加", "社区", "一个", "我们", "组织"}
_OTHER = re.compile(r"(?:老伴|老婆|老公|爱人|孙子|孙女|外孙|儿子|闺女|女儿|儿媳|邻居|朋友|亲家|俺妈|我妈|俺爸|我爸|老姐妹|老伙计)"
                    r"[^,，。]{0,3}(?:也)?(?:想|要|能)?(?:去|参加|报|来)|(?:给|帮|替)[\u4e00-\u9fff]{1,4}(?:也)?报(?:个)?名")
_THEIR_NAME = re.compile(r"(?:他|她|名字|俺|人)?(?:叫|名叫|名字是|名字叫)([\u4e00-\u9fff]{2,3})|(?:给|帮|替)([\u4e00-\u9fff]{2,3})(?:也)?报")


def guest_name(text: str) -> str | None:
    """The person a resident signs up besides themself (俺老伴也想去…他叫李长顺), or None."""
    b = bare(text)
    if not _OTHER.search(b):
        return None
    for m in _THEIR_NAME.finditer(b):
        name = m.group(1) or m.group(2)
        if name and name[0] in SURNAMES:
            return name
    return None


def party(text: str) -> tuple[str, ...]:
    """The places besides the resident's own, by what the resident calls them (老伴), else 同行2, 同行3 …:
    "我和我老伴都去" → (老伴,), "报两个人" → (同行2,), "俺仨" → (同行2, 同行3)."""
    b = bare(text)
    rels = list(dict.fromkeys(m.group(0) for m in _REL.finditer(b))) if _TOGETHER.search(b) else []
    if "两口子" in b and not rels:
        rels = ["老伴"]
    n = 0
    if m := _COUNT.search(b):
        word = next(g for g in m.groups() if g)
        n = {"俩": 2, "仨": 3}.get(word) or cn_to_int(word) or 0
    total = max(n, len(rels) + 1 if rels else 0)
    extra = [*rels, *(f"同行{k}" for k in range(len(rels) + 2, total + 1))]
    return tuple(extra[:max(total - 1, 0)])


def relation(text: str) -> str | None:
    """The one person a message is about (俺老伴去不了了 → 老伴), when it names one and not the resident too."""
    b = bare(text)
    found = list(dict.fromkeys(m.group(0) for m in _REL.finditer(b)))
    if len(found) != 1 or re.search(r"(?:我|俺)(?:和|跟|俩)|都", b):
        return None
    return found[0]


def is_full(e: EventView) -> bool:
    return e.capacity > 0 and e.registered >= e.capacity


def when(dt: datetime) -> str:
    part = "上午" if dt.hour < 12 else ("下午" if dt.hour < 18 else "晚上")
    hour = dt.hour if dt.hour <= 12 else dt.hour - 12
    return f"{dt.month}月{dt.day}日（周{WEEKDAYS[dt.weekday()]}）{part}{hour}:{dt.minute:02d}"


def describe(e: EventView) -> str:
    if e.cancelled:
        return f"「{e.title}」{when(e.starts_at)}，已取消"
    if e.capacity <= 0:
        room = "名额不限"
    elif is_full(e):
        room = "已满，可排候补"
    else:
        room = f"还剩 {e.capacity - e.registered} 个名额"
    mine = "（您已报名）" if e.mine else ""
    return f"「{e.title}」{when(e.starts_at)}，{e.place}，{room}{mine}"


def list_text(events: list[EventView]) -> str:
    if not events:
        return "最近还没有安排活动。有新活动会在这里通知大家，欢迎常来看看。"
    lines = ["最近的活动："]
    lines += [f"{i}. {describe(e)}" for i, e in enumerate(events, start=1)]
    example = "报名1" if len(events) > 1 else "报名"
    lines.append(f"想参加请回复「{example}」，可以带上姓名和手机号，例如：{example} 王秀英 13800000000")
    return "\n".join(lines)


def _bigrams(s: str) -> set[str]:
    return {s[i:i + 2] for i in range(len(s) - 1)} - _GENERIC


def find_event(text: str, events: list[EventView], by_number: bool = True) -> EventView | None:
    """The event a message names: by its list number (报名2) or by words of its title (红歌)."""
    if not events:
        return None
    b = bare(text)
    ordinal = re.search(rf"第({NUM})(?:个|号)?", b)
    if by_number and ordinal and (n := cn_to_int(ordinal.group(1))) and 1 <= n <= len(events):
        return events[n - 1]  # "报名第一个": the list position, not a title containing 第一
    scored = sorted(((len(_bigrams(bare(e.title)) & _bigrams(b)), i) for i, e in enumerate(events)), reverse=True)
    if scored and scored[0][0] > 0 and (len(scored) == 1 or scored[0][0] > scored[1][0]):
        return events[scored[0][1]]
    if by_number:
        cleaned = re.sub(r"1[3-9]\d{9}", "", b)
        m = _INDEX.fullmatch(re.sub(r"[\u4e00-\u9fff]{2,4}$", "", cleaned)) or _INDEX.fullmatch(cleaned)
        if m and (n := cn_to_int(m.group(1))) and 1 <= n <= len(events):
            return events[n - 1]
    return None


def _contact(text: str) -> tuple[str | None, str | None, list]:
    name, phone = find_name(text), find_phone(text)
    if not name and phone:  # "报名1 王秀英 13800000000": the words around the number
        m = re.search(r"([\u4e00-\u9fff]{2,4})\s*[,，]?\s*1[3-9]\d", text) or re.search(
            r"1[3-9][\d\s-]{9,12}[,，\s]*([\u4e00-\u9fff]{2,4})$", text)
        cand = m.group(1) if m else None
        if cand and find_name("我叫" + cand) == cand:
            name = cand
    extra = [UpdateResident(name=name, phone=phone)] if (name or phone) else []
    return name, phone, extra


def matches_explicit(msg: Inbound, ctx: Context) -> bool:
    """Clear event talk that needs no classifier: 报名…, 取消报名, or a number after the list."""
    if msg.kind not in ("text", "voice"):
        return False
    b = bare(msg.text)
    if isinstance(ctx.state.pending, EventsListed) and ctx.events and (
        number_answer(msg.text) is not None or _SIGNUP.search(b) or _CANCEL.search(b)
    ):
        return True
    if ctx.events and guest_name(msg.text):
        return True
    if ctx.events and (_SIGNUP.search(b) or party(msg.text)) and find_event(msg.text, ctx.events, by_number=False):
        return True  # 给我报个太极拳, 我和我老伴都去太极拳
    # the words first: reading the events is a query, and most messages are no cancelling
    if _CANCEL.search(b) and relation(msg.text) and any(e.mine for e in ctx.events):
        return True  # 俺老伴去不了了
    return b in ("活动", "活动报名", "看活动") or bool(
        re.match(r"(?:报名|取消报名|我要报名|我想报名|想报名|(?:最近|这几天|这周|本周)?有(?:啥|什么|没有|啥子)活动)", b)
    )


def handle(msg: Inbound, ctx: Context) -> Decision:
    text, events = msg.text, ctx.events
    b = bare(text)
    state = ctx.state.settled()
    picking = isinstance(ctx.state.pending, EventsListed)
    listed = ctx.state.asking(EventsListed(), ctx.clock)
    if _CANCEL.search(b) and not _SIGNUP.search(b.replace("报名", "")):
        mine = [e for e in events if e.mine]
        target = find_event(text, mine or events)
        if target is None and len(mine) == 1:
            target = mine[0]
        if target is None:
            if not mine:
                return Decision(reply="您现在没有报名的活动。", state=state)
            names = "\n".join(f"{events.index(e) + 1}. {e.title}" for e in mine)
            return Decision(reply=f"您报名了这些活动：\n{names}\n要取消哪个？请回复「取消+序号」，例如：取消1",
                            state=listed)
        if not target.mine:
            return Decision(reply=f"您没有报名「{target.title}」，不用取消。", state=state)
        who = relation(text)
        if who:  # one of the places taken for others, not all
            return Decision(actions=[EventCancel(target.id, guest=who)], state=state)
        if re.search(r"都|俩|仨", b) and party(text):  # 我和老伴都去不了了: every place
            return Decision(actions=[EventCancel(target.id), *(EventCancel(target.id, guest=g) for g in party(text))],
                            state=state)
        return Decision(actions=[EventCancel(target.id)], state=state)
    guest = guest_name(text)
    others = () if guest else party(text)
    wants = bool(_SIGNUP.search(b)) or bool(guest) or bool(others) or (picking and number_answer(text) is not None)
    if not wants:
        said = not events and (wanted(text) or people(text))  # "那就报太极拳吧": said back, though none is open
        return Decision(reply=no_such_event(text) if said else list_text(events), state=listed if events else state)
    if not events:
        return Decision(reply=no_such_event(text), state=state)
    target = find_event(text, events) or (events[0] if len(events) == 1 else None)
    if target is None:
        title = wanted(text)
        head = f"没找到「{title}」这个活动。" if title else ""
        return Decision(reply=head + "想报哪个活动？\n" + list_text(events), state=listed)
    if target.courtyard and ctx.courtyard and target.courtyard != ctx.courtyard:
        return Decision(reply=f"「{target.title}」是本院居民的活动，别的院暂时报不了，谢谢您的关心。"
                              "发「有啥活动」看看全社区的安排。", state=state)
    if guest:  # a second place, in that person's name
        return Decision(actions=[EventSignup(target.id, guest=guest)], state=state)
    guests = [EventSignup(target.id, guest=g) for g in others]
    if target.mine and guests:
        return Decision(actions=[*guests], state=state)
    if target.mine:
        return Decision(reply=f"您已经报名了{describe(target)}。到时候见！", state=state)
    name, phone, extra = _contact(text)
    return Decision(actions=[*extra, EventSignup(target.id, name, phone), *guests], state=state)


# What a sign-up names when no listed event matches it: "给俺报个太极拳" → 太极拳, "想参加那个健康讲座" → 健康讲座.
_WANTED = re.compile(r"(?:报名参加|报名|报个名|报上|报个|报一个|参加|报)(?:一下|一个|个)?(?:那个|这个|下周的?|明天的?)?"
                     r"([\u4e00-\u9fff]{2,8}?)(?:活动)?(?=的|吧|呗|呀|啊|嘞|哈|行不|中不|可以|我|俺|和|跟|$)")
_NAMED = re.compile(r"([\u4e00-\u9fff]{2,6}(?:讲座|义诊|义剪|比赛|演出|培训|班|课|队|会))")
_NOT_A_TITLE = {"一下", "一个", "名字", "活动", "我们", "俺们", "俺俩", "我俩", "两个人", "俩人", "两个", "个名"}


def wanted(text: str) -> str | None:
    """The activity a sign-up names in its own words, or None."""
    b = bare(text)
    for rx in (_NAMED, _WANTED):
        for m in rx.finditer(b):
            title = re.split(r"报名参加|报名|参加|报个|报|那个|这个|的|人|个|下周|明天|周末|去听|去看|去|听|想|都", m.group(1))[-1]
            if len(title) >= 2 and title not in _NOT_A_TITLE and not _REL.fullmatch(title) \
                    and not _COUNT.fullmatch(title):
                return title
    return None


_INTRO = re.compile(r"(?:叫|名叫|名字是|名字叫|名字写|写上?|我是|俺是|给|帮|替|报名|报上)([\u4e00-\u9fff]{2,3})")
_AFTER_NAME = "也报就吧的和跟还去想要一"


def _introduced(text: str) -> list[str]:
    """Names the resident gives for the places ("俺叫李春生，老伴叫孙桂兰", "给刘秀芝也报一个", "报名 赵德胜")."""
    found = []
    for m in _INTRO.finditer(bare(text)):
        name = m.group(1)
        if len(name) == 3 and name[2] in _AFTER_NAME:
            name = name[:2]
        if name[0] in SURNAMES and name[1] not in _AFTER_NAME:
            found.append(name)
    return found


def people(text: str) -> str:
    """Who the sign-up is for, as the resident said it: "王建国", "您和老伴（2 人）", "3 人"."""
    names = [n for n in (find_name(text), guest_name(text), *_introduced(text)) if n]
    others = party(text)
    count = 1 + len(others)
    if names:
        return "、".join(dict.fromkeys(names)) + (f"（共 {count} 人）" if count > 1 else "")
    if others:
        rels = [o for o in others if not o.startswith("同行")]
        return ("您和" + "、".join(rels) if rels else "您") + f"（共 {count} 人）"
    return ""


def no_such_event(text: str) -> str:
    """A sign-up while no activity is open: say what was asked (the activity, for whom), that it cannot
    be taken now, and where news of activities comes."""
    title, who = wanted(text), people(text)
    what = f"报名「{title}」" if title else "报名"
    head = f"收到：{who or '您'}{what}。" if (title or who) else ""
    return (head + ("不过" if head else "") + "最近还没有安排" + (f"「{title}」" if title else "") + "活动，现在报不了名。"
            "有新活动会在这里通知大家；想问问工作人员，回复“转人工”。")
