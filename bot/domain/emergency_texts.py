"""The words of emergency pushes: staff alerts, the chase of an unaccepted urgent ticket, the
resident's "we are chasing it". Each returns (template content, customer-service text)."""

from __future__ import annotations

from typing import Any

from bot.config import Config
from bot.domain.summary import LIMIT, summary

Content = tuple[dict[str, str], str]


def _what(ticket: Any, limit: int = 60) -> str:
    text = " ".join((ticket.text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _brief(config: Config, ticket: Any, prefix: str) -> str:
    """The template field: the prefix, then what is wrong in the resident's words, within 20 characters."""
    yard = next((c for c in config.courtyards if c.id == ticket.courtyard_id), None)
    drop = (yard.name, *yard.aliases) if yard else ()
    return prefix + summary(ticket.text or "", drop, limit=LIMIT - len(prefix))


def _content(config: Config, ticket: Any, title: str, how: str, status: str = "紧急",
             what: str | None = None) -> dict[str, str]:
    # The words lead with 【紧急】 and what is new: a template has no title line since 2023, and each
    # field shows 20 characters (bot.domain.templates); the rest is behind the link.
    return {"title": title, "ref": ticket.ref, "place": config.courtyard_name(ticket.courtyard_id),
            "what": what or _brief(config, ticket, "【紧急】"), "deadline": "马上", "status": status, "how": how, "note": how}


def staff_alert(config: Config, ticket: Any, why: str) -> Content:
    """Community staff hear of an emergency at once (a person in danger, fire, gas …)."""
    title = "【紧急】居民报告险情"
    how = f"{why}请马上联系理事会和居民，必要时到现场。"
    content = _content(config, ticket, title, how)
    return content, "\n".join([title, f"工单：{ticket.ref}", f"地点：{content['place']}", f"事项：{content['what']}", f"居民原话：{_what(ticket)}", how])


def escalated_task(config: Config, ticket: Any, said: str, link: str | None) -> Content:
    """The member on an open ticket: the resident now reports danger about it."""
    title = "【紧急】居民说情况危急，请马上处理"
    said = " ".join(said.split())[:40]
    how = f"居民刚说：「{said}」。请马上联系居民；回复「接单 {ticket.ref}」。"
    content = _content(config, ticket, title, how, what=f"【紧急】居民说：{said}")
    return content, "\n".join(line for line in [title, f"工单：{ticket.ref}", f"地点：{content['place']}", how,
                                                f"手机上处理：{link}" if link else ""] if line)


def chase_task(config: Config, ticket: Any, minutes: float, link: str | None) -> Content:
    """The backup (or the rest of the council): nobody accepted an urgent ticket in time."""
    title = "【紧急】无人接单，请您马上处理"
    how = f"这件紧急的事 {minutes:g} 分钟没人接单。请马上联系居民，回复「接单 {ticket.ref}」。"
    content = _content(config, ticket, title, how, what=_brief(config, ticket, "【紧急】无人接单："))
    return content, "\n".join(line for line in [title, f"工单：{ticket.ref}", f"地点：{content['place']}",
                                                f"事项：{content['what']}", f"居民原话：{_what(ticket)}", how,
                                                f"手机上处理：{link}" if link else ""] if line)


def chase_staff(config: Config, ticket: Any, minutes: float, assignee: str | None) -> Content:
    title = "【紧急督办】紧急工单无人接单"
    how = f"{minutes:g} 分钟没人接单（负责人：{assignee or '未指定'}），已转备岗。请马上跟进。"
    content = _content(config, ticket, title, how, what=_brief(config, ticket, "【紧急督办】"))
    return content, "\n".join([title, f"工单：{ticket.ref}", f"地点：{content['place']}", f"事项：{content['what']}", f"居民原话：{_what(ticket)}", how])


def chase_resident(config: Config, ticket: Any) -> Content:
    body = "还没有人接单，我们正在催，已通知备岗的理事会成员和社区工作人员。情况危急请先打紧急电话。"
    content = {"title": "紧急工单正在催办", "ref": ticket.ref, "place": "", "what": _brief(config, ticket, ""), "deadline": "",
               "status": "催办中", "how": body, "note": body}
    return content, f"您的工单 {ticket.ref}：{body}"
