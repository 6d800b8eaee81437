"""Council members' commands, typed in WeChat: 接单 REF, 退单 REF 原因, 进展 REF 说明, 办结 REF 说明.

Tolerant of spaces, colons, full-width characters and lower-case refs (接单r1024, 办结 R1024：已更换灯泡).
A photo sent right after 办结 by the same member is attached to that ticket.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.domain.vocabulary import STATUS_LABELS, TicketStatus
from handlers import acts
from handlers.actions import AttachMedia, CouncilCommand
from handlers.base import Context, Decision, Inbound
from handlers.state import DialogueState, MediaRef
from handlers.text import find_ref

VERBS: dict[str, str] = {
    "接单": "accept", "领单": "accept", "接受": "accept",
    "退单": "return", "退回": "return",
    "进展": "progress", "反馈": "progress", "汇报": "progress",
    "办结": "finish", "已办结": "finish", "完结": "finish", "结单": "finish", "办完": "finish",
}
VERB_WORDS = {"accept": "接单", "return": "退单", "progress": "进展", "finish": "办结"}
_VERB = "|".join(sorted(VERBS, key=len, reverse=True))
_SEP = r"[\s:：,，.。;；、\-—]*"
_COMMAND = re.compile(
    rf"^{_SEP}(?P<verb>{_VERB}){_SEP}(?:(?P<ref>[A-Za-z]{{1,3}}\d{{2,10}})|(?P<digits>\d{{2,10}}))?"
    rf"(?![A-Za-z0-9]){_SEP}(?P<note>.*)$",
    re.S,
)
# "R1010 接了", "1010 办好了 换了灯泡": the ref first, the verb after.
_AFTER = {"接了": "accept", "接单": "accept", "我接": "accept", "我接了": "accept", "收到": "accept", "领了": "accept",
          "退单": "return", "退了": "return", "退回": "return",
          "办结": "finish", "办好了": "finish", "办完了": "finish", "修好了": "finish", "弄好了": "finish", "好了": "finish",
          "进展": "progress"}
_REF_FIRST = re.compile(
    rf"^{_SEP}(?:(?P<ref>[A-Za-z]{{1,3}}\d{{2,10}})|(?P<digits>\d{{2,10}})){_SEP}"
    rf"(?P<verb>{'|'.join(sorted(_AFTER, key=len, reverse=True))}){_SEP}(?P<note>.*)$", re.S)
_QUESTION = re.compile(r"(吗|没|么|嘛|呢|没有|了没|咋样|怎么样|如何|\?)$")

EXAMPLES = "接单 R1024\n退单 R1024 原因\n进展 R1024 说明\n办结 R1024 说明"


@dataclass(frozen=True)
class Parsed:
    verb: str  # accept | return | progress | finish
    ref: str | None
    note: str
    digits_only: bool = False


def parse(text: str, member: bool = True) -> Parsed | None:
    """A council command in `text`, or None when the text is not one.

    Without a ref, a verb alone (「接单」) is still a command (to ask for the ref); for members a verb
    followed by a note is too, unless it reads like a resident's question (办结了吗, 进展咋样了).
    """
    raw = (text or "").strip()
    t = unicodedata.normalize("NFKC", raw)
    m = _COMMAND.match(t)
    verb_of = VERBS
    if not m and member and (m := _REF_FIRST.match(t)):
        verb_of = _AFTER
    if not m:
        return None
    verb = verb_of[m.group("verb")]
    # The note as the member wrote it (full-width "，" kept) when normalising kept the positions.
    note = (raw if len(raw) == len(t) else t)[m.start("note"):].strip()
    if m.group("ref"):
        return Parsed(verb, m.group("ref").upper(), note)
    if m.group("digits"):
        return Parsed(verb, m.group("digits"), note, digits_only=True)
    if not note:
        return Parsed(verb, None, "")
    if member and verb != "progress" and m.group("verb") in ("接单", "退单", "办结") and not _QUESTION.search(note):
        return Parsed(verb, None, note)
    return None


# A member's words without a ref ("灯泡换好了", "我接了"): about his one task in that state.
_DONE = re.compile(r"(?:修|换|弄|整|搞|办|处理|收拾|清理|清|通|焊|装|补)(?:好|完|妥)了|搞定了|完事了|弄利索了|办妥了")
_TAKE = re.compile(r"^(?:这个|这单|这活儿?|这件)?(?:我|俺)?(?:接了|接下了|来接|去修|这就去|马上去)(?:吧|啊|哈)?$")
_SPOKEN_DIGIT = str.maketrans("零〇洞一幺二两三四五六七八九", "00011223456789")
_SPOKEN_REF = re.compile(r"([A-Za-z]{1,3})\s*([零〇洞一幺二两三四五六七八九\d]{3,10})")


def spoken(text: str) -> str:
    """A voice transcript's ref as typed: "R一零一零" / "r 幺零幺零" → "R1010" (ASR spells digits out)."""
    return _SPOKEN_REF.sub(lambda m: m.group(1).upper() + m.group(2).translate(_SPOKEN_DIGIT), text or "")


def _natural(text: str, ctx: Context) -> Parsed | None:
    """A member saying a job is done or taken, naming no ref (his tasks tell which)."""
    if ctx.member is None or not ctx.tasks or ctx.awaiting_callback:  # his own callback answers first
        return None
    b = _bare(text)
    if _MY_TASKS.search(b):  # 我的工单 asks for the list, it takes nothing
        return None
    if len(b) <= 24 and not _QUESTION.search(b) and "没" not in b:
        if _DONE.search(b):
            return Parsed("finish", _only(ctx, (TicketStatus.accepted, TicketStatus.dispatched)), (text or "").strip())
        if _TAKE.match(b):
            return Parsed("accept", _only(ctx, (TicketStatus.dispatched,)), "")
    return _own_words(text, ctx)


_MEMBER_SURE = 0.5
_FOR_VERB = {"accept": (TicketStatus.dispatched,), "finish": (TicketStatus.accepted, TicketStatus.dispatched),
             "return": (TicketStatus.dispatched, TicketStatus.accepted),
             "progress": (TicketStatus.dispatched, TicketStatus.accepted)}


def _own_words(text: str, ctx: Context) -> Parsed | None:
    """A member taking, handing back or finishing his one task in his own words (typed or by voice):
    the act model says which (issue 26); the ref comes from his tasks, and only when it is clear."""
    if len(_bare(text)) > 80:
        return None
    a = acts.read_act("member_task", text, (*acts.MEMBER_ACTS, "question", "thanks", "chitchat"))
    if a is None or a.confidence < _MEMBER_SURE or a.act not in _VERB_OF:
        return None
    verb = _VERB_OF[a.act]
    ref = find_ref(text)
    mine = [t.ref for t in ctx.tasks if t.status in _FOR_VERB[verb]]
    if ref is None:
        if len(mine) != 1:
            return None
        ref = mine[0]
    elif ref not in mine:
        return None
    note = (text or "").strip() if verb != "accept" else ""
    return Parsed(verb, ref, note)


# the member's acts as his commands: "去看了，得买配件后天来换" is 进展 on his task, never a new ticket
_VERB_OF = {"accept": "accept", "return": "return", "finish": "finish", "progress_note": "progress"}


def _only(ctx: Context, statuses: tuple[str, ...]) -> str | None:
    """The ref of the member's one task in `statuses`, None when none or several (then he is asked)."""
    refs = [t.ref for t in ctx.tasks if t.status in statuses]
    return refs[0] if len(refs) == 1 else None


def _read(msg: Inbound, ctx: Context) -> Parsed | None:
    text = spoken(msg.text)  # a transcript reaches here as text too (bot.services.inbound.voice)
    return parse(text, member=ctx.member is not None) or _natural(text, ctx)


def looks_like_command(msg: Inbound, ctx: Context) -> bool:
    # A voice's words are read like typed text (a member says "R1010 接了" as he would type it).
    return msg.kind in ("text", "voice") and bool(msg.text.strip()) and _read(msg, ctx) is not None


def handle(msg: Inbound, ctx: Context) -> Decision:
    """The decision for a (possible) council command."""
    parsed = _read(msg, ctx)
    if parsed is None:
        raise ValueError("not a council command")
    if ctx.member is None:
        return Decision(
            reply="「接单、退单、进展、办结」是楼院理事会成员处理工单用的。"
            "您有事要办，直接说就行，比如：3号院2号楼楼道灯不亮。",
            state=ctx.state,
        )
    word = VERB_WORDS[parsed.verb]
    if parsed.digits_only:  # 接单 1012: the member's own task with those digits, when there is one
        same = [t for t in ctx.tasks if t.ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == parsed.ref]
        parsed = Parsed(parsed.verb, same[0].ref if len(same) == 1 else None, parsed.note, digits_only=len(same) != 1)
    if parsed.ref is None and not parsed.digits_only and ctx.tasks and len(ctx.tasks) > 1:
        return Decision(reply=_which(ctx, word), state=ctx.state)
    if parsed.ref is None:
        hint = "工单号前面的字母也要带上" if parsed.digits_only else "请在后面加上工单号"
        return Decision(reply=f"{hint}，例如：{word} R1024" + ("" if parsed.verb == "accept" else " 说明"),
                        state=ctx.state)
    if parsed.verb == "return" and not parsed.note:
        return Decision(reply=f"退单要写明原因，方便社区重新派单。例如：退单 {parsed.ref} 不是本院的事",
                        state=ctx.state)
    if parsed.verb == "progress" and not parsed.note:
        return Decision(reply=f"请写上进展情况，例如：进展 {parsed.ref} 已联系师傅，明天上午来修",
                        state=ctx.state)
    action = CouncilCommand(parsed.verb, parsed.ref, parsed.note)
    state = DialogueState(finish_photo=parsed.ref) if parsed.verb == "finish" else ctx.state
    return Decision(actions=[action], state=state)


def finish_photo(msg: Inbound, ctx: Context) -> Decision | None:
    """A member's photo right after 办结: attach it to that ticket."""
    ref = ctx.state.finish_photo
    if ctx.member is None or not ref or msg.kind not in ("image", "video", "shortvideo") or not msg.media_id:
        return None
    kind = "image" if msg.kind == "image" else "video"
    # keep the state: several photos may follow one 办结
    return Decision(actions=[AttachMedia(ref, (MediaRef(msg.media_id, kind),), note="办结现场照片")], state=ctx.state)


_MY_TASKS = re.compile(r"^(?:我的|俺的)?(?:任务|工单|单子|活儿?|待办)(?:呢|吗|有哪些|列表)?$|^(?:我|俺)(?:还)?有(?:啥|什么|哪些)(?:任务|活|单子)")


def my_tasks_asked(msg: Inbound, ctx: Context) -> bool:
    return ctx.member is not None and msg.kind in ("text", "voice") and bool(_MY_TASKS.search(_bare(msg.text)))


def _bare(text: str) -> str:
    return re.sub(r"[\s,，.。!！?？~～]", "", unicodedata.normalize("NFKC", text or ""))


def task_list(ctx: Context) -> str:
    """A member's open tasks, urgent first, short enough for one phone screen — and, when she is also a
    resident with reports of her own still open, those too (我的工单 means both to her)."""
    own = [t for t in ctx.open_tickets if t.assignee != ctx.member.openid] if ctx.member else list(ctx.open_tickets)
    room = 8 if not own else 5
    lines: list[str] = []
    if not ctx.tasks:
        lines.append("您现在没有待办的任务。有新任务会第一时间通知您。")
    else:
        ordered = sorted(ctx.tasks, key=lambda t: (not t.urgent, t.status != TicketStatus.dispatched))
        lines.append(f"您有 {len(ordered)} 件任务没办完：")
        for t in ordered[:room]:
            what = " ".join(t.text.split())
            what = what if len(what) <= 14 else what[:14] + "…"
            state = "待接单" if t.status == TicketStatus.dispatched else "办理中"
            lines.append(f"{'【紧急】' if t.urgent else ''}{t.ref} {state}｜{what}")
        if len(ordered) > room:
            lines.append(f"还有 {len(ordered) - room} 件，请在任务页查看。")
        lines.append("回复「接单 单号」「办结 单号 说明」处理。")
    if own:
        lines.append(f"您自己报的 {len(own)} 个工单还没办完：")
        for t in own[:3]:
            what = " ".join(t.text.split())
            what = what if len(what) <= 14 else what[:14] + "…"
            lines.append(f"{t.ref} {STATUS_LABELS.get(t.status, t.status)}｜{what}")
        if len(own) > 3:
            lines.append(f"还有 {len(own) - 3} 个，有变化会通知您。")
    return "\n".join(lines)


def _which(ctx: Context, word: str) -> str:
    """Several tasks and no ref: which one (a short list, one phone screen)."""
    lines = [f"您有 {len(ctx.tasks)} 件任务，是哪一件？"]
    for t in ctx.tasks[:6]:
        what = " ".join(t.text.split())
        lines.append(f"{t.ref}｜{what if len(what) <= 14 else what[:14] + '…'}")
    ref = ctx.tasks[0].ref
    lines.append(f"请回复：{word} {ref}" + ("" if word == "接单" else " 说明"))
    return "\n".join(lines)


def help_text() -> str:
    return "理事会成员可以这样回复：\n" + EXAMPLES
