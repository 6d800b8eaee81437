"""Template messages as WeChat takes them since 2023-05-04: category-library (类目模板) fields whose key
names their type (`thing1`, `character_string2`, `time3` …), each value within its type's limit, no
line break, no emoji, no `first` / `remark`. Everything that does not fit goes behind the link.

`compose` fits our content to a mapping; `violation` is the rule check the sandbox enforces (47003).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import datetime, timedelta, timezone

from bot.domain.clock import to_local, utcnow

log = logging.getLogger(__name__)

# Types of the category library and their limits (characters).
LIMITS = {
    "thing": 20, "character_string": 32, "phrase": 5, "number": 32, "amount": 12, "phone_number": 17,
    "name": 10, "car_number": 8, "letter": 32, "symbol": 5, "const": 20, "short_thing": 5,
}
DATE_TIME_TYPES = ("time", "date")
DROPPED = ("first", "remark")  # no longer shown since 2023-05-04; sending them is a mistake
LEGACY_LIMIT = 20  # keyword1… of an old template: plain text, 20 characters

# Per push kind: category-template key → content key (texts.py). `[dispatch.template_fields.<kind>]`
# in the config replaces the table of a kind (the keys must match the template chosen in the MP console).
DEFAULT_FIELDS: dict[str, dict[str, str]] = {
    "task": {"thing1": "what", "thing2": "place", "character_string3": "ref", "time4": "due", "phrase5": "status"},
    "outside": {"thing1": "what", "thing2": "place", "character_string3": "ref", "time4": "due", "phrase5": "status"},
    "triage": {"thing1": "what", "thing2": "place", "thing3": "note", "character_string4": "ref",
               "phrase5": "status"},
    "alert": {"thing1": "note", "thing2": "what", "character_string3": "ref", "phrase4": "status"},
    "reminder": {"thing1": "what", "thing2": "place", "character_string3": "ref", "time4": "due", "phrase5": "status"},
    "escalation": {"thing1": "what", "thing2": "place", "character_string3": "ref", "time4": "due",
                   "phrase5": "status"},
    "notice": {"character_string1": "ref", "thing2": "what", "phrase3": "status", "thing4": "note"},
    "reply": {"character_string1": "ref", "thing2": "what", "phrase3": "status", "thing4": "note"},
    "callback": {"character_string1": "ref", "thing2": "what", "phrase3": "status", "thing4": "note"},
    "event_reminder": {"thing1": "what", "thing2": "place", "time3": "due"},
}
FALLBACK_FIELDS = {"thing1": "what", "character_string2": "ref", "phrase3": "status"}

_KEY = re.compile(r"^([a-z_]+?)(\d+)$")
_BOUNDARY = "，。；、：,.;:！？!? "
_BEIJING = timezone(timedelta(hours=8))
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})")
_CN = re.compile(r"(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日\s*(?:(\d{1,2}):(\d{2}))?")
TIME_RE = re.compile(r"^(\d{4}年\d{1,2}月\d{1,2}日 )?\d{1,2}:\d{2}(~(\d{4}年\d{1,2}月\d{1,2}日 )?\d{1,2}:\d{2})?$"
                     r"|^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$")
DATE_RE = re.compile(r"^\d{4}年\d{1,2}月\d{1,2}日(~\d{4}年\d{1,2}月\d{1,2}日)?$|^\d{4}-\d{2}-\d{2}$")


def field_type(key: str) -> str | None:
    """`thing1` → "thing"; None for keys that are no category-template key (keyword1, first…)."""
    m = _KEY.match(key)
    if m and (m.group(1) in LIMITS or m.group(1) in DATE_TIME_TYPES):
        return m.group(1)
    return None


def mapping_for(kind: str, configured: dict[str, dict[str, str]]) -> dict[str, str]:
    return configured.get(kind) or DEFAULT_FIELDS.get(kind) or FALLBACK_FIELDS


def compose(kind: str, content: dict[str, str], configured: dict[str, dict[str, str]],
            now: datetime | None = None) -> dict[str, dict[str, str]]:
    """The template `data` for a push: every mapped value fitted to its field's type. `now`: Beijing
    local time (default: the project clock's)."""
    data = {}
    for key, source in mapping_for(kind, configured).items():
        if key in DROPPED:
            log.warning("template field %s of %s is dropped by WeChat since 2023; remove it from the config", key, kind)
            continue
        data[key] = {"value": fit(key, str(content.get(source, "") or ""), now)}
    return data


def fit(key: str, value: str, now: datetime | None = None) -> str:
    kind = field_type(key)
    value = _clean(value)
    if kind == "time":
        return _time(value, now, with_clock=True)
    if kind == "date":
        return _time(value, now, with_clock=False)
    if kind in ("character_string", "letter"):
        ascii_only = "".join(c for c in value if c.isascii() and c.isprintable())
        return (ascii_only.strip() or "-")[: LIMITS[kind]]
    if kind in ("number", "amount"):
        digits = re.sub(r"[^\d.]", "", value)
        return (digits or "0")[: LIMITS[kind]]
    if kind == "phone_number":
        return (re.sub(r"[^\d+\-]", "", value) or "-")[: LIMITS[kind]]
    if kind == "phrase" or kind == "short_thing":
        han = "".join(c for c in value if _is_han(c))
        return (han or "其他")[: LIMITS[kind]]
    limit = LIMITS.get(kind or "", LEGACY_LIMIT)
    return summarise(value or "无", limit)


def summarise(text: str, limit: int) -> str:
    """At most `limit` characters: whole when it fits, else cut after the last clause boundary that
    keeps at least half, else mid-clause, with "…" saying there is more (behind the link)."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    cut = max(head.rfind(c) for c in _BOUNDARY)
    if cut >= limit // 2:
        head = head[:cut]
    return head.rstrip(_BOUNDARY) + "…"


def violation(data: object) -> str | None:
    """The first field that breaks the 2023 rules (named as WeChat names it), or None."""
    if not isinstance(data, dict):
        return "data"
    for key, item in data.items():
        where = f"data.{key}.value"
        if key in DROPPED:
            return where
        value = item.get("value") if isinstance(item, dict) else None
        if not isinstance(value, str) or not value:
            return where
        if "\n" in value or "\r" in value or any(_is_emoji(c) for c in value):
            return where
        if not _valid(key, value):
            return where
    return None


def _valid(key: str, value: str) -> bool:
    kind = field_type(key)
    if kind == "time":
        return bool(TIME_RE.match(value))
    if kind == "date":
        return bool(DATE_RE.match(value))
    if kind is None:
        return len(value) <= LEGACY_LIMIT
    if len(value) > LIMITS[kind]:
        return False
    if kind in ("character_string", "letter"):
        return value.isascii()
    if kind == "number":
        return bool(re.fullmatch(r"\d+(\.\d+)?", value))
    if kind == "phone_number":
        return bool(re.fullmatch(r"[\d+\-]+", value))
    if kind in ("phrase", "short_thing"):
        return all(_is_han(c) for c in value)
    return True


def _clean(value: str) -> str:
    """One line, no emoji, no colour markup: what WeChat still shows."""
    value = "".join(c for c in value if not _is_emoji(c))
    return " ".join(value.split())


def _time(value: str, now: datetime | None, with_clock: bool) -> str:
    local = _parse_time(value, now)
    if local is None:
        local = now or to_local(utcnow())  # no time in the content: the time of the push
    day = f"{local.year}年{local.month}月{local.day}日"
    return f"{day} {local:%H:%M}" if with_clock else day


def _parse_time(value: str, now: datetime | None) -> datetime | None:
    m = _ISO.search(value)
    if m:
        year, month, day, hour, minute = map(int, m.groups())
        return datetime(year, month, day, hour, minute, tzinfo=_BEIJING)
    m = _CN.search(value)
    if m:
        year = int(m.group(1) or (now or to_local(utcnow())).year)
        try:
            return datetime(year, int(m.group(2)), int(m.group(3)), int(m.group(4) or 0), int(m.group(5) or 0),
                            tzinfo=_BEIJING)
        except ValueError:
            return None
    return None


def _is_han(c: str) -> bool:
    return "\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf"


def _is_emoji(c: str) -> bool:
    return ord(c) >= 0x1F000 or unicodedata.category(c) == "So"
