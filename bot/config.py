"""Typed configuration loaded once from TOML.

Every key is read through `_Reader`, so a missing or mistyped key fails with the file, the
key and what was expected instead of a bare KeyError deep inside a request.
"""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CONFIG = ROOT / "config.example.toml"
DEFAULT_API_BASE = "https://api.weixin.qq.com/cgi-bin"

# Secrets may come from the environment so that config files can stay in version control.
ENV_OVERRIDES = {
    ("wechat", "token"): "STEWARD_WECHAT_TOKEN",
    ("wechat", "app_id"): "STEWARD_WECHAT_APP_ID",
    ("wechat", "app_secret"): "STEWARD_WECHAT_APP_SECRET",
    ("wechat", "encoding_aes_key"): "STEWARD_WECHAT_ENCODING_AES_KEY",
    ("wechat", "api_base_url"): "STEWARD_WECHAT_API_BASE_URL",
    ("redis", "url"): "STEWARD_REDIS_URL",
    ("database", "url"): "STEWARD_DATABASE_URL",
    ("web", "secret_key"): "STEWARD_SECRET_KEY",
}

_MISSING = object()


class ConfigError(ValueError):
    """A configuration file is missing a key or holds a value of the wrong kind."""


class _Reader:
    def __init__(self, source: str, table: dict[str, Any], where: str) -> None:
        self.source, self.table, self.where = source, table, where

    def _fail(self, key: str, expected: str, got: Any = _MISSING) -> ConfigError:
        loc = f"{self.where}.{key}" if self.where else key
        if got is _MISSING:
            return ConfigError(f"{self.source}: 缺少配置项 {loc}（应为 {expected}）")
        return ConfigError(f"{self.source}: 配置项 {loc} 应为 {expected}，实际是 {got!r}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = _MISSING) -> Any:
        names = {str: "字符串", int: "整数", float: "数字", bool: "true/false", list: "列表", dict: "表"}
        kinds = kind if isinstance(kind, tuple) else (kind,)
        expected = " 或 ".join(names.get(k, k.__name__) for k in kinds)
        if key not in self.table:
            if default is _MISSING:
                raise self._fail(key, expected)
            return default
        value = self.table[key]
        # bool is an int subclass; an int where a float is wanted is fine.
        if isinstance(value, bool) and bool not in kinds:
            raise self._fail(key, expected, value)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kinds):
            raise self._fail(key, expected, value)
        return value

    def str_list(self, key: str, default: Any = _MISSING) -> tuple[str, ...]:
        value = self.get(key, list, default)
        if any(not isinstance(v, str) for v in value):
            raise self._fail(key, "字符串列表", value)
        return tuple(value)

    def sub(self, key: str, required: bool = False) -> _Reader:
        value = self.get(key, dict, _MISSING if required else {})
        return _Reader(self.source, value, f"{self.where}.{key}" if self.where else key)

    def items(self, key: str) -> list[_Reader]:
        value = self.get(key, list, [])
        out = []
        for i, item in enumerate(value):
            where = f"{self.where}.{key}[{i}]" if self.where else f"{key}[{i}]"
            if not isinstance(item, dict):
                raise ConfigError(f"{self.source}: 配置项 {where} 应为表，实际是 {item!r}")
            out.append(_Reader(self.source, item, where))
        return out


@dataclass(frozen=True)
class WeChatConfig:
    token: str
    app_id: str
    app_secret: str
    encoding_aes_key: str = ""
    api_base_url: str = DEFAULT_API_BASE
    timestamp_tolerance: int = 300
    original_id: str = "gh_courtyard"

    @property
    def safe_mode(self) -> bool:
        return bool(self.encoding_aes_key)


@dataclass(frozen=True)
class Courtyard:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class CouncilMember:
    openid: str
    name: str
    courtyard: str
    role: str = "成员"
    skills: tuple[str, ...] = ()

    @property
    def is_chair(self) -> bool:
        return self.role == "会长"


@dataclass(frozen=True)
class StaffAccount:
    username: str
    name: str
    password: str
    role: str = "staff"  # admin | staff | council
    courtyard: str | None = None


@dataclass(frozen=True)
class CategoryRule:
    key: str
    name: str
    accept_hours: float
    finish_days: float
    skill: str | None = None


@dataclass(frozen=True)
class Templates:
    task: str = ""
    reminder: str = ""
    escalation: str = ""
    notice: str = ""
    callback: str = ""
    event_reminder: str = ""


@dataclass(frozen=True)
class RouteRule:
    """One `[[dispatch.routes]]` rule; the first rule matching (courtyard, category, subcategory) wins.
    Empty match fields match anything."""

    category: str | None = None
    subcategory: str | None = None
    courtyard: str | None = None
    skill: str | None = None  # overrides the category's skill
    chair_first: bool = False  # the chair takes it first (e.g. disputes between neighbours)
    triage: bool = False  # always to community staff
    outside: tuple[str, ...] = ()  # keys of outside_parties to notify as well


@dataclass(frozen=True)
class DispatchSettings:
    """`[dispatch]`: how the workers push, retry and sweep (see config.example.toml)."""

    retry_intervals: tuple[int, ...] = (10, 60, 300)  # seconds between push retries (RQ Retry)
    outbox_after: int = 60  # seconds a ticket may sit in `received` before the sweep enqueues it
    sweep_interval: int = 60  # seconds between periodic sweeps
    custom_window_hours: float = 48.0  # customer-service messages only this soon after their last message
    link_max_age_days: float = 30.0  # the council action page link stays valid this long
    photo_window_minutes: int = 120  # a photo this soon after 办结 is attached to that ticket
    routes: tuple[RouteRule, ...] = ()
    template_fields: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ConversationSettings:
    """`[conversation]`: how long the bot's questions and a person's hand-off last."""

    question_minutes: float = 30.0  # a question (which courtyard? 1–4?) owns its answers this long
    followup_minutes: float = 10.0  # words this soon after a ticket may be about that ticket
    handoff_minutes: float = 60.0  # the bot stays quiet this long after 转人工 unless staff release it


@dataclass(frozen=True)
class EmergencySettings:
    """`[emergency]`: the numbers a resident in danger is shown first, and the chase of urgent tickets."""

    people: str = "120"  # someone fallen, unconscious, hurt
    fire: str = "119"
    police: str = "110"
    gas: str = "96777"  # the gas company's repair line
    power: str = "95598"  # the power company's repair line (live wires, sparks)
    lift: str = "96333"  # lift rescue
    chase_minutes: float = 15.0  # an urgent ticket nobody accepts this long goes to the backup and staff


@dataclass(frozen=True)
class FaqEntry:
    patterns: tuple[str, ...]
    answer: str


@dataclass(frozen=True)
class Config:
    source: str
    community: str
    wechat: WeChatConfig
    redis_url: str
    database_url: str
    secret_key: str
    public_url: str
    courtyards: tuple[Courtyard, ...]
    members: tuple[CouncilMember, ...]
    staff: tuple[StaffAccount, ...]
    categories: dict[str, CategoryRule]
    urgent_accept_hours: float = 1.0
    utility_accept_hours: float = 2.0
    utility_subcategories: tuple[str, ...] = ("给排水", "电力线路")
    templates: Templates = field(default_factory=Templates)
    staff_openids: tuple[str, ...] = ()
    outside_parties: dict[str, dict[str, str]] = field(default_factory=dict)
    confidence_threshold: float = 0.55
    dialogue_ttl: int = 1800
    callback_days: float = 3.0
    reminder_before: float = 0.25  # fraction of a deadline left when the reminder goes out
    work_start: int = 8
    work_end: int = 18
    # Reminders that can wait (not urgent, not water/power) are not sent between these local hours.
    quiet_start: int = 22
    quiet_end: int = 7
    holidays: tuple[str, ...] = ()
    api_tokens: tuple[str, ...] = ()
    faq: tuple[FaqEntry, ...] = ()
    emergency_numbers: str = "火警 119 ｜ 急救 120 ｜ 报警 110"
    media_dir: str = "var/media"
    dispatch: DispatchSettings = field(default_factory=DispatchSettings)
    conversation: ConversationSettings = field(default_factory=ConversationSettings)
    emergency: EmergencySettings = field(default_factory=EmergencySettings)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def courtyard(self, courtyard_id: str | None) -> Courtyard | None:
        return next((c for c in self.courtyards if c.id == courtyard_id), None)

    def courtyard_name(self, courtyard_id: str | None) -> str:
        c = self.courtyard(courtyard_id)
        return c.name if c else "未确定楼院"

    def council(self, courtyard_id: str) -> list[CouncilMember]:
        return [m for m in self.members if m.courtyard == courtyard_id]

    def member(self, openid: str) -> CouncilMember | None:
        return next((m for m in self.members if m.openid == openid), None)


def resolve_path(path: str | os.PathLike | None = None) -> Path:
    """The file to load: explicit path, else $STEWARD_CONFIG, else config.toml, else the example."""
    if path:
        return Path(path)
    if os.environ.get("STEWARD_CONFIG"):
        return Path(os.environ["STEWARD_CONFIG"])
    local = Path("config.toml")
    if local.exists():
        return local
    log.warning("config.toml not found; using the sample config %s", EXAMPLE_CONFIG)
    return EXAMPLE_CONFIG


def load(path: str | os.PathLike | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Load and validate a TOML config. `overrides` ({"section.key": value}) win over file and env."""
    p = resolve_path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"找不到配置文件 {p}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: TOML 格式错误：{exc}") from None
    for (section, key), env in ENV_OVERRIDES.items():
        if os.environ.get(env) is not None:
            data.setdefault(section, {})[key] = os.environ[env]
    for dotted, value in (overrides or {}).items():
        section, _, key = dotted.rpartition(".")
        target = data
        for part in filter(None, section.split(".")):
            target = target.setdefault(part, {})
        target[key] = value
    return parse(data, str(p))


def _hour(section: Any, key: str, default: int) -> int:
    value = section.get(key, int, default)
    if not 0 <= value <= 23:
        raise ConfigError(f"{section.source}: 配置项 {section.where}.{key} 应为 0–23 之间的整点，实际是 {value!r}")
    return value


def parse(data: dict[str, Any], source: str = "<config>") -> Config:
    root = _Reader(source, data, "")
    wx = root.sub("wechat", required=True)
    wechat = WeChatConfig(
        token=wx.get("token", str),
        app_id=wx.get("app_id", str),
        app_secret=wx.get("app_secret", str),
        encoding_aes_key=wx.get("encoding_aes_key", str, ""),
        api_base_url=(wx.get("api_base_url", str, "") or DEFAULT_API_BASE).rstrip("/"),
        timestamp_tolerance=wx.get("timestamp_tolerance", int, 300),
        original_id=wx.get("original_id", str, "gh_courtyard"),
    )
    if wechat.encoding_aes_key and len(wechat.encoding_aes_key) != 43:
        raise ConfigError(f"{source}: 配置项 wechat.encoding_aes_key 应为 43 个字符（留空表示明文模式）")
    community = root.sub("community", required=True)
    courtyards = tuple(
        Courtyard(
            id=c.get("id", str),
            name=c.get("name", str),
            aliases=c.str_list("aliases", []),
            lat=c.get("lat", float, None),
            lon=c.get("lon", float, None),
        )
        for c in community.items("courtyards")
    )
    ids = {c.id for c in courtyards}
    members = []
    for m in root.items("members"):
        member = CouncilMember(
            openid=m.get("openid", str),
            name=m.get("name", str),
            courtyard=m.get("courtyard", str),
            role=m.get("role", str, "成员"),
            skills=m.str_list("skills", []),
        )
        if member.courtyard not in ids:
            raise ConfigError(f"{source}: 配置项 {m.where}.courtyard 应为已配置的楼院 id，实际是 {member.courtyard!r}")
        members.append(member)
    staff = tuple(
        StaffAccount(
            username=s.get("username", str),
            name=s.get("name", str),
            password=s.get("password", str),
            role=s.get("role", str, "staff"),
            courtyard=s.get("courtyard", str, None),
        )
        for s in root.items("staff")
    )
    for s, r in zip(staff, root.items("staff"), strict=True):
        if s.role not in ("admin", "staff", "council"):
            raise ConfigError(f"{source}: 配置项 {r.where}.role 应为 admin / staff / council，实际是 {s.role!r}")
    dl = root.sub("deadlines")
    categories = {}
    for c in root.items("categories"):
        rule = CategoryRule(
            key=c.get("key", str),
            name=c.get("name", str),
            accept_hours=c.get("accept_hours", float, 24.0),
            finish_days=c.get("finish_days", float, 5.0),
            skill=c.get("skill", str, None),
        )
        categories[rule.key] = rule
    tpl = root.sub("templates")
    wx_dialogue = root.sub("dialogue")
    web = root.sub("web")
    api = root.sub("api")
    faq = tuple(FaqEntry(f.str_list("patterns"), f.get("answer", str)) for f in root.items("faq"))
    parties = {k: dict(v) for k, v in root.get("outside_parties", dict, {}).items()}
    return Config(
        source=source,
        community=community.get("name", str),
        wechat=wechat,
        redis_url=root.sub("redis").get("url", str, ""),
        database_url=root.sub("database").get("url", str, "") or "sqlite:///var/steward.db",
        secret_key=web.get("secret_key", str, "dev-only-secret-change-me"),
        public_url=web.get("public_url", str, "http://127.0.0.1:5000").rstrip("/"),
        courtyards=courtyards,
        members=tuple(members),
        staff=staff,
        categories=categories,
        urgent_accept_hours=dl.get("urgent_accept_hours", float, 1.0),
        utility_accept_hours=dl.get("utility_accept_hours", float, 2.0),
        utility_subcategories=dl.str_list("utility_subcategories", ("给排水", "电力线路")),
        reminder_before=dl.get("reminder_before", float, 0.25),
        work_start=dl.get("work_start", int, 8),
        work_end=dl.get("work_end", int, 18),
        quiet_start=_hour(dl, "quiet_start", 22),
        quiet_end=_hour(dl, "quiet_end", 7),
        holidays=dl.str_list("holidays", []),
        callback_days=dl.get("callback_days", float, 3.0),
        templates=Templates(**{k: tpl.get(k, str, "") for k in Templates.__dataclass_fields__}),
        staff_openids=root.sub("community").str_list("staff_openids", []),
        outside_parties=parties,
        confidence_threshold=wx_dialogue.get("confidence_threshold", float, 0.55),
        dialogue_ttl=wx_dialogue.get("state_ttl", int, 1800),
        api_tokens=api.str_list("tokens", []),
        faq=faq,
        emergency_numbers=community.get("emergency_numbers", str, "火警 119 ｜ 急救 120 ｜ 报警 110"),
        media_dir=root.sub("media").get("dir", str, "var/media"),
        dispatch=_parse_dispatch(root, categories, ids, parties),
        conversation=_small(root.sub("conversation"), ConversationSettings),
        emergency=_small(root.sub("emergency"), EmergencySettings),
        raw=data,
    )


def _small(section: Any, cls: Any) -> Any:
    """A small settings dataclass read field by field, each with its default and type."""
    values = {}
    for f in cls.__dataclass_fields__.values():
        default = f.default
        values[f.name] = section.get(f.name, type(default), default)
    return cls(**values)


def _parse_dispatch(
    root: _Reader, categories: dict[str, CategoryRule], courtyard_ids: set[str], parties: dict[str, dict[str, str]]
) -> DispatchSettings:
    d = root.sub("dispatch")
    intervals = d.get("retry_intervals", list, [10, 60, 300])
    if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in intervals):
        raise ConfigError(f"{root.source}: 配置项 dispatch.retry_intervals 应为非负整数列表（秒），实际是 {intervals!r}")
    routes = []
    for r in d.items("routes"):
        rule = RouteRule(
            category=r.get("category", str, None),
            subcategory=r.get("subcategory", str, None),
            courtyard=r.get("courtyard", str, None),
            skill=r.get("skill", str, None),
            chair_first=r.get("chair_first", bool, False),
            triage=r.get("triage", bool, False),
            outside=r.str_list("outside", []),
        )
        if rule.category is not None and rule.category not in categories:
            raise ConfigError(f"{root.source}: 配置项 {r.where}.category 应为已配置的类别，实际是 {rule.category!r}")
        if rule.courtyard is not None and rule.courtyard not in courtyard_ids:
            raise ConfigError(f"{root.source}: 配置项 {r.where}.courtyard 应为已配置的楼院 id，实际是 {rule.courtyard!r}")
        for key in rule.outside:
            if key not in parties:
                raise ConfigError(f"{root.source}: 配置项 {r.where}.outside 应为 outside_parties 里的键，实际是 {key!r}")
        routes.append(rule)
    fields_table = d.sub("template_fields")
    template_fields = {}
    for kind, mapping in fields_table.table.items():
        if not isinstance(mapping, dict) or any(not isinstance(v, str) for v in mapping.values()):
            raise ConfigError(f"{root.source}: 配置项 dispatch.template_fields.{kind} 应为「模板字段 = 内容键」的表")
        template_fields[kind] = dict(mapping)
    return DispatchSettings(
        retry_intervals=tuple(intervals),
        outbox_after=d.get("outbox_after", int, 60),
        sweep_interval=d.get("sweep_interval", int, 60),
        custom_window_hours=d.get("custom_window_hours", float, 48.0),
        link_max_age_days=d.get("link_max_age_days", float, 30.0),
        photo_window_minutes=d.get("photo_window_minutes", int, 120),
        routes=tuple(routes),
        template_fields=template_fields,
    )
