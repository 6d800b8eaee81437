"""A month of clearly fake data for trying the staff's day under `steward dev`: residents named
示例居民, tickets through every state with their event logs (the rates read those), callbacks with
ratings, thanks for the digest's 好人好事, and events with rosters. Deterministic for a given day."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain.clock import from_local, to_local, utcnow
from bot.domain.deadlines import accept_due
from bot.domain.sample import DEMO_NAME, DEMO_PREFIX
from bot.services.rates.cache import refresh_cache
from bot.services.tickets.lifecycle import create_ticket
from bot.storage.models import Event, InboundMessage, Registration, Resident, Ticket, TicketEvent

# (category, subcategory, what a resident says); the courtyard's alias is put in front.
REPORTS = [
    ("repair", "照明", "楼道灯坏了，晚上黑乎乎的"), ("repair", "照明", "3单元楼道灯不亮好几天了"),
    ("repair", "给排水", "下水道堵了往上返水"), ("repair", "给排水", "厨房水管接头漏水"),
    ("repair", "门窗", "单元门的闭门器坏了关不上"), ("repair", "墙面", "外墙皮脱落掉下来了"),
    ("repair", "屋面", "顶楼下雨渗水"), ("repair", "健身器材", "健身器材螺丝松了晃得很"),
    ("grievance", "卫生", "垃圾桶满了没人清"), ("grievance", "噪音", "晚上广场舞音响太吵"),
    ("grievance", "停车", "电动车堵住了消防通道"), ("grievance", "宠物", "有人遛狗不牵绳"),
    ("inquiry", "政策", "老年证在哪里办理"), ("inquiry", "办事", "开居住证明要带啥"),
]
THANKS = ["5 {member}师傅修得很好，谢谢", "谢谢{member}，跑了好几趟才弄好", "5分，多亏楼下的李阿姨帮我联系的"]


@dataclass
class Seeded:
    residents: int = 0
    tickets: int = 0
    events: int = 0
    skipped: bool = False


def has_demo(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Resident).where(Resident.openid.like(f"{DEMO_PREFIX}%"))))


def foreign_tickets(session: Session) -> int:
    """Tickets someone else made (a real resident's, a test's): the demo never mixes with them."""
    return int(session.scalar(select(func.count()).select_from(Ticket).where(
        (Ticket.resident_openid.is_(None)) | ~Ticket.resident_openid.like(f"{DEMO_PREFIX}%"))) or 0)


def _bj(day: date, hour: int, minute: int = 0) -> datetime:
    return from_local(datetime(day.year, day.month, day.day, hour, minute))


def _event(s: Session, t: Ticket, at: datetime, kind: str, frm: str | None, to: str | None, actor: str = "system",
           actor_name: str | None = None, note: str | None = None, data: dict | None = None) -> None:
    s.add(TicketEvent(ticket_id=t.id, at=at, kind=kind, from_status=frm, to_status=to, actor=actor,
                      actor_name=actor_name, note=note, data=data))


def seed(session: Session, config: Config, today: date | None = None, redis: Any = None) -> Seeded:
    """Fill the database with the demo month (from the 1st of last month to today); once only. Its
    events are back-dated, which the rates caches never expect: they are recomputed here."""
    if has_demo(session):
        return Seeded(skipped=True)
    today = today or to_local(utcnow()).date()
    start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    rnd = random.Random(today.toordinal())
    yards = [c for c in config.courtyards if config.council(c.id)]
    out = Seeded()
    people = []
    for i in range(40):
        yard = yards[i % len(yards)]
        openid = f"{DEMO_PREFIX}{i + 1:02d}"
        session.add(Resident(openid=openid, name=f"{DEMO_NAME}{i + 1:02d}", courtyard_id=yard.id))
        people.append((openid, yard))
    out.residents = len(people)
    session.flush()
    days = (today - start).days + 1
    now = utcnow()
    for n in range(4 * days):
        openid, yard = people[rnd.randrange(len(people))]
        if n % 5 == 0:  # the same lamp in 3号院, reported by many: one topic in the digest
            openid, yard = people[n % 7][0], next((c for c in yards if c.id == "c3"), yard)
            category, sub, words = REPORTS[0]
        else:
            category, sub, words = REPORTS[rnd.randrange(len(REPORTS))]
        day = start + timedelta(days=n % days)
        created = _bj(day, 7 + rnd.randrange(13), rnd.randrange(60))
        if created > now:
            continue
        text = f"{(yard.aliases or [yard.name])[0]}{words}"
        t = create_ticket(session, category=category, subcategory=sub, text=text, courtyard=yard.id,
                          resident_openid=openid, confidence=0.9, actor=openid, actor_name=DEMO_NAME)
        session.execute(update(TicketEvent).where(TicketEvent.ticket_id == t.id).values(at=created))
        t.created_at = t.last_activity_at = created
        _history(session, config, t, created, now, rnd)
        out.tickets += 1
    _thanks(session, config, people, start, today, now)
    out.events = _events(session, people, start, today)
    session.flush()
    refresh_cache(session, config, redis, months=14)
    if redis is not None:  # the public board keeps its page a minute (bot/web/public.py): show the month now,
        # … the queue tabs' counts (bot/web/queues.py), and a community's own rates (a staff page's scope)
        for pattern in ("steward:public:*", "steward:qcount:*", "steward:rates:v2:*-c*"):
            for key in redis.scan_iter(pattern):
                redis.delete(key)
    return out


def _history(s: Session, config: Config, t: Ticket, created: datetime, now: datetime, rnd: random.Random) -> None:
    """Dispatched, accepted (on time or late), finished, the resident's callback with a rating, closed —
    cut off at `now`: the last few days' tickets are still open."""
    members = [m for m in config.council(t.courtyard_id or "") if t.category != "repair" or "维修" in m.skills]
    member = members[t.id % len(members)] if members else None
    age = now - created
    if member is None or rnd.random() < 0.05:
        t.status = "triage"
        _event(s, t, created + timedelta(minutes=1), "triage", "received", "triage", note="示例：楼院未确定")
        return
    at = created + timedelta(minutes=1)
    due = accept_due(config, t.category, t.subcategory, t.urgent, at)
    t.assignee_openid, t.assignee_name, t.dispatched_at, t.accept_due_at = member.openid, member.name, at, due
    _event(s, t, at, "dispatched", "received", "dispatched", note=f"派给{member.name}",
           data={"assignee": member.openid, "accept_due_at": due.isoformat()})
    t.status, t.last_activity_at = "dispatched", at
    late = rnd.random() < 0.12
    accepted = at + (due - at) * (1.4 if late else rnd.uniform(0.05, 0.6))
    if accepted > now:
        return
    _event(s, t, accepted, "accepted", "dispatched", "accepted", actor=member.openid, actor_name=member.name)
    t.status, t.accepted_at, t.last_activity_at = "accepted", accepted, accepted
    finished = accepted + timedelta(hours=rnd.uniform(3, 70))
    if finished > now or rnd.random() < 0.08:
        return
    _event(s, t, finished, "finished", "accepted", "awaiting_callback", actor=member.openid, actor_name=member.name,
           note="示例：已修好")
    t.status, t.finished_at, t.last_activity_at = "awaiting_callback", finished, finished
    answered = finished + timedelta(hours=rnd.uniform(2, 30))
    if answered > now or age < timedelta(days=2):
        return
    solved = rnd.random() < 0.88
    rating = rnd.choice((5, 5, 5, 4, 4, 3)) if solved else rnd.choice((1, 2, 3))
    _event(s, t, answered, "callback", None, None, actor=t.resident_openid or "", data={"solved": solved, "rating": rating})
    if not solved:
        t.reopen_count = 1
        _event(s, t, answered, "reopened", "awaiting_callback", "dispatched", note="示例：居民说没修好")
        t.status, t.last_activity_at = "dispatched", answered
        return
    _event(s, t, answered, "closed", "awaiting_callback", "closed", data={"reason": "resolved"})
    t.status, t.close_reason, t.closed_at, t.rating, t.solved = "closed", "resolved", answered, rating, True
    t.last_activity_at = answered


def _thanks(s: Session, config: Config, people: list, start: date, today: date, now: datetime) -> None:
    """Residents' thanks (stored as the inbound messages they were), for the digest's 好人好事."""
    for k in range(9):
        openid, yard = people[k * 3 % len(people)]
        member = next((m for m in config.council(yard.id) if "维修" in m.skills), None)
        text = THANKS[k % len(THANKS)].format(member=member.name if member else "理事会的")
        at = min(_bj(start + timedelta(days=3 * k + 2), 20), now)
        raw = (f"<xml><ToUserName><![CDATA[{config.wechat.original_id}]]></ToUserName><FromUserName><![CDATA[{openid}]]>"
               f"</FromUserName><CreateTime>{int(at.timestamp())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
               f"<Content><![CDATA[{text}]]></Content><MsgId>{7000 + k}</MsgId></xml>")
        s.add(InboundMessage(dedup_key=f"demo-thanks-{today.isoformat()}-{k}", openid=openid, msg_type="text", raw=raw,
                             received_at=at, status="handled"))


def _events(s: Session, people: list, start: date, today: date) -> int:
    plans = [("示例活动：老年人健康讲座", None, 9, 40, 31, 27), ("示例活动：3号院消防演练", "c3", 18, 20, 14, 12),
             ("示例活动：智能手机使用课", None, 26, 25, 25, 20)]
    made = 0
    for title, yard, offset, capacity, signed, came in plans:
        day = start + timedelta(days=offset)
        held = day < today
        e = Event(title=title, courtyard_id=yard, starts_at=_bj(day, 9), place="社区党群服务中心（示例）",
                  capacity=capacity, description="示例数据：只用于开发环境演示。")
        s.add(e)
        s.flush()
        for k in range(signed):
            openid, _ = people[k % len(people)]
            s.add(Registration(event_id=e.id, openid=f"{openid}-{k}", name=f"{DEMO_NAME}{k % len(people) + 1:02d}",
                               checked_in=held and k < came))
        made += 1
    return made
