"""The unit of work and what rides on its commit: `Steward` (one process's config, Redis and
database; `session()` is the transaction), the outbox of after-commit work, and how a job reaches RQ.

The bottom of the service layer: imports nothing else of `bot.services`."""
