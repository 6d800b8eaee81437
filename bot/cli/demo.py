"""`steward demo seed` and `steward dev --demo`: the demo month (bot/cli/demo_data.py), for
`steward dev` only — refused for a config a service would run on, and for a database that already
holds tickets that are not the demo's."""

from __future__ import annotations

import click

from bot import config as config_mod
from bot.cli import demo_data
from bot.cli.context import Ctx, pass_ctx
from bot.cli.zh import ZhGroup
from bot.services.community.sync import sync_from_config
from bot.services.uow.steward import Steward
from bot.storage.migrate import upgrade


class DemoRefused(click.ClickException):
    pass


def seed_for_dev(cfg: config_mod.Config) -> str:
    """Migrate, sync and seed the dev database; the line to print."""
    if not config_mod.deployment_problems(cfg):
        raise DemoRefused("这份配置可以正式运行（steward serve 会接受它）：示例数据只用于 steward dev 的示例配置，"
                          "不会写进正式数据库。")
    upgrade(cfg.database_url)
    steward = Steward(cfg)
    sync_from_config(steward)
    with steward.session() as s:
        if not demo_data.has_demo(s) and demo_data.foreign_tickets(s):
            raise DemoRefused("数据库里已经有不是示例数据的工单：示例数据只写进空的开发数据库。"
                              "可以换一个数据库（STEWARD_DATABASE_URL）或删掉 var/steward.db 再试。")
        done = demo_data.seed(s, cfg, redis=steward.redis)
    if done.skipped:
        return "示例数据已经在数据库里，没有重复填入。"
    return (f"已填入示例数据：{done.residents} 位{demo_data.DEMO_NAME}、{done.tickets} 件工单、{done.events} 场活动"
            "（上个月 1 日到今天；工作台和公示栏会显示「示例数据」横幅）。")


@click.group(cls=ZhGroup, help="示例数据（只用于 steward dev）。")
def demo() -> None:
    pass


@demo.command("seed", help="填入一个月的示例工单、事件、评价、感谢和活动，供体验工作台；正式配置下拒绝运行。")
@pass_ctx
def demo_seed(obj: Ctx) -> None:
    click.echo(seed_for_dev(obj.dev_config()))
