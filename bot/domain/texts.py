"""The words of every push, in plain Chinese: each returns (template content, customer-service text).

Council members are retired volunteers: short sentences — place, what, deadline, how to reply.
Content keys (mapped to template fields by `[dispatch.template_fields]`): title, ref, place, what,
deadline, due (ISO, for `time` fields), status, how, note.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.config import Config
from bot.domain.clock import to_local
from bot.domain.deadlines import ACCEPT, format_local
from bot.domain.summary import LIMIT, summary
from bot.domain.vocabulary import CATEGORY_NAMES, TicketStatus
from bot.domain.wording import callback_question as handler_callback_question
from bot.domain.wording import truncate

Content = tuple[dict[str, str], str]



def _what(ticket: Any, limit: int = 60) -> str:
    text = " ".join((ticket.text or "").split())
    kind = ticket.subcategory or CATEGORY_NAMES.get(ticket.category, ticket.category)
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return f"{kind}：{text}" if text else kind


def _brief(config: Config | None, ticket: Any, prefix: str = "") -> str:
    """The template field's words: what is wrong and where, within 20 characters (the text has them all)."""
    drop: tuple[str, ...] = ()
    if config is not None:
        yard = next((c for c in config.courtyards if c.id == ticket.courtyard_id), None)
        drop = (yard.name, *yard.aliases) if yard else ()
    short = summary(ticket.text or "", drop, limit=LIMIT - len(prefix))
    return prefix + (short or ticket.subcategory or CATEGORY_NAMES.get(ticket.category, ticket.category))


def _place(config: Config, ticket: Any) -> str:
    return config.courtyard_name(ticket.courtyard_id)


def _due(dt: datetime | None) -> str:
    """A deadline as Beijing ISO time, for a template's `time` field (texts show `format_local`)."""
    return f"{to_local(dt):%Y-%m-%dT%H:%M}" if dt is not None else ""


def _text(content: dict[str, str], lines: list[str]) -> Content:
    return content, "\n".join(line for line in lines if line)


def task(config: Config, ticket: Any, link: str | None, again: bool = False, said: str = "") -> Content:
    title = "【重办】居民说问题还没解决，请再处理" if again else ("【紧急】请马上处理" if ticket.urgent else "【新任务】请处理居民诉求")
    deadline = f"请在 {format_local(ticket.accept_due_at)} 前接单"
    how = f"回复「接单 {ticket.ref}」接单；办好后回复「办结 {ticket.ref} 说明」；不归本院请回复「退单 {ticket.ref} 原因」。"
    # 【紧急】 leads the words of an urgent task: a template has no title line since 2023.
    what = f"【紧急】{_what(ticket)}" if ticket.urgent and not again else _what(ticket)
    brief = _brief(config, ticket, "【紧急】" if ticket.urgent and not again else "")
    content = {"title": title, "ref": ticket.ref, "place": _place(config, ticket), "what": brief,
               "deadline": deadline, "due": _due(ticket.accept_due_at), "how": how,
               # A template has no title line since 2023: its short status field says redo / urgent.
               "status": "重办" if again else ("紧急" if ticket.urgent else TicketStatus.dispatched.label)}
    heard = f"居民回访时说：「{' '.join(said.split())[:60]}」" if said.strip() else ""
    if heard:
        content["note"] = heard
    return _text(content, [title, f"工单：{ticket.ref}", f"地点：{content['place']}", f"事项：{what}",
                           heard, deadline + "。", how, f"手机上处理：{link}" if link else ""])


def outside(config: Config, ticket: Any, party_name: str) -> Content:
    title = f"【转告{party_name}】{_place(config, ticket)}有居民反映"
    how = "请尽快安排处理，并与本院理事会联系。"
    content = {"title": title, "ref": ticket.ref, "place": _place(config, ticket), "what": _brief(config, ticket),
               "deadline": format_local(ticket.accept_due_at), "due": _due(ticket.accept_due_at), "status": TicketStatus.dispatched.label,
               "how": how}
    return _text(content, [title, f"工单：{ticket.ref}", f"事项：{_what(ticket)}", how])


def triage(config: Config, ticket: Any, reason: str) -> Content:
    title = "【待分派】请工作人员分派工单"
    content = {"title": title, "ref": ticket.ref, "place": _place(config, ticket), "what": _brief(config, ticket),
               "deadline": "尽快", "status": "待分派", "how": reason, "note": reason}
    return _text(content, [title, f"工单：{ticket.ref}", f"地点：{content['place']}", f"事项：{_what(ticket)}",
                           f"原因：{reason}", "请在工作台分派。"])


def reminder(config: Config, ticket: Any, kind: str, due: datetime) -> Content:
    if kind == ACCEPT:
        title, how = "【提醒】这件事还没接单", f"请回复「接单 {ticket.ref}」。"
        deadline = f"请在 {format_local(due)} 前接单"
    else:
        title, how = "【提醒】这件事快到办结时间了", f"办好后请回复「办结 {ticket.ref} 说明」。"
        deadline = f"请在 {format_local(due)} 前办结"
    content = {"title": title, "ref": ticket.ref, "place": _place(config, ticket), "what": _brief(config, ticket),
               "deadline": deadline, "due": _due(due), "status": "接单提醒" if kind == ACCEPT else "办结提醒",
               "how": how}
    return _text(content, [title, f"工单：{ticket.ref}", f"地点：{content['place']}", f"事项：{_what(ticket)}",
                           deadline + "。", how])


def escalation(config: Config, ticket: Any, kind: str, due: datetime, assignee: str | None) -> Content:
    what_missed = "接单" if kind == ACCEPT else "办结"
    title = f"【督办】工单超时未{what_missed}"
    note = f"负责人：{assignee or '未指定'}；期限：{format_local(due)}"
    how = "请督促办理，或在工作台改派。"
    content = {"title": title, "ref": ticket.ref, "place": _place(config, ticket), "what": _brief(config, ticket),
               "deadline": f"已超过 {format_local(due)}", "due": _due(due), "status": "超时督办", "how": how,
               "note": note}
    return _text(content, [title, f"工单：{ticket.ref}", f"地点：{content['place']}", f"事项：{_what(ticket)}",
                           note + "。", how])


def alert(config: Config, ticket: Any, reason: str) -> Content:
    title = "【提醒工作人员】工单需要关注"
    content = {"title": title, "ref": ticket.ref, "place": _place(config, ticket), "what": _brief(config, ticket),
               "deadline": "尽快", "status": ticket.status_label, "how": reason, "note": reason}
    return _text(content, [title, f"工单：{ticket.ref}", f"地点：{content['place']}", reason, "请在工作台查看。"])


# -- residents ---------------------------------------------------------------------------------------


def _resident(ticket: Any, title: str, status: str, body: str, how: str = "") -> Content:
    content = {"title": title, "ref": ticket.ref, "place": "", "what": _brief(None, ticket), "deadline": "",
               "status": status, "how": how or body, "note": body}
    return _text(content, [f"您的工单 {ticket.ref}：{body}", how])


def notice_dispatched(config: Config, ticket: Any, assignee_name: str | None, again: bool = False) -> Content:
    who = f"{config.courtyard_name(ticket.courtyard_id)}理事会" + (f"的{assignee_name}" if assignee_name else "")
    body = f"已重新交给{who}办理。" if again else f"已交给{who}办理，{format_local(ticket.accept_due_at)} 前会接单。"
    return _resident(ticket, "工单已派出", TicketStatus.dispatched.label, body)


def notice_triage(config: Config, ticket: Any) -> Content:
    return _resident(ticket, "工单已受理", "待分派", "社区工作人员正在安排负责人，安排好会通知您。")


def notice_accepted(config: Config, ticket: Any, member_name: str) -> Content:
    body = f"{member_name}已接单，正在办理。"
    return _resident(ticket, "工单已接单", "办理中", body)


def notice_progress(config: Config, ticket: Any, member_name: str, note: str) -> Content:
    return _resident(ticket, "工单有进展", "办理中", f"{member_name}反馈：{note}")


def callback_question(config: Config, ticket: Any, note: str) -> Content:
    """After 办结: tell the resident and ask whether it is solved and for a 1–5 rating."""
    words = " ".join((ticket.text or "").split()) or _what(ticket, 40)  # the resident's own words
    question = handler_callback_question(ticket.ref, words, note)  # the handlers' own wording
    content = {"title": "工单已办结，请您评价", "ref": ticket.ref, "place": "", "what": _brief(config, ticket),
               "deadline": "", "status": TicketStatus.awaiting_callback.label, "note": words,
               "how": "请回个数字打分：5 很满意 4 满意 3 一般 2 不满意 1 很不满意；没解决请回 0"}
    return content, question


def notice_closed_missing(config: Config, ticket: Any) -> Content:
    """No answer to the callback within `callback_days`: the ticket was closed as resolved."""
    body = f"办结后 {config.callback_days:g} 天没有收到您的回复，已按“已解决”结案。"
    again = "如果问题还在，请直接留言说明，我们会重新受理。"
    content, _ = _resident(ticket, "工单已结案", "已办结", body, body + again)
    # A template field holds 20 characters: both facts, shortened (the text has them in full).
    content["note"] = "未回复已按“已解决”结案，仍有问题请留言"
    return content, f"您的工单 {ticket.ref}：{body}\n{again}"


# -- voice ------------------------------------------------------------------------------------------

VOICE_TICKET_TEXT = "（语音留言，待听取）"
VOICE_SUBCATEGORY = "待听取"


def voice_listening(ref: str) -> str:
    """Nobody transcribes (or the words were unclear): a person listens. Never ask an elderly
    resident who speaks to type instead."""
    return f"收到您的语音，已受理，工单号 {ref}。工作人员会尽快听取并处理，请您放心。"


def voice_added(ref: str) -> str:
    return f"语音收到了，已补充到工单 {ref}，办理的人会听取。"


def voice_transcribing() -> str:
    return "收到您的语音，正在听取，稍后给您回复。"


def voice_understood(transcript: str, reply: str | None) -> str:
    said = transcript.strip().rstrip("。.！!？?")
    return truncate(f"您说的是：{said}。{reply or '已收到。'}")  # a long voice + a long reply: one message
