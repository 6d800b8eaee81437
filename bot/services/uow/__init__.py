"""The unit of work and what rides on its commit: `Steward` (one process's config, Redis and
database; `session()` is the transaction), the outbox of after-commit work, how a job reaches RQ, and
the audit log, written in the transaction of the change it records.

The bottom of the service layer: imports nothing else of `bot.services`."""
