"""Telling everyone concerned when staff change a ticket or an event: a staff close (with the reason,
and a rating request where it was answered), a courtyard move, a merge (every reporter, and later
the outcome), waiting-list promotions, an event's new time or place and its cancellation. Push rows only; sent after commit."""

from __future__ import annotations

import zlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain.clock import to_local
from bot.domain.vocabulary import PushKind
from bot.services.push.send import queue_push
from bot.storage.models import Event, Registration, Ticket

NOTICE = PushKind.notice.value


def _content(title: str, ref: str, body: str, status: str = "") -> dict[str, str]:
    return {"title": title, "ref": ref, "place": "", "what": body[:20], "deadline": "", "status": status,
            "how": body, "note": body}


def _tell(session: Session, config: Config, ticket: Ticket | None, openid: str | None, tag: str, title: str,
          body: str, status: str = "") -> None:
    if not openid:
        return
    ref = ticket.ref if ticket is not None else ""
    text = f"您的工单 {ref}：{body}" if ticket is not None and ticket.resident_openid == openid else body
    queue_push(session, config, ticket=ticket, openid=openid, kind=NOTICE, tag=tag,
               content=_content(title, ref or "", body, status), text=text)


def staff_closed(session: Session, config: Config, ticket: Ticket, reason: str, label: str, note: str | None,
                 member: str | None) -> None:
    why = f"（{note.strip()[:60]}）" if note and note.strip() else ""
    body = f"社区工作人员已结案：{label}{why}。"
    if reason == "answered":
        body += "满意的话回个数字 1–5 打分（5 很满意）；还有问题请直接说。"
    elif reason == "not_responsible" and ticket.referral:
        body += f"这件事归{ticket.referral}管，已转过去。"
    _tell(session, config, ticket, ticket.resident_openid, f"close-{reason}", "工单已结案", body, label)
    if member and member != ticket.resident_openid:
        _tell(session, config, ticket, member, f"close-m-{reason}", "工单已结案",
              f"工单 {ticket.ref} 社区已结案（{label}），不用再处理了。", label)


def moved(session: Session, config: Config, ticket: Ticket, old: str | None, member: str | None) -> None:
    where = config.courtyard_name(ticket.courtyard_id)
    _tell(session, config, ticket, ticket.resident_openid, f"moved-{ticket.courtyard_id}", "工单转院",
          f"社区核实后，这件事转给{where}理事会办理。")
    if member:
        _tell(session, config, ticket, member, f"moved-m-{ticket.courtyard_id}", "工单转院",
              f"工单 {ticket.ref} 已转给{where}，您不用处理了，谢谢。")


def merged(session: Session, config: Config, dup: Ticket, original: Ticket) -> None:
    """The reporter of the merged ticket follows the kept one; its member lets go."""
    _tell(session, config, dup, dup.resident_openid, f"merged-{original.ref}", "工单已合并",
          f"您反映的事和工单 {original.ref} 是同一件，已合并办理，有进展会一起通知您。")
    if dup.assignee_openid and dup.assignee_openid != original.assignee_openid:
        _tell(session, config, dup, dup.assignee_openid, f"merged-m-{original.ref}", "工单已合并",
              f"工单 {dup.ref} 并入 {original.ref}，您不用单独处理了。")


def outcome_to_merged(session: Session, config: Config, original: Ticket, what: str, tag: str) -> int:
    """Every reporter of a merged ticket hears the kept ticket's outcome."""
    dups = list(session.scalars(select(Ticket).where(Ticket.duplicate_of == original.ref)))
    for d in dups:
        _tell(session, config, d, d.resident_openid, f"outcome-{tag}", "合并的工单有结果了",
              f"和您反映的是同一件事（工单 {original.ref}）：{what}")
    return len(dups)


def _concerned(session: Session, event: Event) -> list[str]:
    """Each resident holding a place or a waitlist place (his own or one he took for someone), once."""
    rows = session.scalars(select(Registration.openid).where(
        Registration.event_id == event.id, Registration.status.in_(("registered", "waitlist"))).order_by(Registration.id))
    return list(dict.fromkeys(rows))


def _tell_event(session: Session, config: Config, event: Event, openids: list[str], tag: str, status: str,
                short: str, body: str) -> int:
    """One notice per resident. Template fields: the title, what changed (`short`, ≤ 20), the status."""
    content = {"title": "活动变动", "ref": f"E{event.id}", "place": event.place, "what": event.title,
               "deadline": "", "status": status, "how": short, "note": short}
    for openid in openids:
        queue_push(session, config, ticket=None, openid=openid, kind=NOTICE, tag=tag, content=content, text=body)
    return len(openids)


def event_changed(session: Session, config: Config, event: Event, before: dict[str, Any]) -> int:
    """Registrants and the waitlist hear of a new time or place, what it was and what it is now."""
    changes, short = [], []
    when = f"{to_local(event.starts_at):%m月%d日 %H:%M}"
    moved_in_time = bool(before.get("starts_at")) and before["starts_at"] != event.starts_at
    if moved_in_time:
        changes.append(f"时间由 {to_local(before['starts_at']):%m月%d日 %H:%M} 改为 {when}")
        short.append(when)
    if before.get("place") and before["place"] != event.place:
        changes.append(f"地点由{before['place']}改为{event.place}")
        short.append(event.place)
    if not changes or event.cancelled:
        return 0
    body = (f"您报名的「{event.title}」有变动：" + "，".join(changes) + "。"
            f"现在是 {when}，在{event.place}。去不了可以回复「取消报名」。")
    status = "已改期" if moved_in_time else "改地点"
    stamp = f"{event.starts_at:%Y%m%d%H%M}-{zlib.crc32(event.place.encode()) % 10000}"  # one notice per change
    return _tell_event(session, config, event, _concerned(session, event), f"ev{event.id}-chg{stamp}", status,
                       "改为" + "，".join(short), body)


def event_cancelled(session: Session, config: Config, event: Event) -> int:
    """Registrants and the waitlist hear that the activity will not take place, and why."""
    why = f"，原因：{event.cancel_reason}" if event.cancel_reason else ""
    body = (f"很抱歉，您报名的「{event.title}」（{to_local(event.starts_at):%m月%d日 %H:%M}，{event.place}）取消了{why}。"
            "您的报名已作废，不用再去了。发「有啥活动」看看别的安排。")
    short = f"活动取消{why.replace('，原因：', '：')}"
    return _tell_event(session, config, event, _concerned(session, event), f"ev{event.id}-cancel", "已取消", short, body)


def promoted(session: Session, config: Config, event: Event, regs: list[Registration]) -> None:
    """The promise "有空位会通知您" kept when staff make room."""
    for r in regs:
        _tell(session, config, None, r.openid, f"ev{event.id}-r{r.id}", "活动候补转正",
              f"有空位了！您已从候补转为正式报名「{event.title}」，{to_local(event.starts_at):%m月%d日 %H:%M}，地点：{event.place}。")


def referral_update(session: Session, config: Config, ticket: Ticket, party: str, status: str, note: str,
                    tag: str) -> None:
    """The resident hears what the desk his ticket was referred to (转办) answered."""
    said = f"：{note.strip()[:60]}" if note.strip() else ""
    _tell(session, config, ticket, ticket.resident_openid, tag, "转办进展", f"{party}回复{said}（{status}）。", status)
