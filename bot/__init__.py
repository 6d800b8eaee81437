"""楼院管家 Courtyard Steward: the WeChat Official Account backend.

A message flows one way through these packages:
    entrypoints/ (the WeChat webhook, the member's task page), web/ (workbench, JSON API, public
    board), cli/ (the `steward` command)  →  services/ (one message's unit of work, a ticket's
    lifecycle, dispatch, pushes, the outbox, sweeps)  →  storage/ and wechat/ (adapters: database,
    Redis, the WeChat API)  →  domain/ (statuses, deadlines and the working-day calendar, routing
    rules, the texts people receive). Understanding lives in the top-level `handlers` package;
    `config` is the typed configuration everybody reads. The RQ job entry points are the top-level
    `workers` package, which nothing in `bot/` imports. The rules are import-linter contracts in
    pyproject.toml (`make lint`).
"""
