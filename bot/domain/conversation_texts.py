"""The words of pushes the conversation causes: a member told of a withdrawal, staff told that a
resident asks for a person. Each returns (template content, customer-service text)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.config import Config
from bot.domain.wording import media_words

Content = tuple[dict[str, str], str]


def _short(text: str, limit: int = 40) -> str:
    t = " ".join((text or "").split())
    return t if len(t) <= limit else t[: limit - 1] + "…"


def withdrawn_member(config: Config, ticket: Any, said: str) -> Content:
    """The member who has (or was given) the task: the resident withdrew it, do not go."""
    title = "【已撤回】这件事不用办了"
    words = f"居民说：「{_short(said)}」。" if said.strip() else ""
    how = f"{words}工单 {ticket.ref} 已撤销，不用再去了，辛苦了。"
    content = {"title": title, "ref": ticket.ref, "place": config.courtyard_name(ticket.courtyard_id),
               "what": _short(ticket.text), "deadline": "", "status": "已撤回", "how": how, "note": how}
    return content, "\n".join([title, f"工单：{ticket.ref}", f"事项：{content['what']}", how])


def handoff_staff(config: Config, said: str, where: str, link: str) -> Content:
    title = "【转人工】居民想找工作人员说话"
    how = f"居民说：「{_short(said)}」。请在工作台「人工」里回复；回复前机器人不再答话。"
    content = {"title": title, "ref": "人工", "place": where, "what": _short(said), "deadline": "尽快",
               "status": "待回复", "how": how, "note": how}
    return content, "\n".join([title, f"楼院：{where}", how, link])


def reassigned_member(config: Config, ticket: Any, new_name: str) -> Content:
    title = "【已改派】这件事交给别人了"
    how = f"社区把工单 {ticket.ref} 改派给了{new_name}，您不用再处理了，谢谢。"
    content = {"title": title, "ref": ticket.ref, "place": config.courtyard_name(ticket.courtyard_id),
               "what": _short(ticket.text), "deadline": "", "status": "已改派", "how": how, "note": how}
    return content, "\n".join([title, f"工单：{ticket.ref}", f"事项：{content['what']}", how])


def media_for_member(config: Config, ticket: Any, kinds: Sequence[str], link: str | None) -> Content:
    """One notice for all the resident added in one go: "居民补充了 3 张照片"."""
    one = set(kinds) == {kinds[0]} if kinds else False
    name = media_words(kinds[:1]) if one else "材料"
    what = (" " if len(kinds) > 1 else "") + media_words(kinds)  # 居民补充了 3 张照片 / 居民补充了照片
    title = f"【补充{name}】居民发来了{what}"
    how = f"工单 {ticket.ref} 的居民补充了{what}，请在任务页查看。"
    content = {"title": title, "ref": ticket.ref, "place": config.courtyard_name(ticket.courtyard_id),
               "what": _short(ticket.text), "deadline": "", "status": ticket.status_label, "how": how, "note": how}
    return content, "\n".join(line for line in [title, f"工单：{ticket.ref}", how, link or ""] if line)


def moved_member(config: Config, ticket: Any, old: str | None) -> Content:
    title = "【已转院】这件事不归本院了"
    how = f"居民更正：工单 {ticket.ref} 是{config.courtyard_name(ticket.courtyard_id)}的事，已转过去，您不用处理了。"
    content = {"title": title, "ref": ticket.ref, "place": config.courtyard_name(old), "what": _short(ticket.text),
               "deadline": "", "status": "已转院", "how": how, "note": how}
    return content, "\n".join([title, f"工单：{ticket.ref}", f"事项：{content['what']}", how])


def amended_member(config: Config, ticket: Any, what: str) -> Content:
    title = "【居民更正】"
    how = f"工单 {ticket.ref} 的居民更正：{what}。请按更正后的办。"
    content = {"title": title, "ref": ticket.ref, "place": config.courtyard_name(ticket.courtyard_id),
               "what": _short(ticket.text), "deadline": "", "status": ticket.status_label, "how": how, "note": how}
    return content, "\n".join([title + how, f"事项：{content['what']}"])


def followup_member(config: Config, ticket: Any, said: str, repeat: bool) -> Content:
    title = "【居民又催了】" if repeat else "【居民补充】"
    how = f"工单 {ticket.ref} 的居民说：「{_short(said, 60)}」"
    content = {"title": title, "ref": ticket.ref, "place": config.courtyard_name(ticket.courtyard_id),
               "what": _short(ticket.text), "deadline": "", "status": ticket.status_label, "how": how, "note": how}
    return content, "\n".join([title + how, f"事项：{content['what']}"])


def urged_member(config: Config, ticket: Any, said: str, count: int) -> Content:
    """The assignee (the first urge) or the chair and staff (the second on): the resident is pressing."""
    title = "【居民催办】" if count < 2 else f"【督办·居民第{count}次催办】"
    how = f"工单 {ticket.ref}（{ticket.status_label}）的居民催了：「{_short(said, 60)}」"
    if count >= 2:
        how += f" 负责人：{ticket.assignee_name or '未派'}"
    content = {"title": title, "ref": ticket.ref, "place": config.courtyard_name(ticket.courtyard_id),
               "what": _short(ticket.text), "deadline": "", "status": ticket.status_label, "how": how, "note": how}
    return content, "\n".join([title + how, f"事项：{content['what']}"])
