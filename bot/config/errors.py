"""Config problems in Chinese and English, with the key's dotted path and a "did you mean".

pydantic's errors are translated here, so every message the operator reads is ours: the file, the
key (`deadlines.urgent_accept_hour`), what was expected and what was found.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

_KINDS = {  # pydantic error type → (Chinese, English) name of what was expected
    "string_type": ("字符串", "a string"), "int_type": ("整数", "an integer"),
    "int_from_float": ("整数", "an integer"), "float_type": ("数字", "a number"),
    "bool_type": ("true/false", "true or false"), "list_type": ("列表", "a list"),
    "tuple_type": ("列表", "a list"), "dict_type": ("表", "a table"), "model_type": ("表", "a table"),
    "dataclass_type": ("表", "a table"), "dataclass_exact_type": ("表", "a table"),
    "model_attributes_type": ("表", "a table"), "none_required": ("空", "empty"),
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config; `loc` is the dotted key ("" for the file as a whole)."""

    loc: str
    zh: str
    en: str

    def zh_line(self) -> str:
        return f"{self.loc}：{self.zh}" if self.loc else self.zh

    def en_line(self) -> str:
        return f"{self.loc}: {self.en}" if self.loc else self.en


class ConfigError(ValueError):
    """A configuration file that cannot be used: str() is Chinese, `report()` Chinese and English."""

    def __init__(self, message: str | None = None, *, source: str = "", problems: Sequence[Problem] = ()) -> None:
        self.source = source
        self.problems = tuple(problems) or (Problem("", message or "配置有误", message or "invalid config"),)
        super().__init__(message or self._zh())

    def _prefix(self) -> str:
        return f"{self.source}: " if self.source else ""

    def _zh(self) -> str:
        return "\n".join(self._prefix() + p.zh_line() for p in self.problems)

    def report(self) -> str:
        """Every problem, Chinese first and the English below it (what `steward config check` prints)."""
        head = f"{self.source or '配置'}：{len(self.problems)} 处问题 / {len(self.problems)} problem(s)"
        lines = [head]
        for p in self.problems:
            lines += [f"  - {p.zh_line()}", f"    {p.en_line()}"]
        return "\n".join(lines)


def dotted(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _unwrap(tp: Any) -> Any:
    """The class a value at this annotation is validated as (Optional / Annotated / containers peeled)."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            tp = next(a for a in typing.get_args(tp) if a is not type(None))
        else:
            return tp


def _fields(tp: Any) -> dict[str, Any]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return {name: f.annotation for name, f in tp.model_fields.items()}
    if dataclasses.is_dataclass(tp):
        return {f.name: f.type for f in dataclasses.fields(tp)} | {
            name: f.annotation for name, f in getattr(tp, "__pydantic_fields__", {}).items()}
    return {}


def valid_keys(root: type, loc: Sequence[Any]) -> list[str]:
    """The keys the schema allows in the table at `loc` (for "did you mean")."""
    tp: Any = root
    for part in loc:
        tp = _unwrap(tp)
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (tuple, list) and args:
            tp = args[0]
        elif origin is dict and args:
            tp = args[1]
        else:
            tp = _fields(tp).get(part)
            if tp is None:
                return []
    tp = _unwrap(tp)
    return list(_fields(tp))


def _unknown(root: type, loc: tuple[Any, ...], value: Any) -> Problem:
    key, parent = str(loc[-1]), loc[:-1]
    valid = valid_keys(root, parent)
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    if not parent:  # a whole section
        zh, en = f"未知配置段 [{key}]", f"unknown section [{key}]"
        if close:
            zh, en = zh + f"，是不是 [{close[0]}]？", en + f"; did you mean [{close[0]}]?"
        return Problem(dotted(loc), zh, en)
    zh, en = "未知配置项", "unknown key"
    if close:
        zh, en = zh + f"，是不是 {close[0]}？", en + f"; did you mean {close[0]}?"
    elif valid:
        zh, en = zh + f"（可用的有：{', '.join(valid)}）", en + f" (valid keys: {', '.join(valid)})"
    return Problem(dotted(loc), zh, en)


def translate(exc: ValidationError, root: type) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc, kind, ctx, got = tuple(err["loc"]), err["type"], err.get("ctx") or {}, err.get("input")
        is_key = bool(loc) and loc[-1] == "[key]"  # a table's key, not its value, is wrong
        loc = loc[:-1] if is_key else loc
        where = dotted(loc)
        if kind in ("extra_forbidden", "unexpected_keyword_argument"):
            problems.append(_unknown(root, loc, got))
        elif kind in ("missing", "missing_argument"):
            problems.append(Problem(where, "缺少这一项", "is missing"))
        elif kind == "steward":
            problems.append(Problem(where, f"{ctx['zh']}，实际是 {got!r}", f"{ctx['en']}, got {got!r}"))
        elif kind == "literal_error":
            expected = str(ctx.get("expected", ""))
            what = ("键", "the key ") if is_key else ("", "")
            problems.append(Problem(where, f"{what[0]}应为 {expected.replace(' or ', ', ')} 之一，实际是 {got!r}",
                                    f"{what[1]}must be one of {expected}, got {got!r}"))
        elif kind in _KINDS:
            zh, en = _KINDS[kind]
            problems.append(Problem(where, f"应为 {zh}，实际是 {got!r}", f"must be {en}, got {got!r}"))
        else:  # a pydantic check we did not word ourselves
            problems.append(Problem(where, f"值无效：{err['msg']}（实际是 {got!r}）", f"{err['msg']}, got {got!r}"))
    return problems
