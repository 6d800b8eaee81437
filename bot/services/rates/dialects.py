"""The few pieces of the rates SQL (`bot.services.rates.compute`) that PostgreSQL and SQLite spell
differently: time arithmetic and JSON look-ups. Both must classify every event the same way: the
tests compare both with the reference in tests/rates_oracle.py on random event logs."""

from __future__ import annotations

# A dispatch event's own `data.accept_due_at`: naive ISO time, 'T' or ' ', optional Z (as written
# by datetime.isoformat()); anything else falls back to the category's accept hours.
ISO_DUE_RE = (r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
              r"([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?)?$")


def sql_list(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"  # our own constants only


class Pg:
    """PostgreSQL spellings of the few non-portable pieces."""

    native_time = True  # instants stay timestamps; only durations become microseconds
    data = "CAST(e.data AS JSONB)"  # parsed once per event, not once per key looked up
    fence = "OFFSET 0"  # keeps that cast in its subquery (not copied into every expression)

    @staticmethod
    def t(col: str) -> str:
        return col

    @staticmethod
    def diff(a: str, b: str) -> str:
        return f"CAST(EXTRACT(EPOCH FROM ({a} - {b})) * 1000000 AS BIGINT)"

    @staticmethod
    def add(t: str, us: str) -> str:
        return f"({t} + ({us}) * INTERVAL '1 microsecond')"

    @staticmethod
    def jtext(key: str) -> str:
        return f"(e.data ->> '{key}')"

    @staticmethod
    def jtype(key: str, *types: str) -> str:
        return f"jsonb_typeof(e.data -> '{key}') IN {sql_list(types)}"

    def solved(self) -> str:
        return f"CASE WHEN {self.jtype('solved', 'boolean')} THEN CASE WHEN {self.jtext('solved')} = 'true' THEN 1 ELSE 0 END END"

    def rating(self) -> str:
        return (f"CASE WHEN {self.jtype('rating', 'number')} AND {self.jtext('rating')} IN ('1', '2', '3', '4', '5') "
                f"THEN CAST({self.jtext('rating')} AS INTEGER) END")

    def missing_flag(self) -> str:
        return f"({self.jtype('callback_missing', 'boolean')} AND {self.jtext('callback_missing')} = 'true')"

    def due(self) -> str:
        v = f"regexp_replace({self.jtext('accept_due_at')}, 'Z$', '')"
        return (f"CASE WHEN {self.jtype('accept_due_at', 'string')} AND {v} ~ '{ISO_DUE_RE}' "
                f"THEN CAST({v} AS TIMESTAMP) END")


class Lite(Pg):
    """SQLite: datetimes are 'YYYY-MM-DD HH:MM:SS.ffffff' strings (SQLAlchemy's storage format),
    turned into integer microseconds since the epoch for arithmetic."""

    native_time = False
    data = "e.data"
    fence = ""

    @staticmethod
    def diff(a: str, b: str) -> str:
        return f"({a} - {b})"

    @staticmethod
    def add(t: str, us: str) -> str:
        return f"({t} + {us})"

    @staticmethod
    def t(col: str) -> str:
        return (f"(CAST(strftime('%s', substr({col}, 1, 19)) AS INTEGER) * 1000000"
                f" + CASE WHEN substr({col}, 20, 1) = '.' THEN CAST(substr(substr({col}, 21) || '000000', 1, 6)"
                f" AS INTEGER) ELSE 0 END)")

    @staticmethod
    def jtext(key: str) -> str:
        return f"json_extract(e.data, '$.{key}')"

    @staticmethod
    def jtype(key: str, *types: str) -> str:
        names = {"boolean": ("true", "false"), "number": ("integer", "real"), "string": ("text",)}
        return f"json_type(e.data, '$.{key}') IN {sql_list(tuple(n for t in types for n in names[t]))}"

    def solved(self) -> str:
        return "CASE json_type(e.data, '$.solved') WHEN 'true' THEN 1 WHEN 'false' THEN 0 END"

    def missing_flag(self) -> str:
        return "(json_type(e.data, '$.callback_missing') = 'true')"

    def rating(self) -> str:
        return (f"CASE WHEN json_type(e.data, '$.rating') = 'integer' AND {self.jtext('rating')} BETWEEN 1 AND 5 "
                f"THEN {self.jtext('rating')} END")

    def due(self) -> str:
        v = f"(CASE WHEN {self.jtext('accept_due_at')} LIKE '%Z' THEN substr({self.jtext('accept_due_at')}, 1, " \
            f"length({self.jtext('accept_due_at')}) - 1) ELSE {self.jtext('accept_due_at')} END)"
        # The same shapes as ISO_DUE_RE (GLOB has no repetition counts, so list them).
        d = "[0-9][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]"
        t = "[T ][0-2][0-9]:[0-5][0-9]"
        shapes = [d, d + t, d + t + ":[0-5][0-9]"] + [d + t + ":[0-5][0-9]." + "[0-9]" * n for n in range(1, 7)]
        ok = " OR ".join(f"{v} GLOB '{s}'" for s in shapes)
        return f"CASE WHEN {self.jtype('accept_due_at', 'string')} AND ({ok}) THEN {self.t(v)} END"
