"""One source of "now" (naive UTC), so tests can drive time instead of sleeping."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import overload

BEIJING = timedelta(hours=8)

# Tests (and `steward` in a sandboxed demo) shift the clock with STEWARD_CLOCK_OFFSET seconds, or
# in-process with `shift()`; both worker and web processes read it, so driven time is shared.
_offset = timedelta(0)


def utcnow() -> datetime:
    env = os.environ.get("STEWARD_CLOCK_OFFSET")
    extra = timedelta(seconds=float(env)) if env else timedelta(0)
    return datetime.now(UTC).replace(tzinfo=None) + _offset + extra


def shift(seconds: float) -> None:
    """Move this process's clock forward (tests)."""
    global _offset
    _offset += timedelta(seconds=seconds)


def reset() -> None:
    global _offset
    _offset = timedelta(0)


@overload
def to_local(dt: datetime) -> datetime: ...
@overload
def to_local(dt: None) -> None: ...
def to_local(dt: datetime | None) -> datetime | None:
    """UTC → Beijing time for display and for working-hour arithmetic."""
    return dt + BEIJING if dt else None


def from_local(dt: datetime) -> datetime:
    return dt - BEIJING
