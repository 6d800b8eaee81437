"""A community's own official account, as stored on its `communities` row (`account`, JSON):
`{"wechat": {token, app_id, app_secret, encoding_aes_key, encoding_aes_key_previous, original_id},
"templates": {task, reminder, …}}` — the `[wechat]` and `[templates]` sections of the fragment given
to `steward community add --from`. Where the API is (`api_base_url`) and the timestamp tolerance stay
the deployment's."""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.config import Config
from bot.config.schema import Templates, WeChatConfig

WECHAT_KEYS = ("token", "app_id", "app_secret", "encoding_aes_key", "encoding_aes_key_previous", "original_id",
               "oauth_url")
TEMPLATE_KEYS = tuple(f.name for f in dataclasses.fields(Templates))


def overlay(config: Config, account: dict[str, Any]) -> dict[str, Any]:
    """The replacements for `config` (its `wechat` and `templates`) that make it the account's."""
    wechat = {k: v for k, v in (account.get("wechat") or {}).items() if k in WECHAT_KEYS}
    templates = {k: v for k, v in (account.get("templates") or {}).items() if k in TEMPLATE_KEYS}
    return {"wechat": dataclasses.replace(config.wechat, **wechat),
            "templates": dataclasses.replace(Templates(), **templates)}


def stored(wechat: WeChatConfig, templates: Templates | None) -> dict[str, Any]:
    """What the row keeps of a validated `[wechat]` (and `[templates]`)."""
    return {"wechat": {k: getattr(wechat, k) for k in WECHAT_KEYS},
            "templates": dataclasses.asdict(templates) if templates is not None else {}}
