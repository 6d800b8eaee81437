"""The declarative base and the CHECK-constraint helper every model module shares."""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


def one_of(name: str, column: str, values: type[enum.StrEnum], nullable: bool = False) -> CheckConstraint:
    """The column holds one of the enum's values (migration 0002 and later create these)."""
    allowed = ", ".join(f"'{v.value}'" for v in values)
    condition = f"{column} IN ({allowed})"
    return CheckConstraint(f"{column} IS NULL OR {condition}" if nullable else condition, name=name)
