"""Every word a resident or council member reads: the passive reply and the texts it is built from.

`compose(decision, outcomes, ctx)` puts the emergency notice first, then what came of each action
(the action's own words: `Action.reply` / `Action.failed`, see `handlers.actions`), then the
decision's own words — never over the 2048 bytes of UTF-8 WeChat allows for a passive reply.
"""

from __future__ import annotations

from bot.config import Config
from bot.domain.vocabulary import CATEGORY_NAMES, STATUS_LABELS
from bot.domain.wording import media_unit, media_words, truncate
from handlers.base import Context, Decision, Outcome, TicketView
from handlers.courtyard import choices, courtyard_number
from handlers.state import MAX_HELD, Held

MENU = "没太明白您的意思，请回个数字选一下：\n1 报修（东西坏了要修）\n2 投诉（反映问题）\n3 活动（报名参加）\n4 咨询（问问办事）"
MENU_CHOICES = {1: "repair", 2: "grievance", 3: "event", 4: "inquiry"}


def courtyard_label(cfg: Config, courtyard_id: str | None) -> str:
    """育英街3号院（粮食局家属院）: the name and the first alias that is not a number."""
    c = cfg.courtyard(courtyard_id)
    if c is None:
        return "待确认（社区工作人员会跟您核实）"
    alias = next((a for a in c.aliases if not any(ch.isdigit() for ch in a) and "号" not in a), None)
    return f"{c.name}（{alias}）" if alias else c.name


def short_name(cfg: Config, courtyard_id: str | None) -> str:
    """3号院 for 育英街3号院: what a resident calls it in a question."""
    c = cfg.courtyard(courtyard_id)
    if c is None:
        return "这个院"
    n = courtyard_number(c)
    return f"{n}号院" if n is not None else c.name


def confirm_courtyard(cfg: Config, courtyard_id: str) -> str:
    """A guess (the resident named only the organisation) asked back rather than assigned."""
    return f"您说的是{courtyard_label(cfg, courtyard_id)}吗？回复“是”或“不是”。"


SHORT_LIST = 4  # more courtyards than this: a short prompt, the full list on "0" (a phone screen)


def courtyard_menu(cfg: Config, full: bool = False) -> str:
    pairs = choices(cfg.courtyards)
    if full or len(pairs) <= SHORT_LIST:
        lines = [f"{n}  {courtyard_label(cfg, c.id)}" for n, c in pairs]
        return "回个数字就行：\n" + "\n".join(lines) + "\n也可以直接说院名，比如：粮食局家属院"
    n, c = pairs[1]  # an example that is not the first: "1" reads like a yes
    alias = courtyard_label(cfg, c.id).split("（")[-1].rstrip("）")
    return f"回院号就行（比如回 {n} 就是{short_name(cfg, c.id)}），也可以说院名，比如“{alias}”。\n回 0 看全部院名。"


def ask_courtyard(cfg: Config, why: str = "请问是哪个院的事？") -> str:
    return f"{why}{courtyard_menu(cfg)}"


def offer_binding(cfg: Config, courtyard_id: str) -> str:
    return f"以后默认是{short_name(cfg, courtyard_id)}吗？回复 1 是，2 不用。"


def greeting(cfg: Config, bound: bool) -> str:
    text = (f"您好，欢迎关注{cfg.community}楼院管家！\n"
            "报修、投诉、活动报名、办事咨询，直接打字或发语音说就行，也可以发照片。")
    if not bound:
        text += "\n\n请问您住哪个院？" + courtyard_menu(cfg)
    return text


def help_text(cfg: Config) -> str:
    return (
        "这样用就行：\n"
        "· 报修、投诉：说清哪个院、哪栋楼、什么问题，比如“3号院2号楼楼道灯不亮”，可以发照片、发语音。\n"
        "· 查进度：发“我的工单”。\n"
        "· 活动：发“有啥活动”，报名发“报名1”。\n"
        "· 撤销刚报的事：发“取消”。\n"
        f"遇到着火、燃气味、漏电、有人晕倒，请先打电话：{cfg.emergency_numbers}"
    )


def usage(cfg: Config) -> str:
    """帮助 / 怎么用: three short lines."""
    return ("有事直接说：哪个院、哪栋楼、什么事，打字、语音、照片都行。\n"
            "查进度发“我的工单”，撤销发“不用了”，找人发“转人工”。\n"
            f"着火打 {cfg.emergency.fire}，有人摔倒、晕倒打 {cfg.emergency.people}，打完再告诉我。")


def urgent_notice(cfg: Config) -> str:
    return f"⚠️ 情况紧急请先打电话：{cfg.emergency_numbers}\n请先离开危险的地方，不要自己动手处理。"


def ticket_line(t: TicketView, cfg: Config) -> str:
    text = " ".join(t.text.split())
    text = text if len(text) <= 16 else text[:16] + "…"
    where = short_name(cfg, t.courtyard) if t.courtyard else "楼院待确认"
    return f"{t.ref} {CATEGORY_NAMES.get(t.category, '')}｜{where}｜{text}｜{STATUS_LABELS.get(t.status, t.status)}"


def ticket_list(tickets: list[TicketView], cfg: Config) -> str:
    if not tickets:
        return "您现在没有没办完的工单。有事直接说就行。"
    lines = [f"您有 {len(tickets)} 个工单还没办完："]
    lines += [f"{i}. {ticket_line(t, cfg)}" for i, t in enumerate(tickets, start=1)]
    lines.append("有变化会主动通知您。")
    return "\n".join(lines)


# --- photos, videos and voices ----------------------------------------------------------------

def media_received(held: Held) -> str:
    """收到 for the newest of `held`: the count once there are several (the question is not repeated)."""
    if len(held) == 1:
        return f"{media_words([held[0].kind])}收到了。"
    return f"收到了，一共 {media_words([m.kind for m in held])}。"


def media_full(kind: str) -> str:
    """One more than MAX_HELD before the words: refused, and the resident told what to do."""
    unit = media_unit(kind)
    return f"这{unit}{media_words([kind])}没收下：一次最多先收 {MAX_HELD} {unit}，登记以后可以接着发。"


# --- outcomes ---------------------------------------------------------------------------------


def compose(decision: Decision, outcomes: list[Outcome], ctx: Context) -> str | None:
    """The passive reply: urgent notice, outcomes, then the decision's words; None when silent."""
    parts: list[str] = []
    if decision.urgent_notice:
        parts.append(decision.urgent_notice)
    for out in outcomes:
        if out.message:  # bot's own words (a refusal, a registration's details) win
            parts.append(out.message)
        elif out.ok:
            text = out.action.reply(out, ctx)  # each action says what its outcome means
            if text:
                parts.append(text)
        else:
            parts.append(out.action.failed(out))
    if decision.reply:
        parts.append(decision.reply)
    return truncate("\n".join(parts)) if parts else None
