"""Corrections to an open ticket (just opened or days ago): "刚才说错了 是4号楼不是3号楼", "不是2单元是3单元", "说错了 是五号院",
"不是报修 是投诉". The building or unit is corrected in the ticket's words, the category changed, the
courtyard moved (`MoveTicket`: the old council lets go, the new one gets the task); its member is told.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from handlers import acts, intake, progress
from handlers import courtyard as yards
from handlers.actions import MoveTicket
from handlers.base import Action, Context, Decision, Inbound, Outcome, TicketView
from handlers.text import NUM, bare, cn_to_int, newest, norm

_CUE = re.compile(r"说错|说岔|搞错|弄错|写错|打错|不对|不是|错了|更正|改一下|改成")
_STRONG = re.compile(r"说错|说岔|搞错|弄错|写错|打错|不对|错了|更正|应该是|改成")
_KINDS = {"building": r"号楼|栋|幢|号(?=楼道)", "unit": r"单元|门洞"}
_SHOW = {"building": "号楼", "unit": "单元"}
_CATEGORY = re.compile(r"(不是)?(?:要|来|想)?(报修|维修|修理|投诉|反映|咨询|问问)")
_CATEGORY_OF = {"报修": "repair", "维修": "repair", "修理": "repair", "投诉": "grievance", "反映": "grievance",
                "咨询": "inquiry", "问问": "inquiry"}
_CATEGORY_WORD = {"repair": "报修", "grievance": "投诉", "inquiry": "咨询"}


@dataclass(frozen=True)
class AmendTicket(Action):
    """The resident corrects a ticket's building / unit (its words) or its category; its member is told."""

    ref: str
    what: str  # 3号楼 → 4号楼, as the member and the resident read it
    text: str | None = None  # the ticket's corrected words
    category: str | None = None
    said: str = ""

    def reply(self, out: Outcome, ctx: Context) -> str | None:
        who = out.data.get("member")
        told = f"已告诉{who}" if who else "理事会看到的是改过的"
        return f"好的，工单 {out.ref or self.ref} 已更正：{self.what}，{told}。"


def _changes(text: str, kind: str) -> tuple[int | None, int | None]:
    """(old, new) numbers of a building / unit in the words: 不是3号楼 is old, 是4号楼 new."""
    t = norm(text)
    old = new = None
    for m in re.finditer(rf"(不是|不在)?\s*({NUM})\s*(?:{_KINDS[kind]})", t):
        n = cn_to_int(m.group(2))
        if n is None:
            continue
        if m.group(1):
            old = n
        else:
            new = n
    return old, new


def _rewrite(text: str, kind: str, old: int | None, new: int) -> str:
    """The ticket's words with the old building / unit replaced (or the new one added)."""
    pattern = re.compile(rf"({NUM})(\s*)({_KINDS[kind]})")
    hits = [m for m in pattern.finditer(text) if old is None or cn_to_int(m.group(1)) == old]
    if len(hits) == 1:
        m = hits[0]
        return f"{text[:m.start()]}{new}{_SHOW[kind]}{text[m.end():]}"
    return f"{text}（更正：{new}{_SHOW[kind]}）"


def _category(text: str) -> str | None:
    new = [m.group(2) for m in _CATEGORY.finditer(bare(text)) if not m.group(1)]
    return _CATEGORY_OF[new[-1]] if new else None


_AMENDABLE = ("received", "dispatched", "triage", "accepted")


def _ticket(msg: Inbound, ctx: Context) -> TicketView | None:
    """The open ticket the correction is about, at any time after it was opened: the one whose words
    hold the building or unit said to be wrong (不是2号楼), else the one just opened, else the newest."""
    open_ = [t for t in ctx.open_tickets if t.status in _AMENDABLE]
    if not open_:
        return None
    for kind in ("building", "unit"):
        old, _ = _changes(msg.text, kind)
        if old is not None:
            hit = [t for t in open_ if _changes(t.text, kind)[1] == old]
            if hit:
                return newest(hit)
    last = intake.last_ticket(ctx)
    return last if last in open_ else newest(open_)


def _soon(ctx: Context) -> bool:
    last, now = ctx.state.last, ctx.clock
    return last is not None and (last.at is None or now is None
                                 or now - last.at <= ctx.config.conversation.followup_minutes * 60)


def _reads_as_correction(msg: Inbound, ctx: Context) -> bool:
    """Later on, the act model must read a correction too ("5号楼水管不是刚修过吗" is not one)."""
    a = acts.read_act(progress.context_of(ctx), msg.text, acts.RESIDENT_ACTS)
    return a is None or (a.act == "correction" and a.confidence >= 0.5)


def decide(msg: Inbound, ctx: Context) -> list[Action]:
    """The corrections the words make to the ticket just opened (empty: none)."""
    if msg.kind not in ("text", "voice") or not _CUE.search(bare(msg.text)) or len(bare(msg.text)) > 30:
        return []
    ticket = _ticket(msg, ctx)
    if ticket is None or not (_soon(ctx) or _reads_as_correction(msg, ctx)):
        return []
    where = yards.locate(msg.text, ctx.config.courtyards)
    if where is not None and where != ticket.courtyard and _STRONG.search(msg.text) and len(bare(msg.text)) <= 24:
        return [MoveTicket(ticket.ref, where)]
    text, what = ticket.text, []
    for kind in ("building", "unit"):
        old, new = _changes(msg.text, kind)
        if new is not None and new != old:
            text = _rewrite(text, kind, old, new)
            what.append(f"{old}{_SHOW[kind]} → {new}{_SHOW[kind]}" if old is not None else f"{new}{_SHOW[kind]}")
    category = _category(msg.text)
    if category == ticket.category or (category and not re.search(r"不是", msg.text) and not _STRONG.search(msg.text)):
        category = None
    if category:
        what.append(f"{_CATEGORY_WORD.get(ticket.category, '')} → {_CATEGORY_WORD[category]}")
    if not what:
        return []
    return [AmendTicket(ticket.ref, "，".join(what), text if text != ticket.text else None, category, msg.text.strip())]


class Amend:
    name = "amend"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        return bool(decide(msg, ctx))

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        return Decision(actions=decide(msg, ctx), state=intake.keep(ctx))
