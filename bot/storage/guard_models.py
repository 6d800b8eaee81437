"""Rows that guard the deployment: its own id in every idempotency key sent outside, and webhook query
strings used while Redis was away (replay protection that does not depend on Redis alone)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.base import Base


class Deployment(Base):
    """One row: this deployment's id, made by migration 0014, in every idempotency key sent outside
    (WeChat's client_msg_id): two deployments sharing one official account never drop each other's pushes."""

    __tablename__ = "deployment"
    id: Mapped[int] = mapped_column(primary_key=True)
    deployment_id: Mapped[str] = mapped_column(String(16))


class UsedQuery(Base):
    """A webhook query string (timestamp, nonce, signatures) used while Redis was away, with its
    body's digest: the database's unique key refuses the same query with another body (a replay)."""

    __tablename__ = "used_queries"
    query_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    body_digest: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
