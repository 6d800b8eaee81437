"""What counts as a sample value, and what a config must not hold outside `steward dev` and tests.

config.example.toml marks every secret with the word `sample`; a value carrying one of
SAMPLE_MARKERS is a sample wherever it turns up (config, environment, a typed password).
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from bot.config.errors import ConfigError, Problem
from bot.config.loader import EXAMPLE_CONFIG
from bot.config.model import Config
from bot.config.runmode import samples_allowed

SAMPLE_MARKERS = ("sample", "change-me", "changeme")
MIN_SECRET_LENGTH = 16  # web.secret_key and API tokens: long enough not to be guessed


def is_sample(value: str) -> bool:
    folded = value.lower()
    return any(marker in folded for marker in SAMPLE_MARKERS)


MIN_CLASSES = 2  # of lower case, upper case, digits, other characters
MIN_DISTINCT = 8  # different characters: "aaaaaaaaaaaaaaaa" is long but no secret


def weakness(value: str, min_length: int = MIN_SECRET_LENGTH) -> tuple[str, str] | None:
    """Why `value` is too weak for a secret — (Chinese, English) — or None."""
    if len(value) < min_length:
        return f"太短，至少 {min_length} 个字符", f"too short, at least {min_length} characters"
    classes = sum(any(test(c) for c in value) for test in (str.islower, str.isupper, str.isdigit,
                                                           lambda c: not c.isalnum()))
    if classes < MIN_CLASSES:
        return ("太单一：至少混用两类字符（小写字母、大写字母、数字、符号）",
                "too uniform: mix at least two kinds of characters (lower, upper, digits, symbols)")
    if len(set(value)) < MIN_DISTINCT:
        return (f"重复太多：至少要有 {MIN_DISTINCT} 个不同的字符（可用 python -c \"import secrets; print(secrets.token_hex(16))\" 生成）",
                f"too repetitive: at least {MIN_DISTINCT} different characters")
    return None


def _secret(loc: str, value: str, min_length: int = MIN_SECRET_LENGTH) -> list[Problem]:
    if not value:
        return [Problem(loc, "缺少这一密钥（可写在配置里或用环境变量）", "secret is missing (set it in the file or the environment)")]
    if is_sample(value):
        return [Problem(loc, "还是示例值，请换成真实的密钥", "is still the sample value; set the real secret")]
    weak = weakness(value, min_length)
    if weak:
        return [Problem(loc, weak[0], weak[1])]
    return []


def deployment_problems(cfg: Config) -> list[Problem]:
    """Everything that keeps this config from running as a service (`serve`, `worker`, gunicorn)."""
    problems = []
    if Path(cfg.source).resolve() == EXAMPLE_CONFIG.resolve():
        problems.append(Problem("", "这是示例配置 config.example.toml，只用于 steward dev：请复制为 config.toml 并改掉示例值",
                                "this is the sample config.example.toml, for `steward dev` only: copy it to "
                                "config.toml and replace the sample values"))
    problems += _secret("wechat.token", cfg.wechat.token)
    problems += _secret("wechat.app_secret", cfg.wechat.app_secret)
    if cfg.wechat.safe_mode:
        problems += _secret("wechat.encoding_aes_key", cfg.wechat.encoding_aes_key)
    problems += _secret("web.secret_key", cfg.secret_key)
    for i, token in enumerate(cfg.api_tokens):
        problems += _secret(f"api.tokens[{i}]", token)
    for i, acc in enumerate(cfg.staff):
        if acc.password:
            problems.append(Problem(f"staff[{i}].password",
                                    f"工作台密码不写在配置里：删掉这一行，用 steward user passwd {acc.username} 设置",
                                    f"workbench passwords do not live in the config: remove it and run "
                                    f"`steward user passwd {acc.username}`"))
    if cfg.sandbox.enabled:
        problems.append(Problem("sandbox.enabled", "微信沙箱只用于 steward dev 和测试，正式运行必须为 false",
                                "the WeChat sandbox is for `steward dev` and tests only; it must be false"))
    return problems


def ensure_deployable(cfg: Config) -> None:
    """Refuse to run as a service on sample secrets or with the sandbox (dev and tests may)."""
    if samples_allowed():
        return
    problems = deployment_problems(cfg)
    if problems:
        raise ConfigError(source=cfg.source, problems=problems)


def production_copy(text: str) -> str:
    """The sample config's text with fresh random secrets and no staff passwords: what tests and
    benchmarks that run real service processes (gunicorn, `steward worker`) start from."""
    def fresh(match: re.Match[str]) -> str:
        return f'{match.group(1)}"{secrets.token_hex(16)}"'

    text = re.sub(r'(?m)^((?:token|app_secret|secret_key) *= *)"[^"]*"', fresh, text)
    text = re.sub(r'(?m)^(tokens *= *)\[[^\]]*\]', lambda m: f'{m.group(1)}["{secrets.token_hex(16)}"]', text)
    return re.sub(r'(?m)^password *= *"[^"]*"[^\n]*\n', "", text)
