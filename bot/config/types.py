"""Strict value types for the config schema: TOML already has types, so nothing is coerced
("5" is not 5, true is not 1), except that an integer may stand for a float.

Range checks raise `fail(zh, en)`, which the loader turns into one bilingual problem line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, Strict, StrictBool, StrictInt, StrictStr
from pydantic_core import PydanticCustomError

Str = StrictStr
Int = StrictInt
Bool = StrictBool
Float = Annotated[float, Strict()]


def fail(zh: str, en: str) -> PydanticCustomError:
    """A validation error with our own Chinese and English wording (see `errors.translate`)."""
    return PydanticCustomError("steward", "{en}", {"zh": zh, "en": en})


def _check(ok: Callable[[Any], bool], zh: str, en: str) -> AfterValidator:
    def validate(value: Any) -> Any:
        if not ok(value):
            raise fail(zh, en)
        return value

    return AfterValidator(validate)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def between(lo: float, hi: float) -> AfterValidator:
    return _check(lambda v: lo <= v <= hi, f"应在 {_num(lo)} 到 {_num(hi)} 之间", f"must be between {lo} and {hi}")


def above(lo: float) -> AfterValidator:
    return _check(lambda v: v > lo, f"应大于 {_num(lo)}", f"must be greater than {lo}")


def at_least(lo: float) -> AfterValidator:
    return _check(lambda v: v >= lo, f"应不小于 {_num(lo)}", f"must be at least {lo}")


PositiveInt = Annotated[Int, above(0)]
PositiveFloat = Annotated[Float, above(0)]
NonNegativeInt = Annotated[Int, at_least(0)]
NonNegativeFloat = Annotated[Float, at_least(0)]
Hour = Annotated[Int, _check(lambda v: 0 <= v <= 23, "应为 0–23 之间的整点", "must be a whole hour 0-23")]
Fraction = Annotated[Float, between(0, 1)]
NonEmptyStr = Annotated[Str, _check(lambda v: bool(v.strip()), "不能为空", "must not be empty")]


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


IsoDate = Annotated[Str, _check(_is_date, "应为 YYYY-MM-DD 格式的日期", "must be a date YYYY-MM-DD")]


def _is_url(schemes: tuple[str, ...], empty_ok: bool) -> Callable[[str], bool]:
    return lambda v: (empty_ok and v == "") or any(v.startswith(s) and len(v) > len(s) for s in schemes)


HttpUrl = Annotated[Str, _check(_is_url(("http://", "https://"), True), "应以 http:// 或 https:// 开头",
                                "must start with http:// or https://")]
RedisUrl = Annotated[Str, _check(_is_url(("redis://", "rediss://", "unix://"), True),
                                 "应以 redis:// 、rediss:// 或 unix:// 开头（留空表示内置 Redis）",
                                 "must start with redis://, rediss:// or unix:// (empty: embedded Redis)")]
DatabaseUrl = Annotated[Str, _check(lambda v: v == "" or "://" in v, "应为数据库 URL，如 sqlite:///var/steward.db",
                                    "must be a database URL such as sqlite:///var/steward.db")]
