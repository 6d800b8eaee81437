"""Every query parameter, form field and path segment of the workbench, the council pages and the
JSON API, checked before a view sees it: no NUL or other control characters, bounded lengths
(PostgreSQL refuses NUL in text and over-long values for its columns, which would be a 500), and
helpers for integer and date ranges. A bad value is a 400 with a Chinese message.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, datetime
from typing import overload

from flask import Flask, request
from werkzeug.exceptions import BadRequest

# Postgres `integer` columns (ids, capacity) and the dates the community can mean.
INT_MAX = 2**31 - 1
YEAR_MIN, YEAR_MAX = 2000, 2100
MAX_ARG = 200  # a query parameter
MAX_FIELD = 4000  # a form field (notes, replies, descriptions)
# Tighter limits, from the columns the values end up in or are compared with.
FIELD_LIMITS = {
    "username": 64, "password": 256, "q": 100, "status": 20, "courtyard": 16, "category": 16,
    "subcategory": 32, "assignee": 32, "openid": 64, "original": 16, "reason": 20, "referral": 128,
    "title": 128, "place": 128, "public_summary": 200, "ref": 16, "queue": 64, "job_id": 64, "tab": 16,
    "month": 7, "since": 40, "cursor": 20, "limit": 6, "after": 60, "capacity": 6, "starts_at": 30,
    "fmt": 4, "action": 32, "verb": 16, "published": 1,
}
LABELS = {"q": "查找内容", "note": "备注", "text": "回复内容", "title": "活动名称", "place": "地点",
          "referral": "转办单位", "public_summary": "公示摘要", "description": "活动介绍", "username": "用户名",
          "password": "密码", "month": "月份"}
# Tab, newline and carriage return are text; every other control character (NUL first) is not.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Left to their own checks: WeChat's webhook, the dev-only fake WeChat API, static files.
SKIP_BLUEPRINTS = {"webhook", "sandbox"}


class BadInput(BadRequest):
    """A 400 whose description is the Chinese message the error page shows."""

    def __init__(self, message: str) -> None:
        super().__init__(description=message)


def _label(name: str) -> str:
    return LABELS.get(name, name)


def check_name(name: str) -> None:
    if _CONTROL.search(name) or len(name) > 64:
        raise BadInput("请求里有不认识的参数名。")


def check_value(name: str, value: str, limit: int) -> None:
    if _CONTROL.search(value):
        raise BadInput(f"「{_label(name)}」里有不允许的控制字符，请删掉后再提交。")
    limit = min(limit, FIELD_LIMITS.get(name, limit))
    if len(value) > limit:
        raise BadInput(f"「{_label(name)}」太长了（最多 {limit} 个字）。")


MAX_JSON = 16 * 1024  # bytes of a JSON body (a note is at most 2,000 characters)
MAX_JSON_DEPTH = 8  # nesting of arrays and objects (the API's bodies are one flat object)


def json_depth(data: bytes) -> int:
    """How deep arrays and objects nest in `data` (brackets inside strings do not count); linear,
    no recursion — the point is to refuse `[` × 2,000 before a recursive parser sees it."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def check_json() -> None:
    """A JSON body is bounded in size and depth before anything parses it."""
    if not request.is_json:
        return
    length = request.content_length
    if length is None or length > MAX_JSON:
        raise BadInput(f"请求体太大（JSON 最多 {MAX_JSON // 1024} KB，并需注明长度）。")
    if json_depth(request.get_data(cache=True)) > MAX_JSON_DEPTH:
        raise BadInput(f"JSON 嵌套太深（最多 {MAX_JSON_DEPTH} 层）。")


def check_request() -> None:
    if request.blueprint in SKIP_BLUEPRINTS or request.endpoint in (None, "static"):
        return
    check_json()
    for name, value in request.args.items(multi=True):
        check_name(name)
        check_value(name, value, MAX_ARG)
    if request.method == "POST" and request.blueprint != "api":
        for name, value in request.form.items(multi=True):
            check_name(name)
            check_value(name, value, MAX_FIELD)
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):
            check_value(name, value, MAX_ARG)
        elif isinstance(value, int) and not 0 <= value <= INT_MAX:
            raise BadInput("编号超出范围。")


@overload
def int_value(raw: str | None, label: str, lo: int = ..., hi: int = ..., *, default: int) -> int: ...


@overload
def int_value(raw: str | None, label: str, lo: int = ..., hi: int = ..., default: int | None = ...) -> int | None: ...


def int_value(raw: str | None, label: str, lo: int = 0, hi: int = INT_MAX, default: int | None = None) -> int | None:
    """An integer in [lo, hi] from a parameter; empty → `default`; anything else → 400."""
    if raw is None or raw.strip() == "":
        return default
    raw = raw.strip()
    if not re.fullmatch(r"-?\d{1,12}", raw):
        raise BadInput(f"「{label}」应为整数。")
    value = int(raw)
    if not lo <= value <= hi:
        raise BadInput(f"「{label}」应在 {lo} 到 {hi} 之间。")
    return value


def datetime_value(raw: str | None, label: str) -> datetime | None:
    """An ISO 8601 date or datetime between the years 2000 and 2100, as naive UTC; empty → None."""
    if not raw:
        return None
    try:
        dt = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        if dt.tzinfo:
            dt = dt.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise BadInput(f"「{label}」应为日期或时间，例如 2026-03-01 或 2026-03-01T08:00:00+08:00。") from None
    if not YEAR_MIN <= dt.year <= YEAR_MAX:
        raise BadInput(f"「{label}」应在 {YEAR_MIN} 年到 {YEAR_MAX} 年之间。")
    return dt


def choice_value(raw: str | None, label: str, allowed: Collection[str]) -> str | None:
    """One of `allowed` (a filter's known values); empty → None; anything else → 400."""
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip()
    if value not in allowed:
        raise BadInput(f"「{label}」没有「{value[:20]}」这一项，请从列表里选择。")
    return value


def bool_value(raw: str | None, label: str) -> bool | None:
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise BadInput(f"「{label}」应为 true 或 false。")
    return value in ("true", "1")


def month_value(raw: str | None, label: str = "月份") -> tuple[int, int] | None:
    """'YYYY-MM' → (year, month); empty → None; anything else → 400."""
    if raw is None or raw.strip() == "":
        return None
    m = re.fullmatch(r"(\d{4})-(\d{2})", raw.strip())
    if not m or not YEAR_MIN <= int(m[1]) <= YEAR_MAX or not 1 <= int(m[2]) <= 12:
        raise BadInput(f"「{label}」应写成 年-月，例如 2026-11（{YEAR_MIN} 年到 {YEAR_MAX} 年）。")
    return int(m[1]), int(m[2])


def init_app(app: Flask) -> None:
    app.before_request(check_request)
