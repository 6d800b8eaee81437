"""One problem, one ticket: words, a photo or a voice about an open ticket join it (and reach its
member); something else opens a new one; when unsure, ask.

"About an open ticket" means: soon after it was opened and starting like an addition (还有…,
另外…, 对了…), the same subject and place (the same resident saying it again), or an answer to a
question the member asked the resident ("请问是几号楼几单元？").
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.domain.vocabulary import UNFINISHED
from handlers import acts, intake, progress, replies
from handlers import courtyard as yards
from handlers.actions import AddToTicket, AttachMedia
from handlers.base import Context, Decision, Inbound, TicketView
from handlers.state import FollowUpAsked, MediaRef, hold
from handlers.text import bare, newest, yes_no

OPEN = UNFINISHED
_ADDING = re.compile(r"^(?:还有|另外|对了|补充|再补充|而且|并且|顺便说|忘了说|还得说|就是|那个|就那个|刚才那个"
                     r"|就在|位置在|地方在|在[^吗呢啊]{2,})")
_ALSO = re.compile(r"也(?:不亮|坏|漏|堵|不行|不通|没|是|一样|有)|同样|一样的")
_STOP = {"号楼", "单元", "楼道", "我们", "俺们", "那个", "这个", "麻烦", "赶紧", "一下", "快点", "院里", "家里"}


_PLACE = re.compile(r"[0-9零一二两三四五六七八九十]+(?:号楼|栋|幢|单元|楼|层|室|号|户|院)?")


def _pairs(text: str, ctx: Context) -> set[str]:
    """Two-character words of what a message says, its place (courtyard, building, unit) left out."""
    b = bare(_PLACE.sub("", yards.leftover(text, ctx.config.courtyards)))
    return {b[i:i + 2] for i in range(len(b) - 1)} - _STOP


def elsewhere(text: str, ticket: TicketView, ctx: Context) -> bool:
    """The message names another courtyard or another building than the ticket."""
    where = yards.locate(text, ctx.config.courtyards)
    if where is not None and ticket.courtyard is not None and where != ticket.courtyard:
        return True
    mine, theirs = yards.parse_unit(text), yards.parse_unit(ticket.text)
    return bool(mine and theirs and "号楼" in mine and "号楼" in theirs
                and mine.split("号楼")[0] != theirs.split("号楼")[0])


def same_subject(text: str, ticket: TicketView, ctx: Context) -> bool:
    """The same thing in other words: same classifier subcategory or shared words, in the same place."""
    if elsewhere(text, ticket, ctx):
        return False
    shared = len(_pairs(text, ctx) & _pairs(ticket.text, ctx))
    if shared >= 2 or shared == 0:  # the classifier only breaks a tie
        return shared >= 2
    mine, theirs = intake.classify_text(text), intake.classify_text(ticket.text)
    return mine.subcategory is not None and mine.subcategory == theirs.subcategory


def _recent(ctx: Context) -> bool:
    last, now = ctx.state.last, ctx.clock
    if last is None:
        return False
    return last.at is None or now is None or now - last.at <= ctx.config.conversation.followup_minutes * 60


def _answering(ctx: Context) -> TicketView | None:
    """The open ticket whose member just asked the resident something."""
    return next((t for t in ctx.open_tickets if t.status in OPEN and t.question), None)


def judge(text: str, ctx: Context) -> tuple[str, TicketView | None]:
    """("add" | "repeat" | "urge" | "ask" | "new", the ticket)."""
    asked = _answering(ctx)
    if asked is not None and not _new_problem(text, asked, ctx):
        return "add", asked
    last = intake.last_ticket(ctx) if _recent(ctx) else None
    act = acts.read_act(progress.context_of(ctx), text, acts.RESIDENT_ACTS)
    pressing = act is not None and act.act == "urge" and act.confidence >= URGE_SURE
    # a new problem plainly told ("俺家厨房下水道也堵了" is an addition; "5号楼门口垃圾没人清" is not):
    # the act model reads what is meant, the content (subject, place) confirms it is another thing
    plainly_new = act is not None and act.act == "report" and (
        act.confidence >= 0.6 or (act.confidence >= 0.45 and last is not None and _other_kind(text, last)))
    if last is not None and last.status in OPEN and not elsewhere(text, last, ctx):
        b = bare(text)
        if same_subject(text, last, ctx) or ((_ADDING.match(b) or _ALSO.search(b)) and not plainly_new):
            return ("urge" if pressing and not _ADDING.match(b) else "add"), last
    adding = act is not None and act.act == "add" and act.confidence >= ABOUT_SURE  # it got worse: news
    for t in ctx.open_tickets:
        if t.status in OPEN and same_subject(text, t, ctx):
            return ("urge" if pressing else "add" if adding else "repeat"), t
    if not plainly_new and (about := about_ticket(text, ctx, act)) is not None:
        return ("urge" if pressing else "add"), about
    if last is not None and last.status in OPEN and len(bare(text)) <= 12 and yards.locate(text, ctx.config.courtyards) is None:
        if act is not None and act.confidence >= 0.6 and act.act in ("report", "add"):
            return ("new", None) if act.act == "report" else ("add", last)  # plain enough: no question
        return "ask", last  # short, soon after, and about nothing we can tell apart
    return "new", None


URGE_SURE = 0.3  # below ProgressOrUrge's bar, but about a ticket already: pressing it, not adding to it
_ABOUT = ("add", "urge", "correction", "reopen")  # acts that speak of a ticket already told


def about_ticket(text: str, ctx: Context, act: acts.Act | None) -> TicketView | None:
    """The open ticket words are about, at any time after it was opened ("今天漏得更厉害了" the next day):
    the act model reads them as more about a ticket, not a report; the content picks which of ALL
    the open tickets (the one sharing the most words, else the one just opened, else the newest) —
    never one in another courtyard or building, and none when the words name another kind of problem."""
    if act is None or act.act not in _ABOUT or act.confidence < ABOUT_SURE:
        return None
    near = [t for t in ctx.open_tickets if t.status in OPEN and not elsewhere(text, t, ctx)]
    if not near:
        return None
    mine = _pairs(text, ctx)
    shared = {t.ref: len(mine & _pairs(t.text, ctx)) for t in near}
    best = max(near, key=lambda t: shared[t.ref])
    if shared[best.ref] > 0:
        return best
    if act.confidence < 0.6 and names_a_problem(text, ctx) and all(_other_kind(text, t) for t in near):
        return None  # the act model is unsure and the classifier sure it is another kind of problem
    last = intake.last_ticket(ctx)
    return last if last in near else newest(near)


ABOUT_SURE = 0.45  # below it, words soon after a ticket are asked about (是补充…还是另一件事？)


def _other_kind(text: str, ticket: TicketView) -> bool:
    """The classifier is sure the message is another kind of problem than the ticket (垃圾 against 照明)."""
    mine, theirs = intake.classify_text(text), intake.classify_text(ticket.text)
    return bool(mine.subcategory and theirs.subcategory and mine.subcategory != theirs.subcategory
                and mine.confidence >= 0.7)


def names_a_problem(text: str, ctx: Context) -> bool:
    """Words that say what is wrong, not only where: "15号院楼道灯坏了" does, "15号院3号楼的" does not."""
    rest = bare(_PLACE.sub("", yards.leftover(text, ctx.config.courtyards)))
    if len(rest) < 3:
        return False
    cls = intake.classify_text(text)
    return cls.category in ("repair", "grievance", "inquiry") and cls.confidence >= ctx.config.confidence_threshold


def _new_problem(text: str, ticket: TicketView, ctx: Context) -> bool:
    # Words that only say where (2号楼3单元，四楼到五楼那一段) answer a question; they name no problem.
    if len(bare(_PLACE.sub("", yards.leftover(text, ctx.config.courtyards)))) <= 6:
        return False
    cls = intake.classify_text(text)
    return cls.category in ("repair", "grievance") and cls.confidence >= 0.8 and not same_subject(text, ticket, ctx) \
        and len(bare(text)) > 12


class FollowUp:
    name = "follow_up"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        if msg.kind not in ("text", "voice") or not msg.text.strip() or not ctx.open_tickets:
            return False
        return judge(msg.text, ctx)[0] != "new"

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        verdict, ticket = judge(msg.text, ctx)
        assert ticket is not None
        text = msg.text.strip()[:500]
        media = ctx.state.media  # photos held for words (after 回 2) go where the words go
        if msg.kind == "voice" and msg.media_id:
            media = hold(media, MediaRef(msg.media_id, "voice")) or media
        if verdict == "ask":
            return Decision(reply=_which(ticket),
                            state=intake.ask(ctx, FollowUpAsked(ticket.ref, text), media=media))
        if verdict == "urge" and not media:  # pressing an open ticket: 催办, not an addition
            return Decision(actions=[progress.Urge(ticket.ref, text[:300])], state=ctx.state)
        add = AddToTicket(ticket.ref, text, media, repeat=verdict == "repeat")
        return Decision(actions=[add], state=replace(ctx.state, media=()))


PHOTO_KINDS = ("image", "video", "shortvideo")


def photo(msg: Inbound, ctx: Context) -> Decision | None:
    """A photo while the resident has open tickets: the same rule as words. Soon after his one open
    ticket it joins it; later, or with several open, ask. None: not this rule's (no open ticket, or a
    request is waiting for its courtyard or category, or photos wait for the words: the photo joins them)."""
    if msg.kind not in PHOTO_KINDS or not msg.media_id or ctx.state.pending or ctx.state.media:
        return None
    candidates = [t for t in ctx.open_tickets if t.status in OPEN]
    if not candidates:
        return None
    kind = "image" if msg.kind == "image" else "video"
    item = MediaRef(msg.media_id, kind)
    last = intake.last_ticket(ctx) if _recent(ctx) else None
    if last is not None and last.status in OPEN and len(candidates) == 1:
        return Decision(actions=[AttachMedia(last.ref, (item,))], state=ctx.state)
    ticket = last if last in candidates else newest(candidates)
    assert ticket is not None
    what = "照片" if kind == "image" else "视频"
    return Decision(reply=f"{what}收到了。" + _which(ticket),
                    state=intake.ask(ctx, FollowUpAsked(ticket.ref), media=(item,)))


def _which(ticket: TicketView) -> str:
    what = ticket.text if len(ticket.text) <= 12 else ticket.text[:12] + "…"
    return f"是补充工单 {ticket.ref}「{what}」，还是另一件事？回 1 补充，回 2 新的事。"


class MorePhotos:
    """Another photo while 是补充…，还是另一件事？ is open: held with the others, the question not asked again
    (WeChat sends each photo of an album as its own message); the answer takes them all."""

    name = "more_photos"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        state, q = ctx.state, ctx.state.pending
        return msg.kind in PHOTO_KINDS and bool(msg.media_id) and isinstance(q, FollowUpAsked) and bool(
            q.words or state.media)

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        kind = "image" if msg.kind == "image" else "video"
        held = hold(ctx.state.media, MediaRef(msg.media_id or "", kind))
        if held is None:
            return Decision(reply=replies.media_full(kind), state=ctx.state)
        return Decision(reply=replies.media_received(held), state=replace(ctx.state, media=held))


class FollowUpOrNew:
    """The answer to 是补充…，还是另一件事？ (about words, a voice or a photo held meanwhile)."""

    name = "followup_or_new"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        q = ctx.state.pending
        if not isinstance(q, FollowUpAsked) or not (q.words or ctx.state.media):
            return False
        return msg.kind in ("text", "voice") and _choice(msg.text) is not None

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        q = ctx.state.pending
        assert isinstance(q, FollowUpAsked)
        held, ref, media = q.words or "", q.ref, ctx.state.media
        if _choice(msg.text):
            if not held and media:  # photos alone
                return Decision(actions=[AttachMedia(ref, media)], state=ctx.state.settled(media=()))
            return Decision(actions=[AddToTicket(ref, held, media)], state=ctx.state.settled(media=()))
        if not held:  # a new problem shown only in a photo: ask what it is, the photo goes with it
            return Decision(reply="好的，是一件新的事。请用文字或语音说说是哪个院、什么问题，照片会一起登记。",
                            state=ctx.state.settled(media=media, last=None))
        fresh = Inbound(msg.openid, "text", held)
        return intake.route(fresh, _settled(ctx), held, media)


def _choice(text: str) -> bool | None:
    b = bare(text)
    if b in ("1", "一") or (len(b) <= 6 and "补充" in b and "不" not in b):  # 补充 / 是补充的 / 补充上
        return True
    if b in ("2", "二", "不是") or (len(b) <= 8 and re.search(r"新的|另一|另外一|别的事|两码事|不是一回事", b)):
        return False
    return yes_no(text)


def _settled(ctx: Context) -> Context:
    return replace(ctx, state=ctx.state.settled(media=()))
