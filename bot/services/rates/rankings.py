"""红榜 / 黑榜: the month's courtyards ranked by a composite of the three rates, as 12345 does,
only those with at least `[rates] ranking_min_due` tickets due (a courtyard with two tickets is
not ranked on them)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Config
from bot.services.rates.definitions import Rates


@dataclass(frozen=True)
class Ranked:
    courtyard: str  # id
    name: str
    score: float  # 0–1
    rates: Rates


def score(config: Config, r: Rates) -> float | None:
    """The weighted mean of the rates that have something to measure (re-weighted over those)."""
    pairs = [(w, v) for w, v in zip(config.rates.ranking_weights,
                                    (r.response_rate, r.resolution_rate, r.satisfaction_rate), strict=True)
             if v is not None and w > 0]
    total = sum(w for w, _ in pairs)
    return sum(w * v for w, v in pairs) / total if total else None


def rankings(config: Config, month: dict[str, Rates]) -> tuple[list[Ranked], list[Ranked]]:
    """(red list best first, black list worst first); a courtyard is never on both."""
    s = config.rates
    ranked = []
    for c in config.courtyards:
        r = month.get(c.id)
        value = score(config, r) if r is not None and r.due >= s.ranking_min_due else None
        if value is not None:
            ranked.append(Ranked(c.id, c.name, value, r))  # type: ignore[arg-type]
    ranked.sort(key=lambda x: -x.score)  # stable: ties keep the config's order
    red = ranked[:s.ranking_size]
    rest = ranked[len(red):]
    black = sorted(rest, key=lambda x: x.score)[:s.ranking_size]
    return red, black
