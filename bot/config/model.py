"""`Config`: what the rest of the code reads, built once from a validated file (see loader)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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
from bot.config.schema import (
    CategoryRule,
    CouncilMember,
    Courtyard,
    DispatchSettings,
    FaqEntry,
    LogSection,
    MetricsSection,
    OutsideDesk,
    SandboxSection,
    StaffAccount,
    Templates,
    WebSecurity,
    WeChatConfig,
)


@dataclass(frozen=True)
class Config:
    """The loaded configuration. Defaults live in `schema.py`; these attributes are its flat view."""

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
    urgent_accept_hours: float
    utility_accept_hours: float
    utility_subcategories: tuple[str, ...]
    templates: Templates
    staff_openids: tuple[str, ...]
    outside_parties: dict[str, dict[str, str]]
    confidence_threshold: float
    dialogue_ttl: int
    callback_days: float
    reminder_before: float  # fraction of a deadline left when the reminder goes out
    work_start: int
    work_end: int
    # Reminders that can wait (not urgent, not water/power) are not sent between these local hours.
    quiet_start: int
    quiet_end: int
    holidays: tuple[str, ...]
    api_tokens: tuple[str, ...]
    faq: tuple[FaqEntry, ...]
    emergency_numbers: str
    media_dir: str
    dispatch: DispatchSettings
    rates: RatesSettings = field(default_factory=RatesSettings)
    web_security: WebSecurity = field(default_factory=WebSecurity)
    media: MediaSettings = field(default_factory=MediaSettings)
    voice: VoiceSettings = field(default_factory=VoiceSettings)
    conversation: ConversationSettings = field(default_factory=ConversationSettings)
    emergency: EmergencySettings = field(default_factory=EmergencySettings)
    menu: tuple[MenuButton, ...] = ()
    sandbox: SandboxSection = field(default_factory=SandboxSection)
    spool_dir: str = "var/spool"
    calendar: CalendarSettings = field(default_factory=CalendarSettings)
    audit: AuditSettings = field(default_factory=AuditSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    digest: DigestSettings = field(default_factory=DigestSettings)
    outside_desks: tuple[OutsideDesk, ...] = ()  # who handles a road, a crossing, the city's water or power
    log: LogSection = field(default_factory=LogSection)
    metrics: MetricsSection = field(default_factory=MetricsSection)
    row_level_security: bool = False
    community_id: int | None = None  # the community this view is of (None: the deployment's file config)
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
