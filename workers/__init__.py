"""RQ job entry points (`workers.jobs`) and the worker loop (`workers.run`, `steward worker`).

Thin: a job takes ids, gets the worker's Steward from `bot.runtime` and calls `bot.services`.
May import anything in `bot/` below the entry points; nothing in `bot/` imports this package.
"""
