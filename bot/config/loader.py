"""Reading a config: the file, then the STEWARD_* environment, then explicit overrides; validation
by the schema; cross-references (a member's courtyard, a route's category …) checked after it."""

from __future__ import annotations

import logging
import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from bot.config.errors import ConfigError, Problem, dotted, translate
from bot.config.model import Config
from bot.config.runmode import samples_allowed
from bot.config.schema import ConfigFile

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent.parent
EXAMPLE_CONFIG = ROOT / "config.example.toml"

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
    ("wechat", "encoding_aes_key_previous"): "STEWARD_WECHAT_ENCODING_AES_KEY_PREVIOUS",
    ("voice", "transcriber"): "STEWARD_VOICE_TRANSCRIBER",
    ("voice", "tencent_endpoint"): "STEWARD_VOICE_TENCENT_ENDPOINT",
    ("voice", "tencent_scheme"): "STEWARD_VOICE_TENCENT_SCHEME",
    ("voice", "tencent_secret_id"): "STEWARD_TENCENT_SECRET_ID",
    ("voice", "tencent_secret_key"): "STEWARD_TENCENT_SECRET_KEY",
}



def sentinel_url(sentinels: list[str], master_name: str, url: str = "") -> str:
    """`[redis] sentinels` as the one Redis URL every process passes around (STEWARD_REDIS_URL, the
    worker, RQ): sentinel://[:password@]host:port,host:port/<master_name>/<db>; the db number and
    password come from `[redis] url` when it is given (bot.storage.redis_conn opens it)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url) if url else None
    db = (parts.path.strip("/") or "0") if parts else "0"
    auth = f":{parts.password}@" if parts and parts.password else ""
    return f"sentinel://{auth}{','.join(sentinels)}/{master_name}/{db}"

def resolve_path(path: str | os.PathLike | None = None) -> Path:
    """The file to load: explicit path, else $STEWARD_CONFIG, else ./config.toml. Only `steward dev`
    and tests fall back to the sample config; anything else without a config.toml is an error."""
    if path:
        return Path(path)
    if os.environ.get("STEWARD_CONFIG"):
        return Path(os.environ["STEWARD_CONFIG"])
    local = Path("config.toml")
    if local.exists():
        return local
    if samples_allowed():
        log.warning("没有 config.toml：开发环境使用示例配置 %s（config.toml not found; using the sample）", EXAMPLE_CONFIG)
        return EXAMPLE_CONFIG
    raise ConfigError(problems=[Problem(
        "", f"找不到配置文件 config.toml（当前目录 {Path.cwd()}）：复制 config.example.toml 为 config.toml 并改掉所有"
            "示例值，或用 --config / STEWARD_CONFIG 指定；只有 steward dev 会使用示例配置",
        "config.toml not found: copy config.example.toml to config.toml and replace every sample value, or "
        "pass --config / STEWARD_CONFIG; only `steward dev` runs on the sample config")])


def read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(source=str(path), problems=[Problem(
            "", f"找不到配置文件 {path}", f"config file {path} not found")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source=str(path), problems=[Problem(
            "", f"TOML 格式错误：{exc}", f"not valid TOML: {exc}")]) from None


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any] | None) -> dict[str, Any]:
    for (section, key), env in ENV_OVERRIDES.items():
        if os.environ.get(env) is not None:
            data.setdefault(section, {})[key] = os.environ[env]
    for dotted_key, value in (overrides or {}).items():
        section, _, key = dotted_key.rpartition(".")
        target = data
        for part in filter(None, section.split(".")):
            target = target.setdefault(part, {})
        target[key] = value
    return data


def load(path: str | os.PathLike | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Load and validate a TOML config. `overrides` ({"section.key": value}) win over file and env."""
    p = resolve_path(path)
    return parse(apply_overrides(read(p), overrides), str(p))


def parse(data: dict[str, Any], source: str = "<config>") -> Config:
    """Validate a parsed TOML document and build the `Config`; every problem is reported at once."""
    try:
        f = ConfigFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source=source, problems=translate(exc, ConfigFile)) from None
    problems = cross_check(f)
    if problems:
        raise ConfigError(source=source, problems=problems)
    dl = f.deadlines
    return Config(
        source=source,
        community=f.community.name,
        wechat=f.wechat,
        redis_url=sentinel_url(f.redis.sentinels, f.redis.master_name, f.redis.url) if f.redis.sentinels
        else f.redis.url,
        database_url=f.database.url or "sqlite:///var/steward.db",
        row_level_security=f.database.row_level_security,
        secret_key=f.web.secret_key,
        public_url=f.web.public_url.rstrip("/"),
        web_security=f.web,
        courtyards=f.community.courtyards,
        members=f.members,
        staff=f.staff,
        categories={c.key: c for c in f.categories},
        urgent_accept_hours=dl.urgent_accept_hours,
        utility_accept_hours=dl.utility_accept_hours,
        utility_subcategories=dl.utility_subcategories,
        templates=f.templates,
        staff_openids=f.community.staff_openids,
        outside_parties={k: p.model_dump() for k, p in f.outside_parties.items()},
        confidence_threshold=f.dialogue.confidence_threshold,
        dialogue_ttl=f.dialogue.state_ttl,
        callback_days=dl.callback_days,
        reminder_before=dl.reminder_before,
        work_start=dl.work_start,
        work_end=dl.work_end,
        quiet_start=dl.quiet_start,
        quiet_end=dl.quiet_end,
        holidays=dl.holidays,
        api_tokens=f.api.tokens,
        faq=f.faq,
        outside_desks=f.outside_desks,
        emergency_numbers=f.community.emergency_numbers,
        media_dir=f.media.dir,
        media=f.media.settings(),
        voice=f.voice,
        conversation=f.conversation,
        emergency=f.emergency,
        menu=f.menu.button,
        dispatch=f.dispatch,
        rates=f.rates,
        sandbox=f.sandbox,
        spool_dir=f.spool.dir,
        calendar=f.calendar,
        audit=f.audit,
        retention=f.retention,
        digest=f.digest,
        log=f.log,
        metrics=f.metrics,
        raw=data,
    )


def _dupes(loc: str, values: list[str], what: str, en: str) -> list[Problem]:
    seen: set[str] = set()
    out = []
    for i, v in enumerate(values):
        if v in seen:
            out.append(Problem(f"{loc}[{i}]", f"{what} {v!r} 重复", f"duplicate {en} {v!r}"))
        seen.add(v)
    return out


def cross_check(f: ConfigFile) -> list[Problem]:
    """What one section says about another: ids that must exist, keys that must be unique."""
    ids = {c.id for c in f.community.courtyards}
    problems = _dupes("community.courtyards", [c.id for c in f.community.courtyards], "楼院 id", "courtyard id")
    problems += _dupes("categories", [c.key for c in f.categories], "类别", "category key")
    problems += _dupes("members", [m.openid for m in f.members], "openid", "openid")
    problems += _dupes("staff", [s.username for s in f.staff], "用户名", "username")

    def courtyard(loc: tuple[Any, ...], value: str | None) -> None:
        if value is not None and value not in ids:
            problems.append(Problem(dotted(loc), f"应为已配置的楼院 id，实际是 {value!r}",
                                    f"must be a configured courtyard id, got {value!r}"))

    for i, m in enumerate(f.members):
        courtyard(("members", i, "courtyard"), m.courtyard)
    for i, s in enumerate(f.staff):
        if s.role == "council" and s.courtyard is None:
            problems.append(Problem(f"staff[{i}].courtyard", "理事会账号（role = \"council\"）需要指定楼院",
                                    "a council account (role = \"council\") needs a courtyard"))
        courtyard(("staff", i, "courtyard"), s.courtyard)
    for i, r in enumerate(f.dispatch.routes):
        where = ("dispatch", "routes", i)
        if r.category is not None and r.category not in {c.key for c in f.categories}:
            problems.append(Problem(dotted((*where, "category")), f"应为已配置的类别，实际是 {r.category!r}",
                                    f"must be a configured category key, got {r.category!r}"))
        courtyard((*where, "courtyard"), r.courtyard)
        for key in r.outside:
            if key not in f.outside_parties:
                problems.append(Problem(dotted((*where, "outside")), f"应为 outside_parties 里的键，实际是 {key!r}",
                                        f"must name a key of [outside_parties], got {key!r}"))
    dl = f.deadlines
    if dl.work_start >= dl.work_end:
        problems.append(Problem("deadlines.work_end", f"应晚于 work_start（{dl.work_start}），实际是 {dl.work_end}",
                                f"must be later than work_start ({dl.work_start}), got {dl.work_end}"))
    return problems
