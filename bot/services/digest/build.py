"""育英社情, the monthly digest: per community and courtyard, what residents raised (topics with
their voices, trend, solved and open, anonymised examples), the three rates with the month's red
and black list, 每月一题 (proposed, confirmed by staff, tracked), 好人好事 and the events held.

`build` only reads; `confirm_problem` is the one write (staff confirm the month's problem).
The rates are read through `month_rates` alone, so they can move without touching the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain import topics as topic_mod
from bot.domain.clock import utcnow
from bot.domain.public_scrub import scrub
from bot.services import rates
from bot.services.digest import sources
from bot.services.rates import ALL, Rates, month_bounds
from bot.storage.models import MonthlyProblem, MonthlyProblemTicket, Ticket
from bot.wechat.client import get_client
from bot.wechat.errors import WeChatError

Month = tuple[int, int]


def month_rates(session: Session, config: Config, year: int, month: int, redis: Any = None) -> dict[str, Rates]:
    """The month's rates per courtyard id and ALL: the digest's one call into the rates."""
    return rates.month_rates(session, config, year, month, redis=redis)


def rankings(config: Config, month: dict[str, Rates]) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    """红榜 / 黑榜, as the rates pages rank them ([rates] ranking_*): (courtyard id, score) pairs."""
    red, black = rates.rankings(config, month)
    return [(x.courtyard, x.score) for x in red], [(x.courtyard, x.score) for x in black]


def previous(ym: Month) -> Month:
    return (ym[0] - 1, 12) if ym[1] == 1 else (ym[0], ym[1] - 1)


def label(ym: Month) -> str:
    return f"{ym[0]:04d}-{ym[1]:02d}"


@dataclass
class TopicView:
    key: str
    title: str
    category: str
    subcategory: str
    courtyard_id: str | None
    voices: int
    residents: int
    solved: int
    open: int
    unsolved: int
    last_month: int
    examples: list[str]
    ticket_ids: list[int]


@dataclass
class Section:
    courtyard_id: str | None
    name: str
    total: int
    last_total: int
    solved: int
    open: int
    by_category: list[tuple[str, int, int]]
    topics: list[TopicView]
    rates: Rates
    thanks: list[sources.Thanks]
    events: list[sources.EventHeld]


@dataclass
class ProblemView:
    id: int
    month: str
    title: str
    courtyard_id: str | None
    note: str
    confirmed_by: str
    tickets: int
    solved: int
    open: int
    new_this_month: int


@dataclass
class Digest:
    year: int
    month: int
    title: str
    community: str
    sections: list[Section]
    proposal: TopicView | None
    confirmed: ProblemView | None
    earlier: list[ProblemView]
    red: list[tuple[str, float]]
    black: list[tuple[str, float]]
    generated_at: datetime = field(default_factory=utcnow)

    @property
    def label(self) -> str:
        return label((self.year, self.month))


def _view(config: Config, t: topic_mod.Topic, names: set[str]) -> TopicView:
    category, sub, yard = t.group
    central = t.central()
    rule = config.categories.get(category)
    examples = []
    # Tried on a few times as many reports as examples are shown: scrubbing every report of a topic whose
    # reports read alike was 7,000 scrubs, 0.4 s of a community's digest (bench/street.py, 1M tickets).
    tried = [central, *[i for i in t.items if i is not central]][: config.digest.examples * 4]
    for item in tried:
        words = scrub(item.text, limit=48, names=names)
        if words and words not in examples:
            examples.append(words)
        if len(examples) >= config.digest.examples:
            break
    return TopicView(t.key, scrub(central.text, limit=24, names=names), rule.name if rule else category, sub,
                     yard or None, t.voices, t.residents, t.solved, t.open, t.unsolved, t.last_month, examples,
                     [i.ticket_id for i in t.items])


def _by_category(config: Config, now: list[topic_mod.Item], before: list[topic_mod.Item]) -> list[tuple[str, int, int]]:
    keys = list(dict.fromkeys([*(i.category for i in now), *(i.category for i in before)]))
    name = {k: (config.categories[k].name if k in config.categories else k) for k in keys}
    return [(name[k], sum(i.category == k for i in now), sum(i.category == k for i in before)) for k in keys]


def _section(config: Config, yard: str | None, name: str, now: list[topic_mod.Item], before: list[topic_mod.Item],
             topic_list: list[topic_mod.Topic], names: set[str], rates: dict[str, Rates],
             thanks: list[sources.Thanks], events: list[sources.EventHeld]) -> Section:
    mine = [t for t in topic_list if yard is None or t.group[2] == yard][: config.digest.topics]
    return Section(
        yard, name, len(now), len(before), sum(i.solved for i in now), sum(i.open for i in now),
        _by_category(config, now, before), [_view(config, t, names) for t in mine], rates.get(yard or ALL, Rates()),
        [x for x in thanks if yard is None or x.courtyard_id == yard],
        [e for e in events if yard is None or e.courtyard_id == yard],
    )


def _progress(session: Session, problem: MonthlyProblem, now_items: list[topic_mod.Item], threshold: float) -> ProblemView:
    rows = session.execute(select(Ticket.status, Ticket.close_reason, Ticket.text)
                           .join(MonthlyProblemTicket, MonthlyProblemTicket.ticket_id == Ticket.id)
                           .where(MonthlyProblemTicket.problem_id == problem.id)).all()
    solved = sum(1 for r in rows if r.status == "closed" and r.close_reason in topic_mod.SOLVED)
    probe = topic_mod.Topic([topic_mod.Item(0, "", r.text, problem.category, problem.subcategory, problem.courtyard_id,
                                            r.status, r.close_reason, utcnow()) for r in rows])
    new = topic_mod.count_similar(probe, now_items, threshold) if rows else 0
    return ProblemView(problem.id, problem.month, problem.title, problem.courtyard_id, problem.note,
                       problem.confirmed_by, len(rows), solved, sum(1 for r in rows if r.status != "closed"), new)


def topics_of(session: Session, config: Config, ym: Month) -> tuple[list[topic_mod.Topic], list[topic_mod.Item],
                                                                  list[topic_mod.Item]]:
    start, end = month_bounds(*ym)
    prev_start, _ = month_bounds(*previous(ym))
    now_items = sources.items(session, start, end)
    before = sources.items(session, prev_start, start)
    found = topic_mod.cluster(now_items, config.digest.similarity)
    topic_mod.set_last_month(found, before, config.digest.similarity)
    return found, now_items, before


def build(session: Session, config: Config, year: int, month: int, redis: Any = None) -> Digest:
    ym = (year, month)
    start, end = month_bounds(*ym)
    found, now_items, before = topics_of(session, config, ym)
    # Struck out of every printed sentence: residents' names, and members' who did not consent.
    names = sources.resident_names(session) | {m.name for m in config.members if not m.digest_consent}
    rates = month_rates(session, config, year, month, redis)
    thanks = sources.thanks(session, config, start, end, names)
    events = sources.events_held(session, start, end, utcnow())
    sections = [_section(config, None, config.community, now_items, before, found, names, rates, thanks, events)]
    for c in config.courtyards:
        sections.append(_section(config, c.id, c.name, [i for i in now_items if i.courtyard_id == c.id],
                                 [i for i in before if i.courtyard_id == c.id], found, names, rates, thanks, events))
    confirmed_row = session.scalars(select(MonthlyProblem).where(MonthlyProblem.month == label(ym))).first()
    earlier_rows = session.scalars(select(MonthlyProblem).where(MonthlyProblem.month < label(ym))
                                   .order_by(MonthlyProblem.month.desc()).limit(6)).all()
    threshold = config.digest.similarity
    proposal = topic_mod.proposal(found)
    red, black = rankings(config, rates)
    return Digest(
        year, month, config.digest.title, config.community, sections,
        _view(config, proposal, names) if proposal and confirmed_row is None else None,
        _progress(session, confirmed_row, now_items, threshold) if confirmed_row else None,
        [_progress(session, p, now_items, threshold) for p in earlier_rows], red, black,
    )


class ProblemError(ValueError):
    """Why a 每月一题 cannot be confirmed (for the page)."""


def confirm_problem(session: Session, config: Config, year: int, month: int, key: str, title: str, note: str,
                    by: str) -> MonthlyProblem:
    """Staff confirm a topic of the month as its 每月一题: a tracked project linking its tickets."""
    if session.scalars(select(MonthlyProblem).where(MonthlyProblem.month == label((year, month)))).first():
        raise ProblemError(f"{year}年{month}月的每月一题已经确定。")
    found, _, _ = topics_of(session, config, (year, month))
    names = sources.resident_names(session)
    topic = next((t for t in found if t.key == key), None)
    if topic is None:
        raise ProblemError("找不到这个话题：本月的工单可能已有变化，请刷新后再确认。")
    category, sub, yard = topic.group
    problem = MonthlyProblem(month=label((year, month)), courtyard_id=yard or None, category=category,
                             subcategory=sub or None, title=scrub(title.strip() or topic.central().text, 64, names),
                             note=note.strip()[:2000], confirmed_by=by)
    problem.tickets = [MonthlyProblemTicket(ticket_id=i.ticket_id) for i in topic.items]
    session.add(problem)
    session.flush()
    return problem



def draft_article(config: Config, digest: Digest, content: str) -> dict[str, Any]:
    """The digest as a WeChat draft article (`draft/add`), for staff to review and publish."""
    top = digest.sections[0]
    summary = f"{digest.year}年{digest.month}月，居民反映 {top.total} 件事，已解决 {top.solved} 件。"
    return {"title": f"{digest.title}·{digest.year}年{digest.month}月"[:64], "author": config.community[:16],
            "digest": summary[:120], "content": content, "thumb_media_id": config.digest.thumb_media_id,
            "need_open_comment": 0, "only_fans_can_comment": 0}


class DraftError(RuntimeError):
    """The draft could not be saved (the message is for staff)."""


def save_draft(config: Config, redis: Any, article: dict[str, Any]) -> str:
    if not config.digest.thumb_media_id:
        raise DraftError("请先在配置 [digest] thumb_media_id 填写封面图片素材的 media_id。")
    try:
        return get_client(config, redis).add_draft([article])
    except WeChatError as exc:
        raise DraftError(f"公众号草稿保存失败（{exc}）。") from exc
