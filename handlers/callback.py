"""The callback (回访) after a ticket is finished: the question, and understanding the answer.

The question asks for one number: 1–5 is a rating of a solved problem (5 best), 0 means the
problem is not solved. Words work too: 修好了 / 满意 / 五星 / 没修好 / 还是不亮 …
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from handlers import acts
from handlers.actions import AddToTicket, CallbackAnswer, LateRating
from handlers.base import Context, Decision, Inbound, TicketView
from handlers.questions import Question
from handlers.state import CallbackRating, RatingAsked
from handlers.text import bare, cn_to_int, find_ref, newest


@dataclass(frozen=True)
class SolvedAsked(Question, tag="callback_plain"):
    """修好了吗？回 1 修好了，0 没修好 — asked once after a vague answer (还行吧, 差不多)."""

    ref: str
    said: str = ""  # the vague words, kept with the answer

# --- understanding the answer ----------------------------------------------------------------

_NOT_SOLVED = re.compile(
    r"没(?:有)?(?:修好|修|解决|弄好|整好|搞好|好|人来|来人|来修|办|管|处理)|未解决|没解决|不解决|解决不了"
    r"|还是?(?:不亮|不行|不中|不通|漏|坏|堵|没|黑|不好|那样|老样子|一样|响|吵)|还在(?:漏|滴|堵|响|坏|冒)|又(?:坏|漏|堵|不亮|不行|开始)"
    r"|不(?:中|行)(?:啊|呀)?$|^(?:0|零|〇|没好|未)$|根本没|压根没|一点没变|跟没修一样|白修|糊弄|敷衍"
)
_SOLVED = re.compile(
    r"(?<![不没未])(?:已经|都)?(?:修好|弄好|整好|搞好|解决|办好|处理好|好)了|解决了|修好|可以了|行了|中了|没问题了|不漏了"
    r"|(?<![不没未])(?:亮了|通了)|^(?:中|好|行|好的|可以|谢谢|感谢|辛苦了?)$"
)
_RATING_WORDS: tuple[tuple[str, int], ...] = (
    ("非常不满意", 1), ("很不满意", 1), ("特别不满意", 1), ("太差", 1), ("很差", 1),
    ("不太满意", 2), ("不满意", 2), ("不咋样", 2), ("差评", 1),
    ("一般", 3), ("凑合", 3), ("还行", 3), ("马马虎虎", 3), ("还可以", 4), ("基本满意", 4), ("比较满意", 4),
    ("非常满意", 5), ("很满意", 5), ("特别满意", 5), ("十分满意", 5), ("太满意", 5), ("满意", 5), ("好评", 5),
    ("点赞", 5), ("给力", 5), ("太好了", 5), ("很好", 5), ("非常好", 5),
    ("挺好", 5), ("真好", 5), ("不赖", 4), ("不错", 4), ("中中", 5), ("得劲", 5), ("老好了", 5), ("怪好", 5),
    ("太慢", 2), ("真慢", 2), ("不咋地", 2), ("差劲", 1),
)
_STARS = re.compile(r"([0-5零一二两三四五])(?:星|颗星|分|个星)")
_DIGIT_ONLY = re.compile(r"^([0-5零一二两三四五])(?:分|星|颗星)?$")
# "1 来得太慢了…", "5，师傅很好": a rating first, then a comment (not "1号楼…", "3点…").
_DIGIT_FIRST = re.compile(r"^\s*([0-5])\s*(?:分|星)?\s*[\s,，.。:：、!！]+\s*(?![号栋楼单层院点月日])(\S.*)$", re.S)
_WARM = re.compile(r"(?:暖气|水|灯|电)(?:热|来|亮|通|有)了|不(?:堵|漏|响|吵)了")  # 暖气热了: it works again
SHORT = 24  # a solved answer is short; a longer message is probably a new request


_STAR_MARKS = re.compile(r"[⭐★🌟✨]")
_STAR_RUN = re.compile(r"(?:[⭐★🌟✨]\ufe0f?\s*){1,5}")


def star_rating(text: str) -> int | None:
    """⭐⭐⭐⭐⭐ = 5, ★★★ = 3: the stars counted (a rule: a count is a count), None without stars."""
    n = len(_STAR_MARKS.findall(text or ""))
    return n if 1 <= n <= 5 else (5 if n > 5 else None)


def parse_answer(text: str) -> tuple[bool | None, int | None] | None:
    """(solved, rating) understood from an answer, or None when the text is not an answer."""
    stars = star_rating(text)
    if stars is not None:
        rest = _STAR_RUN.sub("", text)
        said = parse_answer(rest) if bare(rest) else None
        solved = said[0] if said else None
        if solved is None and not _NOT_SOLVED.search(bare(rest)):
            solved = True if stars >= 3 else None
        return (solved, stars)
    b = bare(text)
    if not b:
        return None
    if m := _DIGIT_FIRST.match(unicodedata.normalize("NFKC", text)):
        n: int | None = int(m.group(1))
        return (False, None) if n == 0 else (True, n)
    b_noref = re.sub(r"[a-z]{1,3}\d{2,10}", "", b)
    if m := _DIGIT_ONLY.match(b_noref):
        n = cn_to_int(m.group(1))
        return (False, None) if n == 0 else (True, n)
    rating = None
    if m := _STARS.search(b_noref):
        n = cn_to_int(m.group(1))
        rating = n if n else None
    else:
        for word, value in _RATING_WORDS:
            if word in b_noref:
                rating = value
                break
    if _NOT_SOLVED.search(b_noref):
        return (False, rating)
    if len(b_noref) > SHORT:
        return None
    if _SOLVED.search(b_noref) or _WARM.search(b_noref):
        return (True, rating)
    if rating is not None:
        return (True if rating >= 3 else None, rating)
    return None


# "还行吧", "差不多", "中 还中吧": neither solved nor not, nor a rating one can count on — asked once more.
_VAGUE = re.compile(
    r"^(?:嗯|呃|额|中|那)?(?:还行|还中|中还中|还凑合|凑合|差不多|一般般?|马马虎虎|就那样|也就那样|还算行|将就|算是吧?"
    r"|好像好了|可能好了|应该好了|说不上来|不好说|还那样|凑活)(?:吧|呗|啊|呀|嘞|哩|了|吧吧)*$"
)


def vague(text: str) -> bool:
    """A callback answer that says nothing sure (no digit, no star, no solved / not-solved words)."""
    b = bare(text)
    return bool(b) and star_rating(text) is None and bool(_VAGUE.match(b))


# a complaint beside a fair rating ("4分，就是来得太慢"); a low rating is followed up by staff anyway
_COMPLAINT = re.compile(r"就是|但是|不过|可是|只是|太慢|慢了|来晚|晚了|态度|不耐烦|没打扫|没收拾|脏|乱扔|拖了|等了")


PLAIN = "修好了吗？回 1 修好了，0 没修好。"
_PLAIN_YES = re.compile(r"^(?:1|一|是|是的|对|嗯|修好了?|好了|好啦|中|行)(?:了|的|啊|吧)?$")
_PLAIN_NO = re.compile(r"^(?:0|零|〇|没|没有|不是|没修好|没好|不中|不行)(?:呢|啊|的)?$")


def target(text: str, waiting: list[TicketView]) -> TicketView | None:
    """The ticket an answer is about: the one named by ref, else the most recent one."""
    ref = find_ref(text)
    if ref:
        named = next((t for t in waiting if t.ref.upper() == ref), None)
        if named:
            return named
    return newest(waiting)


def half(text: str) -> bool:
    """Better but not right ("凑合吧，就是下雨还有点渗"): the act model reads a reopening where the words do
    not plainly say not solved — the member hears of it and the resident is asked plainly."""
    parsed = parse_answer(text)
    if parsed is not None and parsed[0] is False:
        return False
    a = acts.read_act("awaiting_callback", text, acts.RESIDENT_ACTS)
    return a is not None and a.act == "reopen" and a.confidence >= HALF_SURE


HALF_SURE = 0.35  # the likeliest act (of 14) is a reopening


def matches(msg: Inbound, ctx: Context) -> bool:
    return bool(ctx.awaiting_callback) and msg.kind in ("text", "voice") and (
        parse_answer(msg.text) is not None or vague(msg.text) or half(msg.text))


def handle(msg: Inbound, ctx: Context) -> Decision:
    ticket = target(msg.text, ctx.awaiting_callback)
    if ticket is None:
        raise ValueError("no ticket awaiting a callback")
    if vague(msg.text) or half(msg.text):  # the words on the ticket (its member reads them); asked once more, plainly
        said = msg.text.strip()
        return Decision(reply=PLAIN, actions=[AddToTicket(ticket.ref, said[:500])],
                        state=ctx.state.asking(SolvedAsked(ticket.ref, said[:100]), ctx.clock))
    solved, rating = parse_answer(msg.text) or (None, None)
    earlier = ctx.state.callback_rating
    state = replace(ctx.state, callback_rating=None)
    if rating is None and earlier and earlier.ref == ticket.ref:
        rating = earlier.rating
    if solved is None:  # a rating without saying whether it is solved: ask once
        return Decision(
            reply=f"谢谢您的评价。工单 {ticket.ref} 的问题解决了没有？没解决请回 0，解决了请回 1–5 打分。",
            state=replace(state, callback_rating=CallbackRating(ticket.ref, rating)),
        )
    note = msg.text.strip()[:200]
    if solved and rating is not None and rating > 2 and _COMPLAINT.search(bare(msg.text)):
        return Decision(actions=[CallbackAnswer(ticket.ref, solved, rating, note, complaint=note)], state=state,
                        reply="您提的意见已经记下，转给社区改进。")
    if solved and rating is None:  # 修好了: close it, and let the next message carry the rating
        asked = state.asking(RatingAsked(ticket.ref), ctx.clock)
        return Decision(actions=[CallbackAnswer(ticket.ref, solved, rating, note)], state=asked,
                        reply="太好了！再回个数字给这次服务打个分吧：5 很满意 … 1 很不满意。")
    return Decision(actions=[CallbackAnswer(ticket.ref, solved, rating, note)], state=state)


class RateAfter:
    """The rating that follows "修好了" (the ticket is closed already): the question owns the digits."""

    name = "rate_after"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        if msg.kind not in ("text", "voice") or not isinstance(ctx.state.pending, RatingAsked):
            return False
        parsed = parse_answer(msg.text)
        return parsed is not None and parsed[1] is not None

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        _, rating = parse_answer(msg.text) or (None, None)
        asked = ctx.state.pending
        ref = asked.ref if isinstance(asked, RatingAsked) else ""
        return Decision(actions=[LateRating(ref, int(rating or 0), msg.text.strip()[:200])], state=ctx.state.settled())


class SolvedAgain:
    """The answer to 修好了吗？回 1 修好了，0 没修好: 1 / 0 (or plain words); a second vague answer is taken
    as solved with no rating (the words kept in the note)."""

    name = "solved_again"

    def match(self, msg: Inbound, ctx: Context) -> bool:
        q = ctx.state.pending
        if msg.kind not in ("text", "voice") or not isinstance(q, SolvedAsked):
            return False
        if not any(t.ref == q.ref for t in ctx.awaiting_callback):
            return False
        b = bare(msg.text)
        return bool(_PLAIN_YES.match(b) or _PLAIN_NO.match(b)) or vague(msg.text) or parse_answer(msg.text) is not None

    def handle(self, msg: Inbound, ctx: Context) -> Decision:
        q = ctx.state.pending
        assert isinstance(q, SolvedAsked)
        b = bare(msg.text)
        note = "，".join(p for p in (q.said, msg.text.strip()) if p)[:200]
        state = ctx.state.settled(callback_rating=None)
        if _PLAIN_NO.match(b):
            return Decision(actions=[CallbackAnswer(q.ref, False, None, note)], state=state)
        if _PLAIN_YES.match(b):
            return Decision(actions=[CallbackAnswer(q.ref, True, None, note)],
                            state=state.asking(RatingAsked(q.ref), ctx.clock),
                            reply="太好了！再回个数字给这次服务打个分吧：5 很满意 … 1 很不满意。")
        parsed = None if vague(msg.text) else parse_answer(msg.text)
        if parsed is not None and parsed[0] is not None:
            solved, rating = parsed
            return Decision(actions=[CallbackAnswer(q.ref, solved, rating, note)], state=state)
        # vague twice: taken as solved, no rating (nothing to count on)
        return Decision(actions=[CallbackAnswer(q.ref, True, None, note)], state=state,
                        reply="好的，就按修好了登记。以后再有问题，随时说。")
