"""`steward user …`: workbench accounts (add, passwd, disable / enable, unlock)."""

from __future__ import annotations

from typing import Any

import click

from bot.services.community.users import UserError, add_user, set_active, set_password
from bot.web.sessions import unlock


@click.group()
def user() -> None:
    """Workbench accounts."""


@user.command("add")
@click.argument("username")
@click.option("--name", required=True, help="显示的姓名")
@click.option("--role", type=click.Choice(["admin", "staff", "council"]), default="staff")
@click.option("--courtyard", default=None, help="理事会账号所属楼院 id，如 c3")
@click.password_option(envvar="STEWARD_NEW_USER_PASSWORD")
@click.pass_obj
def user_add(obj: Any, username: str, name: str, role: str, courtyard: str | None, password: str) -> None:
    """Add an account, or change an existing one (its sessions end)."""
    cfg = obj.config()
    if role == "council" and cfg.courtyard(courtyard) is None:
        raise click.ClickException("理事会账号需要 --courtyard，且必须是配置里的楼院 id（如 c3）")
    try:
        with obj.steward().session() as session:
            add_user(session, username, name, password, role, courtyard)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已添加账号 {username}（{role}）")


@user.command("passwd")
@click.argument("username")
@click.password_option(envvar="STEWARD_NEW_USER_PASSWORD")
@click.pass_obj
def user_passwd(obj: Any, username: str, password: str) -> None:
    """Set a new password for an existing account; its sessions end."""
    try:
        with obj.steward().session() as session:
            set_password(session, username, password)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已为 {username} 设置新密码（原有登录已全部失效）")


def _set_active(obj: Any, username: str, active: bool) -> None:
    try:
        with obj.steward().session() as session:
            set_active(session, username, active)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None


@user.command("disable")
@click.argument("username")
@click.pass_obj
def user_disable(obj: Any, username: str) -> None:
    """Disable an account: it cannot log in and its sessions end."""
    _set_active(obj, username, False)
    click.echo(f"已停用账号 {username}（原有登录已全部失效）")


@user.command("enable")
@click.argument("username")
@click.pass_obj
def user_enable(obj: Any, username: str) -> None:
    _set_active(obj, username, True)
    click.echo(f"已启用账号 {username}")


@user.command("unlock")
@click.argument("username")
@click.pass_obj
def user_unlock(obj: Any, username: str) -> None:
    """Clear the login failure counters of an account (every address)."""
    n = unlock(obj.steward().redis, username)
    click.echo(f"已解除 {username} 的登录限制（清除 {n} 个计数）")
