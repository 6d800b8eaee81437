"""Typed configuration loaded once from TOML, validated by pydantic.

What lives here: the file's schema (`schema`, every default in one place), the loader (file →
STEWARD_* environment → overrides → `Config`), bilingual error messages with "did you mean"
(`errors`), the run mode that only `steward dev` and tests change (`runmode`), and the rule of
what may not run as a service (`samples`). Imports nothing else of the project: everything imports it.
"""

from bot.config.errors import ConfigError, Problem
from bot.config.features import (
    CLOSE_REASON_KEYS,
    CalendarSettings,
    ConversationSettings,
    DigestSettings,
    EmergencySettings,
    MediaSettings,
    MenuButton,
    RatesSettings,
    VoiceSettings,
)
from bot.config.loader import ENV_OVERRIDES, EXAMPLE_CONFIG, ROOT, apply_overrides, load, parse, resolve_path
from bot.config.model import Config
from bot.config.runmode import RunMode, run_mode, samples_allowed, set_run_mode
from bot.config.samples import (
    SAMPLE_MARKERS,
    deployment_problems,
    ensure_deployable,
    is_sample,
    production_copy,
    weakness,
)
from bot.config.schema import (
    DEFAULT_API_BASE,
    CategoryRule,
    ConfigFile,
    CouncilMember,
    Courtyard,
    DispatchSettings,
    FaqEntry,
    OutsideDesk,
    RouteRule,
    SandboxSection,
    StaffAccount,
    Templates,
    WebSecurity,
    WeChatConfig,
)

__all__ = [
    "CLOSE_REASON_KEYS", "DEFAULT_API_BASE", "ENV_OVERRIDES", "EXAMPLE_CONFIG", "ROOT", "SAMPLE_MARKERS",
    "CalendarSettings", "CategoryRule", "ConversationSettings", "EmergencySettings", "Config", "ConfigError", "ConfigFile", "CouncilMember", "Courtyard",
    "DigestSettings", "DispatchSettings", "FaqEntry", "MediaSettings", "MenuButton", "OutsideDesk", "VoiceSettings", "Problem", "RatesSettings", "RouteRule", "RunMode",
    "SandboxSection", "StaffAccount", "Templates", "WebSecurity", "WeChatConfig",
    "apply_overrides", "deployment_problems", "ensure_deployable", "is_sample", "load", "parse",
    "production_copy", "resolve_path", "run_mode", "samples_allowed", "set_run_mode", "weakness",
]
