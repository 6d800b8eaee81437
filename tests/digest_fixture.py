"""A seeded month for the digest tests (October 2026, September before it): a few hundred tickets
with repeats (the same lamp, the same drain reported by many residents), merged duplicates, the
event log the rates read, residents' thanks as stored inbound messages, and events with rosters.
Residents have names and phones, some written into their own messages: none may be printed."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from bot.domain.clock import from_local
from bot.storage.models import Event, InboundMessage, Registration, Resident
from tests.workbench_helpers import event, make_ticket

YEAR, MONTH = 2026, 10
YARDS = ("c1", "c3", "c5", "c7", "c9", "c11", "c13", "c15", "c17", "c19")
RESIDENTS = [(f"o-digest-resident-{i:03d}", name, f"139{i:08d}", YARDS[i % len(YARDS)])
             for i, name in enumerate(("王秀英", "赵淑芬", "钱玉兰", "孙桂香", "周德明", "吴春花", "郑海涛", "冯国庆",
                                       "陈美玲", "褚志强", "卫红梅", "蒋立新") * 5)]
# Different things residents raise once each: (category, subcategory, text).
SINGLES = [
    ("repair", "门窗", "单元门的闭门器坏了关不上"), ("repair", "电梯", "电梯按钮失灵"), ("repair", "墙面", "外墙皮脱落掉下来"),
    ("repair", "屋面", "顶楼下雨渗水"), ("repair", "燃气", "燃气表箱门锈死"), ("repair", "绿化", "院里大树枝快断了"),
    ("grievance", "卫生", "垃圾桶满了没人清"), ("grievance", "宠物", "有人遛狗不牵绳"), ("grievance", "噪音", "晚上装修电钻声"),
    ("inquiry", "政策", "老年证在哪里办理"), ("inquiry", "医保", "医保卡丢了怎么补"), ("inquiry", "办事", "开居住证明要带什么"),
    ("repair", "健身器材", "健身器材螺丝松了"), ("grievance", "占道", "楼下有人堆杂物"), ("inquiry", "活动", "书法班还招人吗"),
]
REPEATS = [
    # (courtyard, category, subcategory, texts, voices in October, in September, solved in October)
    ("c3", "repair", "照明", ("3号楼楼道灯坏了，晚上黑乎乎的", "楼道灯不亮了好几天", "我们单元楼道灯坏了老人摔了一跤",
                              "楼道里的灯又坏了没人修"), 12, 3, 4),
    ("c5", "repair", "给排水", ("下水道堵了往上返水", "楼下下水道又堵了臭得很", "下水道堵住了"), 8, 10, 6),
    ("c5", "repair", "给排水", ("厨房水管漏水", "水管接头漏水了"), 3, 0, 3),
    ("c1", "grievance", "噪音", ("广场舞音乐太吵了", "晚上广场舞音响声音太大", "广场舞太吵影响休息"), 6, 4, 2),
    ("c7", "grievance", "停车", ("电动车乱停堵住消防通道", "消防通道被电动车堵了", "电动车停在消防通道上"), 5, 2, 1),
]


def bj(*args: int) -> datetime:
    return from_local(datetime(*args))


def _history(session, t, created: datetime, late: bool, outcome: str | None, rating: int | None) -> None:
    """The event log the rates read: dispatched, accepted (late or not), finished, callback, closed."""
    event(session, t, created + timedelta(minutes=5), "received", "dispatched", "dispatched")
    event(session, t, created + timedelta(hours=30 if late else 2), "dispatched", "accepted", "accepted")
    if outcome is None:
        t.status = "accepted"
        return
    event(session, t, created + timedelta(days=2), "accepted", "awaiting_callback", "finished")
    event(session, t, created + timedelta(days=3), "awaiting_callback", "closed", "closed",
          data={"reason": outcome, "solved": outcome == "resolved", "rating": rating})
    t.status, t.close_reason = "closed", outcome


def seed(session) -> dict:
    for openid, name, phone, yard in RESIDENTS:
        session.add(Resident(openid=openid, name=name, phone=phone, courtyard_id=yard))
    session.flush()
    made = {"lamp": [], "tickets": 0}
    n = 0
    for yard, category, sub, texts, voices, before, solved in REPEATS:
        for ym, count in (((YEAR, MONTH), voices), ((YEAR, MONTH - 1), before)):
            for k in range(count):
                openid, name, phone, _ = RESIDENTS[(n + k) % len(RESIDENTS)]
                text = texts[k % len(texts)]
                if k == 1:
                    text += f"，我是{name}，电话{phone}"
                created = bj(ym[0], ym[1], 2 + k, 9, 0)
                t = make_ticket(session, text=text, category=category, subcategory=sub, courtyard=yard,
                                created_at=created, resident_openid=openid)
                outcome = "resolved" if k < (solved if ym == (YEAR, MONTH) else count) else None
                _history(session, t, created, late=(k + n) % 4 == 0, outcome=outcome, rating=5 - k % 3)
                if ym == (YEAR, MONTH) and sub == "照明":
                    made["lamp"].append(t.id)
                    made.setdefault("lamp_ref", t.ref)
                made["tickets"] += 1
            n += count
    # Two reports merged into the first lamp ticket: the same topic, closed as duplicates.
    lamp_ref = made["lamp_ref"]
    for k in range(2):
        t = make_ticket(session, text="楼道灯坏了", subcategory="照明", courtyard="c3",
                        created_at=bj(YEAR, MONTH, 20 + k, 10, 0), resident_openid=RESIDENTS[k][0],
                        status="closed", close_reason="duplicate", duplicate_of=lamp_ref)
        made["lamp"].append(t.id)
    # The rest: one thing each, in every courtyard, both months.
    for i in range(240):
        category, sub, text = SINGLES[i % len(SINGLES)]
        yard = YARDS[(i // len(SINGLES)) % len(YARDS)]
        ym = (YEAR, MONTH) if i % 3 else (YEAR, MONTH - 1)
        created = bj(ym[0], ym[1], 1 + i % 28, 8 + i % 9, 0)
        openid = RESIDENTS[i % len(RESIDENTS)][0]
        t = make_ticket(session, text=text, category=category, subcategory=sub, courtyard=yard, created_at=created,
                        resident_openid=openid)
        _history(session, t, created, late=i % 5 == 0 and yard in ("c13", "c15"),
                 outcome=("resolved", "unable_to_fix", "answered", None)[i % 4], rating=(5, 4, 2, 5)[i % 4])
        made["tickets"] += 1
    _thanks(session)
    _events(session)
    session.flush()
    return made


THANKS = [
    ("o-digest-resident-000", "谢谢王建国会长帮我们找人修好了楼道灯！我是王秀英，电话13900000000"),
    ("o-digest-resident-001", "感谢李凤霞帮忙调解了楼上漏水的事"),
    ("o-digest-resident-002", "多亏楼上的孙阿姨半夜帮我把老伴送到医院，太感谢了"),
    ("o-digest-resident-003", "谢谢"),  # a bare thanks to the bot: not a good deed
    ("o-digest-resident-004", "3号楼的停车问题什么时候解决"),  # not thanks at all
]


def _thanks(session) -> None:
    for k, (openid, text) in enumerate(THANKS):
        raw = (f"<xml><ToUserName><![CDATA[gh_courtyard]]></ToUserName><FromUserName><![CDATA[{openid}]]>"
               f"</FromUserName><CreateTime>1790000000</CreateTime><MsgType><![CDATA[text]]></MsgType>"
               f"<Content><![CDATA[{text}]]></Content><MsgId>{9000 + k}</MsgId></xml>")
        session.add(InboundMessage(dedup_key=f"digest-{k}", openid=openid, msg_type="text", raw=raw,
                                   received_at=bj(YEAR, MONTH, 10 + k, 20, 0), status="handled"))


def _events(session) -> None:
    for title, yard, day, capacity, signed, came in (("重阳节包饺子", None, 29, 30, 26, 22),
                                                    ("3号院消防演练", "c3", 15, 20, 12, 0)):
        e = Event(title=title, courtyard_id=yard, starts_at=bj(YEAR, MONTH, day, 9, 0), place="社区活动室",
                  capacity=capacity)
        session.add(e)
        session.flush()
        for k in range(signed):
            openid, name, phone, _ = RESIDENTS[k % len(RESIDENTS)]
            session.add(Registration(event_id=e.id, openid=f"{openid}-{k}", name=name, phone=phone,
                                     checked_in=k < came))


def pdf_layout(pdf: bytes) -> tuple[int, set[tuple[int, int]]]:
    """(pages, their sizes in points) of a PDF, read from its page objects."""
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    boxes = {(round(float(w)), round(float(h)))
             for w, h in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)}
    return pages, boxes
