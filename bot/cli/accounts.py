"""`steward user …` (add, passwd, disable / enable, unlock), `steward token …`, `steward config check`."""

from __future__ import annotations

from pathlib import Path

import click

from bot import config as config_mod
from bot.cli.context import Ctx, pass_ctx
from bot.cli.zh import ZhGroup
from bot.services.community.sync import config_differences
from bot.services.community.users import UserError, add_user, set_active, set_password, set_role
from bot.services.uow import audit
from bot.services.uow.steward import Steward
from bot.web.sessions import unlock
from bot.web.tokens import TokenError, add, list_tokens, revoke

PASSWORD_HELP = "新密码（不填则提示输入两次；也可用环境变量 STEWARD_NEW_USER_PASSWORD）"


def community_id(steward: Steward, key: str | None) -> int | None:
    """`--community KEY` (or its number) → the community's id; None when not given."""
    if key is None:
        return None
    found = steward.community_by_key(key.strip())
    if found is None:
        raise click.ClickException(f"没有编号为 {key} 的社区（steward community list 列出全部）")
    return found.id


@click.group(cls=ZhGroup, help="工作台账号：添加、设置密码、停用 / 启用、解除登录限制。")
def user() -> None:
    pass


@user.command("add", help="添加一个工作台账号（密码经询问后加密保存）。")
@click.argument("username", metavar="用户名")
@click.option("--name", required=True, help="显示的姓名")
@click.option("--role", type=click.Choice(["admin", "street", "staff", "council"]), default="staff", show_default=True,
              help="角色：admin 管理员，street 街道（看全部社区），staff 社区工作人员，council 理事会")
@click.option("--courtyard", default=None, help="理事会账号所属楼院 id，如 c3")
@click.option("--community", default=None, help="工作人员、理事会账号所属社区的编号（steward community list）；不填为第一个社区")
@click.password_option(envvar="STEWARD_NEW_USER_PASSWORD", prompt="密码", help=PASSWORD_HELP)
@pass_ctx
def user_add(obj: Ctx, username: str, name: str, role: str, courtyard: str | None, community: str | None,
             password: str) -> None:
    steward = obj.steward()
    cid = community_id(steward, community)
    if role == "council" and steward.for_community(cid).config.courtyard(courtyard) is None:
        raise click.ClickException("理事会账号需要 --courtyard，且必须是这个社区的楼院 id（如 c3）")
    try:
        with steward.session() as session:
            add_user(session, username, name, password, role, courtyard, community=cid)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已添加账号 {username}（{role}）")


@user.command("passwd", help="为已有账号设置新密码；该账号原有的登录全部失效。")
@click.argument("username", metavar="用户名")
@click.password_option(envvar="STEWARD_NEW_USER_PASSWORD", prompt="密码", help=PASSWORD_HELP)
@pass_ctx
def user_passwd(obj: Ctx, username: str, password: str) -> None:
    try:
        with obj.steward().session() as session:
            set_password(session, username, password)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已为 {username} 设置新密码（原有登录已全部失效）")


@user.command("role", help="修改账号的角色（理事会账号需指定楼院）；该账号原有的登录全部失效。")
@click.argument("username", metavar="用户名")
@click.option("--role", type=click.Choice(["admin", "staff", "council"]), required=True,
              help="角色：admin 管理员，staff 工作人员，council 理事会")
@click.option("--courtyard", default=None, help="理事会账号所属楼院 id，如 c3")
@pass_ctx
def user_role(obj: Ctx, username: str, role: str, courtyard: str | None) -> None:
    if role == "council" and obj.steward().config.courtyard(courtyard) is None:
        raise click.ClickException("理事会账号需要 --courtyard，且必须是已有的楼院 id（如 c3）")
    try:
        with obj.steward().session() as session:
            set_role(session, username, role, courtyard)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已将 {username} 改为 {role}（原有登录已全部失效）")


def _set_active(obj: Ctx, username: str, active: bool) -> None:
    try:
        with obj.steward().session() as session:
            set_active(session, username, active)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None


@user.command("disable", help="停用账号：不能再登录，原有登录全部失效。")
@click.argument("username", metavar="用户名")
@pass_ctx
def user_disable(obj: Ctx, username: str) -> None:
    _set_active(obj, username, False)
    click.echo(f"已停用账号 {username}（原有登录已全部失效）")


@user.command("enable", help="重新启用一个停用的账号。")
@click.argument("username", metavar="用户名")
@pass_ctx
def user_enable(obj: Ctx, username: str) -> None:
    _set_active(obj, username, True)
    click.echo(f"已启用账号 {username}")


@user.command("unlock", help="清除账号在所有地址上的登录失败计数（被锁时由管理员解锁）。")
@click.argument("username", metavar="用户名")
@pass_ctx
def user_unlock(obj: Ctx, username: str) -> None:
    steward = obj.steward()
    n = unlock(steward.redis, username)
    with steward.session() as session:
        audit.record(session, "cli", "user_unlock", f"账号 {username}", after={"counters": n})
    click.echo(f"已解除 {username} 的登录限制（清除 {n} 个计数）")


@click.group("config", cls=ZhGroup, help="配置文件。")
def config_group() -> None:
    pass


@config_group.command("check", help="按 serve 和 worker 的要求检查配置，列出每个问题（中英文），有问题时退出码为 1。")
@click.option("--dev", "dev_only", is_flag=True, help="只按 steward dev 的要求检查（允许示例值和沙箱）")
@pass_ctx
def config_check(obj: Ctx, dev_only: bool) -> None:
    previous = config_mod.set_run_mode(config_mod.RunMode.DEV) if dev_only else None
    try:
        cfg = config_mod.load(obj.config_path)
        problems = [] if dev_only else config_mod.deployment_problems(cfg)
        if problems:
            raise config_mod.ConfigError(source=cfg.source, problems=problems)
    except config_mod.ConfigError as exc:
        raise click.ClickException(exc.report()) from None
    finally:
        if previous is not None:
            config_mod.set_run_mode(previous)
    click.echo(f"{cfg.source}: 配置无误 / config OK")
    for line in directory_differences(cfg):
        click.echo(f"与数据库不一致（以数据库为准，未应用）：{line}")


def directory_differences(cfg: config_mod.Config) -> list[str]:
    """The config against the seeded directory; nothing when the database cannot be read."""
    url = cfg.database_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return []  # never create a database just to compare it
    try:
        return config_differences(Steward(cfg))
    except Exception:  # noqa: BLE001 — no database yet: there is nothing to disagree with
        return []


@click.group(cls=ZhGroup, help="JSON 接口令牌（只显示一次，按 sha256 保存）。")
def token() -> None:
    pass


@token.command("add", help="新建一个接口令牌并显示一次。")
@click.argument("name", metavar="名称")
@click.option("--role", type=click.Choice(["read", "write"]), default="read", show_default=True,
              help="read 只读，write 可写")
@click.option("--courtyard", default=None, help="只能看这个楼院（如 c3）；不填为全部楼院")
@click.option("--community", default=None, help="只能看这个社区（编号，见 steward community list）；不填为全部社区")
@pass_ctx
def token_add(obj: Ctx, name: str, role: str, courtyard: str | None, community: str | None) -> None:
    steward = obj.steward()
    try:
        with steward.session() as session:
            value, _ = add(session, obj.config(), name, role, courtyard, community=community_id(steward, community))
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已添加令牌 {name}（{role}{'，' + courtyard if courtyard else ''}）。只显示这一次，请妥善保存：")
    click.echo(value)


@token.command("list", help="列出所有接口令牌（不显示令牌本身）。")
@pass_ctx
def token_list(obj: Ctx) -> None:
    with obj.steward().session() as session:
        for t in list_tokens(session):
            state = f"已吊销 {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "有效"
            click.echo(f"{t.name}\t{t.role}\t{t.courtyard_id or '全部楼院'}\t{t.created_at:%Y-%m-%d}\t{state}")


@token.command("revoke", help="吊销一个接口令牌。")
@click.argument("name", metavar="名称")
@pass_ctx
def token_revoke(obj: Ctx, name: str) -> None:
    with obj.steward().session() as session:
        n = revoke(session, name)
    if not n:
        raise click.ClickException(f"没有名为 {name} 的有效令牌")
    click.echo(f"已吊销令牌 {name}")
