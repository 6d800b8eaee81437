"""The command line in Chinese: click's own words (usage, errors, help headings) translated, and
`--config` accepted before or after any subcommand.

click marks every message it prints with gettext (`_()` / `ngettext()` imported into each of its
modules). `ZhGroup.main` swaps those names for a lookup in `CATALOGUE` for the duration of one
`steward` invocation and puts them back afterwards, so nothing outside the command line (Flask's
CLI, other tools in the same process) sees a change. A message not in the catalogue stays as click
wrote it — `tests/test_cli_zh.py` runs the common mistakes to keep the catalogue honest.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

CONFIG_HELP = "配置文件（默认 ./config.toml，也可用环境变量 STEWARD_CONFIG；只有开发用的命令在没有时使用 config.example.toml）"

CATALOGUE: dict[str, str] = {
    "Usage:": "用法",
    "Options": "选项",
    "Commands": "命令",
    "Positional arguments": "参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "Error: {message}": "错误：{message}",
    "Try '{command} {option}' for help.": "输入 '{command} {option}' 查看帮助。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing {param_type}": "缺少{param_type}",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing command.": "缺少子命令。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不接受值。",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 需要 {nargs} 个值。",
    "Invalid value: {message}": "取值无效：{message}",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的取值无效：{message}",
    "Got unexpected extra argument ({args})": "多出了参数（{args}）",
    "Got unexpected extra arguments ({args})": "多出了参数（{args}）",
    "Did you mean {possibility}?": "是不是 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是不是其中之一：{possibilities}？）",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不是 {choices} 之一。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的数字（应为整数或小数）。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是一个目录。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是一个文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "integer": "整数",
    "float": "数字",
    "Aborted!": "已取消。",
    "Repeat for confirmation": "再输入一次确认",
    "Error: The two entered values do not match.": "错误：两次输入不一致。",
    "Error: invalid input": "错误：输入无效",
    "default: {default}": "默认：{default}",
    "env var: {var}": "环境变量：{var}",
    "unknown error": "未知错误",
    "required": "必填",
}
# What a value looks like, in the help (click would print TEXT, INTEGER, FILE).
METAVARS = {"text": "文本", "integer": "整数", "float": "数字", "file": "文件", "path": "文件", "directory": "目录"}

_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "termui", "types", "utils")


def zh(message: str) -> str:
    return CATALOGUE.get(message, message)


def zh_plural(singular: str, plural: str, n: int) -> str:
    return zh(singular if n == 1 else plural)


@contextlib.contextmanager
def chinese_click() -> Iterator[None]:
    """click speaks Chinese inside this block (see the module's docstring)."""
    saved: list[tuple[Any, str, Callable[..., str]]] = []
    for name in _CLICK_MODULES:
        module = sys.modules.get(f"click.{name}")
        for attr, repl in (("_", zh), ("ngettext", zh_plural)):
            if module is not None and hasattr(module, attr):
                saved.append((module, attr, getattr(module, attr)))
                setattr(module, attr, repl)
    try:
        yield
    finally:
        for module, attr, original in saved:
            setattr(module, attr, original)


def _remember_config(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """`--config` given after the subcommand: the same as before it."""
    if value:
        use_config(ctx, value)
    return value


def use_config(ctx: click.Context, value: str) -> None:
    # Child processes (the worker `steward dev` starts) must read the same file.
    os.environ["STEWARD_CONFIG"] = str(Path(value).resolve())
    holder = ctx.find_object(ConfigHolder)
    if holder is not None:
        holder.config_path = value


class ConfigHolder:
    """What every command's context carries: the config file chosen with --config, if any."""

    config_path: str | None = None


def config_option() -> click.Option:
    return click.Option(["--config", "config_path"], type=click.Path(dir_okay=False), expose_value=False, metavar="文件",
                        is_eager=True, callback=_remember_config, help=CONFIG_HELP)


class ZhCommand(click.Command):
    """A subcommand that also takes `--config`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)
        for p in self.params:
            if isinstance(p, click.Option) and p.metavar is None and not p.is_flag:
                p.metavar = METAVARS.get(p.type.name)
        if not any(p.name == "config_path" for p in self.params):
            self.params.append(config_option())


class ZhGroup(click.Group):
    """A group whose subcommands are ZhCommand / ZhGroup and which runs click in Chinese."""

    command_class = ZhCommand
    group_class = type

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[选项]")
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        with chinese_click():
            return super().main(*args, **kwargs)
