"""The account's custom menu, published by the backend: once the server URL is enabled, menus made
in the MP console stop working. `[[menu.button]]` in the config; `steward menu push` checks
WeChat's limits (3 top buttons × 5 sub-buttons, top names ≤ 4 Chinese characters, sub-names ≤ 8,
key formats) and that every click key has a handler, then calls `menu/create`."""

from __future__ import annotations

import re
from typing import Any

from bot.config import Config, MenuButton
from bot.services.uow.steward import Steward
from bot.wechat.client import shared_client
from handlers.dialogue import MENU_KEYS

MAX_TOP, MAX_SUB = 3, 5
TOP_NAME, SUB_NAME = 4, 8  # in Chinese characters (two ASCII characters count as one)
KEY_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
KEYED = {"click", "scancode_push", "scancode_waitmsg", "pic_sysphoto", "pic_photo_or_album", "pic_weixin",
         "location_select"}
TYPES = KEYED | {"view"}


class MenuError(ValueError):
    """The configured menu breaks WeChat's rules; the message lists every problem, in Chinese."""


def _width(name: str) -> float:
    return sum(0.5 if c.isascii() else 1 for c in name)


def problems(buttons: tuple[MenuButton, ...]) -> list[str]:
    """Everything wrong with the menu, each as a sentence an operator can act on."""
    out = []
    if not buttons:
        out.append("菜单是空的：[[menu.button]] 至少要有 1 个")
    if len(buttons) > MAX_TOP:
        out.append(f"一级菜单最多 {MAX_TOP} 个，配置了 {len(buttons)} 个")
    for i, top in enumerate(buttons, 1):
        where = f"第 {i} 个一级菜单「{top.name}」"
        if not top.name.strip():
            out.append(f"第 {i} 个一级菜单没有名字")
        elif _width(top.name) > TOP_NAME:
            out.append(f"{where}名字太长：一级菜单最多 {TOP_NAME} 个汉字")
        if len(top.sub) > MAX_SUB:
            out.append(f"{where}有 {len(top.sub)} 个子菜单，最多 {MAX_SUB} 个")
        if top.sub:
            for j, sub in enumerate(top.sub, 1):
                label = f"{where}的第 {j} 个子菜单「{sub.name}」"
                if sub.sub:
                    out.append(f"{label}不能再有下级菜单")
                if not sub.name.strip():
                    out.append(f"{where}的第 {j} 个子菜单没有名字")
                elif _width(sub.name) > SUB_NAME:
                    out.append(f"{label}名字太长：子菜单最多 {SUB_NAME} 个汉字")
                out += _action(sub, label)
        else:
            out += _action(top, where)
    return out


def _action(b: MenuButton, label: str) -> list[str]:
    if b.type not in TYPES:
        return [f"{label}的类型 {b.type!r} 不支持（可用：{'、'.join(sorted(TYPES))}）"]
    if b.type == "view":
        if not re.match(r"^https?://", b.url) or len(b.url.encode()) > 1024:
            return [f"{label}是网页链接，url 要以 http:// 或 https:// 开头（不超过 1024 字节）"]
        return []
    if not KEY_RE.match(b.key):
        return [f"{label}的 key {b.key!r} 格式不对：大写字母开头，只用大写字母、数字和下划线，最多 64 个字符"]
    if b.type == "click" and b.key not in MENU_KEYS:
        return [f"{label}的 key {b.key} 没有对应的处理（已有：{'、'.join(MENU_KEYS)}）"]
    return []


def _wechat(b: MenuButton) -> dict[str, Any]:
    if b.sub:
        return {"name": b.name, "sub_button": [_wechat(s) for s in b.sub]}
    item: dict[str, Any] = {"type": b.type, "name": b.name}
    if b.type == "view":
        item["url"] = b.url
    else:
        item["key"] = b.key
    return item


def payload(config: Config) -> dict[str, Any]:
    """The `menu/create` body for the configured menu; MenuError if it breaks the rules."""
    found = problems(config.menu)
    if found:
        raise MenuError("菜单不符合微信的规则：\n" + "\n".join(f"- {p}" for p in found))
    return {"button": [_wechat(b) for b in config.menu]}


def publish(steward: Steward) -> dict[str, Any]:
    body = payload(steward.config)
    shared_client(steward.config, steward.redis).create_menu(body)
    return body
