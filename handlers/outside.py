"""Places outside the community: "经三路跟纬五路口那个红绿灯坏了", "建设路上公交站牌倒了", "俺们这一片都停水了
外边大路上修管子". No courtyard council can fix a city road, a crossing's lights or the water main:
the resident is told so at once, given the desk that handles it (`[[outside_desks]]`: 交警, the water
or power company, 12345) and offered a person (转人工). No ticket, and no "which courtyard?" — a
courtyard question answered with such a place is settled the same way.

Outside is a road, crossing or city facility named with no courtyard and nothing of a home (楼道,
单元, 俺家 …); or an area-wide outage (这一片都停水了).
"""

from __future__ import annotations

import re

from bot.config import OutsideDesk
from handlers import courtyard as yards
from handlers.base import Context, Decision, Inbound
from handlers.intake import classify_text, keep
from handlers.state import CourtyardAsked
from handlers.text import norm

# A named road (经三路, 纬五路, 建设路, 人民路, 中原大道), never 路灯 / 路面 / 小路 of a courtyard.
_STOP = "的条这那个小院里道门边马大土水上下前后走过在到从去往了线电网铁"
_ROAD = re.compile(rf"[经纬][一二三四五六七八九十\d]{{1,2}}路|(?<![{_STOP}])[^\W\d{_STOP}a-z]{{2}}(?:路|大道|大街)(?![灯面牙])")
_CITY = re.compile(
    r"红绿灯|信号灯|交通灯|十字路口|路口|公交站|公交车站|站牌|公交牌|大马路|大路上|马路上|马路边|马路对面|斑马线|"
    r"外边大路|天桥|地下通道|高架|主干道|隔离栏|护栏"
)
# The whole area without water or power: the utility, not a courtyard.
_AREA = re.compile(r"(?:这一片|一片|这片|整片|整条街|周边|附近)(?:都|全|全都|也)?(?:停|没)(?:水|电|气)")
# Something of a home or a courtyard: then it is the community's (楼道灯, 单元门, 俺家 …).
_HOME = re.compile(
    r"楼道|单元|楼梯|院内|配电|俺家|我家|家里|屋里|厨房|厕所|卫生间|院里|院子|院门|小区|楼下|楼上|楼顶|地下室|车棚|"
    r"家属院|宿舍|号楼|\d楼|邻居|对门|物业"
)


_NOT_HOME = re.compile(r"不(?:在|是)(?:俺们|我们|咱)?(?:院里|院子里|小区里|院里头|小区)")


def recognise(text: str, ctx: Context, problem: bool = False) -> bool:
    """The words name a place outside the courtyards (and no courtyard, nothing of a home); `problem`:
    they answer a question about a problem already told, so they need not read as one themselves."""
    t = _NOT_HOME.sub("", norm(text))
    if _HOME.search(t) or yards.mentions(text, ctx.config.courtyards):
        return False
    if _AREA.search(t):
        return True
    if not (_CITY.search(t) or _ROAD.search(yards.leftover(text, ctx.config.courtyards))):
        return False
    return problem or classify_text(text).category in ("repair", "grievance")  # a problem there, not a question


def desk(text: str, desks: tuple[OutsideDesk, ...]) -> OutsideDesk | None:
    """The desk whose keywords the words name (the most specific first); else the first without keywords."""
    t = norm(text)
    for d in desks:
        if any(k in t for k in d.keywords):
            return d
    return next((d for d in desks if not d.keywords), None)


def reply(text: str, ctx: Context) -> str:
    d = desk(text, ctx.config.outside_desks)
    head = f"您说的这个地方在院外（马路、路口或市政设施），不在{ctx.config.community}各楼院里，这里就不登记工单了。"
    hotline = _hotline(ctx.config.outside_desks)
    if d is None or d.phone == hotline:
        call = f"请拨打市民热线 {hotline} 反映。"
    else:  # the desk that fixes it, and the city's hotline that follows it up
        call = f"请直接打{d.name}电话 {d.phone} 反映，那边能派人处理；也可以打市民热线 {hotline}。"
    return head + call + "\n需要社区工作人员帮您反映，回复“转人工”。"


def _hotline(desks: tuple[OutsideDesk, ...]) -> str:
    """The city's catch-all line: the desk without keywords (12345 when the config names none)."""
    return next((d.phone for d in desks if not d.keywords), "12345")


def _words(msg: Inbound) -> bool:
    return msg.kind in ("text", "voice") and bool(msg.text.strip())


class Outside:
    """A new message about a place outside the community."""

    name = "outside"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return _words(msg) and recognise(msg.text, ctx)

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        return Decision(reply=reply(msg.text, ctx), state=keep(ctx, media=()))


class OutsideAnswer:
    """"Which courtyard?" answered with a road or a crossing: the request was an outside one; never ask again."""

    name = "outside_answer"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        q = ctx.state.pending
        return (_words(msg) and isinstance(q, CourtyardAsked) and not q.placed
                and yards.answer(msg.text, ctx.config.courtyards) is None
                and recognise(msg.text, ctx, problem=q.request is not None))

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        q = ctx.state.pending
        said = f"{q.request.text}，{msg.text}" if isinstance(q, CourtyardAsked) and q.request else msg.text
        return Decision(reply=reply(said, ctx), state=keep(ctx, media=()))
