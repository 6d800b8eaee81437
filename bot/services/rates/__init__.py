"""The three rates (三率), their definitions and the 红榜 / 黑榜 — one implementation for the
workbench's rates page, the JSON API, the public board and the sweep that keeps the cache warm.

- `definitions`: what is counted (the rules, the `Rates` result, the Chinese definition text);
- `compute`: the rules as one grouped SQL query (dialect spellings in `dialects`);
- `cache`: Redis and the finished months kept in `monthly_rates`; the entry point for callers;
- `rankings`: red and black lists from a month's rates.

May import bot.config, bot.storage.models, bot.domain.clock and the deadline helper; nothing of the web layer.
"""

from bot.services.rates.cache import month_rates, months_rates, refresh_cache
from bot.services.rates.definitions import ALL, Month, Rates, describe, last_months, month_bounds, month_of
from bot.services.rates.rankings import Ranked, rankings, score

__all__ = ["ALL", "Month", "Ranked", "Rates", "describe", "last_months", "month_bounds", "month_of", "month_rates",
           "months_rates", "rankings", "refresh_cache", "score"]
