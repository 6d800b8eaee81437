"""The service layer: the `Steward` unit of work and what happens to a message and a ticket —
intake (one message, one transaction), ticket lifecycle, council commands and callbacks, dispatch,
pushes, media downloads, deadlines, the outbox and the periodic sweep, staff accounts.

May import: `bot.storage`, `bot.wechat`, `bot.domain`, `handlers`, `bot.config`. Never `workers`
(jobs are enqueued by their dotted names, `bot.services.jobs`), never an entry point.
"""
