"""What the three rates (三率) count, as data and in Chinese, and the result they fill.

Per courtyard (the ticket's current one) and calendar month in Beijing time, from the event log:
- 响应率 response rate: tickets first dispatched in the month and accepted by their accept deadline
  / those of them that are due — accepted, or their deadline has passed. A ticket still inside
  its deadline is 未到期 (neither on time nor late). Tickets whose current close reason is one of
  `[rates] excluded_reasons` (duplicate, withdrawn, not our responsibility) are left out of the
  response rate, the overdue count and the accept median. Nothing due: None ("—"), never 0 %.
  The deadline is the dispatch event's `data.accept_due_at` if it recorded a valid one, else the
  dispatch time plus the category's accept hours (bot.domain.deadlines.accept_hours).
- 解决率 resolution rate: callbacks answered "solved" / callbacks answered in the month. Answered:
  a close from 待回访 (reason empty or `resolved`) that no `callback_missing` note preceded —
  unsolved if the resident's last `solved` answer before it was false — or a 重办 (待回访 → 已派单,
  unsolved). Closes as 无法解决 (`unable_to_fix`) and 已答复 (`answered`) are shown apart.
- 满意率 satisfaction rate: ratings in `[rates] satisfied_ratings` / ratings given (the last rating
  of a ticket in the month counts).
- times and counts: median dispatch → accept and created → finished, overdue, reopened, misrouted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from bot.config import Config
from bot.domain.clock import BEIJING, from_local
from bot.domain.vocabulary import CLOSE_REASONS

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

ALL = "_all"  # the whole community, next to the courtyard ids
NO_COURTYARD = "none"
OVERDUE_KINDS = ("escalated", "urged")  # 督办: a missed deadline (bot.services.dispatch.deadlines), a resident's
# 催办 (bot.services.actions.executors.urge; the second urge also writes `escalated`): a ticket counts once
# Events that change no status but count: the resident's callback answer (data: solved, rating) and
# the note that the callback went unanswered, written just before the close (bot.services.casework.callback).
RATING_KINDS = ("callback",)  # the resident's callback answer (bot.services.casework.council)
MISSING_KINDS = ("callback_missing",)
LATE_ACCEPT_WINDOW = timedelta(days=7)  # an accept later than this after the month is late anyway
UNABLE, ANSWERED = "unable_to_fix", "answered"
DEFINITIONS_VERSION = 3  # bump when the logic changes: cached months are then recomputed

Month = tuple[int, int]


@dataclass
class Rates:
    dispatched: int = 0  # first dispatched in the month
    due: int = 0  # of those: not excluded, and accepted or past the accept deadline
    not_due: int = 0  # 未到期: not excluded, not accepted, deadline still ahead
    excluded: int = 0  # closed as duplicate / withdrawn / not ours
    accepted_in_time: int = 0
    callbacks: int = 0
    solved: int = 0
    unsolved: int = 0
    callback_missing: int = 0
    closed_unsolved: int = 0  # 无法解决
    answered: int = 0  # 已答复
    ratings: int = 0
    satisfied: int = 0
    overdue: int = 0
    reopened: int = 0
    misrouted: int = 0
    median_accept_hours: float | None = None
    median_finish_hours: float | None = None

    @property
    def response_rate(self) -> float | None:
        return self.accepted_in_time / self.due if self.due else None

    @property
    def resolution_rate(self) -> float | None:
        return self.solved / self.callbacks if self.callbacks else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.ratings if self.ratings else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rates:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})


COUNTS = tuple(f.name for f in fields(Rates) if f.type == "int")


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """[start, end) of a Beijing-time calendar month, in naive UTC."""
    return from_local(datetime(year, month, 1)), from_local(datetime(year + (month == 12), month % 12 + 1, 1))


def month_of(at: datetime) -> Month:
    """The Beijing-time calendar month of a UTC instant."""
    local = at + BEIJING
    return local.year, local.month


def last_months(year: int, month: int, n: int = 12) -> list[Month]:
    """The n months ending with (year, month), oldest first."""
    index = year * 12 + month - 1
    return [(i // 12, i % 12 + 1) for i in range(index - n + 1, index + 1)]


def fingerprint(config: Config) -> str:
    """Everything the numbers depend on besides the log: a change recomputes every cached month."""
    deadlines = [config.urgent_accept_hours, config.utility_accept_hours, sorted(config.utility_subcategories),
                 sorted((k, r.accept_hours) for k, r in config.categories.items())]
    # RatesSettings is a pydantic dataclass, but bot.config.features applies it through the `frozen`
    # alias, which mypy does not see as a dataclass decorator.
    rates = asdict(cast("DataclassInstance", config.rates))
    raw = json.dumps([DEFINITIONS_VERSION, rates, deadlines], sort_keys=True, default=list)
    return hashlib.sha1(raw.encode()).hexdigest()[:10]


def describe(config: Config) -> list[tuple[str, str]]:
    """The definitions in Chinese, as every rates page prints them: [(name, how it is counted)]."""
    s = config.rates
    excluded = "、".join(CLOSE_REASONS.get(r, r) for r in s.excluded_reasons) or "无"
    ratings = "、".join(str(r) for r in s.satisfied_ratings)
    return [
        ("响应率", "本月首次派单的工单中按时接单的件数 ÷ 已到期件数。已到期＝已接单或接单时限已过；"
                 f"时限未到且未接单的记为“未到期”，不计入。不计入：{excluded}。没有到期工单时显示“—”。"),
        ("解决率", "回访答“已解决”的件数 ÷ 回访答复件数（重办记为未解决）。"
                 "“无法解决”“已答复”关闭的工单和回访无应答的单独列出，不计入。"),
        ("满意率", f"评价为 {ratings} 分的件数 ÷ 评价件数。"),
        ("统计口径", "按工单办理记录计算，按北京时间自然月、工单当前所属楼院统计。"),
        ("红榜 / 黑榜", f"本月已到期工单不少于 {s.ranking_min_due} 件的楼院按综合得分排名，"
                     f"各取 {s.ranking_size} 个；综合得分＝响应率×{s.ranking_weights[0]:g}＋解决率×"
                     f"{s.ranking_weights[1]:g}＋满意率×{s.ranking_weights[2]:g}（无数据的率不计，权重按比例折算）。"),
    ]
