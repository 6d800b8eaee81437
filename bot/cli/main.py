"""`steward`: the command line (click)."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

import click

from bot import config as config_mod
from bot.app import create_app
from bot.cli.chat import run_chat
from bot.cli.devserver import run_dev
from bot.sandbox.standalone import create_sandbox_app
from bot.services.replay import replay as run_replay
from bot.services.steward import Steward
from bot.services.sync import sync_from_config
from bot.services.training import train_from_db
from bot.services.users import UserError, add_user
from bot.storage.migrate import upgrade
from handlers.classify import classify_lines
from handlers.courtyard import locate
from workers.run import run_worker


class Ctx:
    def __init__(self, config_path: str | None) -> None:
        self.config_path = config_path

    def config(self) -> config_mod.Config:
        try:
            return config_mod.load(self.config_path)
        except config_mod.ConfigError as exc:
            raise click.ClickException(str(exc)) from None

    def steward(self):
        return Steward(self.config())


pass_ctx = click.make_pass_decorator(Ctx)


@click.group()
@click.option("--config", "config_path", envvar="STEWARD_CONFIG", type=click.Path(dir_okay=False),
              help="配置文件（默认 config.toml，没有则用 config.example.toml）")
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    """楼院管家 Courtyard Steward."""
    if config_path:
        # Child processes (the worker started by `steward dev`) must read the same file.
        os.environ["STEWARD_CONFIG"] = str(Path(config_path).resolve())
    ctx.obj = Ctx(config_path)


@main.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.option("--revision", default="head")
@pass_ctx
def db_upgrade(obj: Ctx, revision: str) -> None:
    """Apply migrations and sync council members and staff accounts from the config."""
    cfg = obj.config()
    upgrade(cfg.database_url, revision)
    sync_from_config(obj.steward())
    click.echo(f"数据库已升级：{_safe_url(cfg.database_url)}")


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@pass_ctx
def serve(obj: Ctx, host: str, port: int) -> None:
    """Run the web app (development server; use gunicorn in production, see README)."""
    create_app({"STEWARD_CONFIG": obj.config()}).run(host=host, port=port, threaded=True)


@main.command()
@click.option("--burst", is_flag=True, help="处理完队列就退出")
@click.option("--fork", is_flag=True, help="每个任务在单独的子进程里运行（更隔离，但更慢）")
@pass_ctx
def worker(obj: Ctx, burst: bool, fork: bool) -> None:
    """Run an RQ worker with the scheduler (delayed jobs, retries, periodic sweeps)."""
    run_worker(obj.steward(), burst=burst, simple=not fork)


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5001, type=int)
@pass_ctx
def sandbox(obj: Ctx, host: str, port: int) -> None:
    """Run the fake WeChat API on its own."""
    create_sandbox_app(obj.config()).run(host=host, port=port, threaded=True)


@main.command()
@click.option("--as", "openid", required=True, help="以哪个 openid 的身份发消息")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="webhook 所在地址")
@pass_ctx
def chat(obj: Ctx, openid: str, url: str) -> None:
    """Chat with the bot from the terminal, signed as WeChat signs."""
    run_chat(obj.config(), openid, url)


@main.command()
@pass_ctx
def classify(obj: Ctx) -> None:
    """Read lines on stdin, write one JSON object per line (category, courtyard …)."""
    courtyards = obj.config().courtyards
    for row in classify_lines((line.rstrip("\n") for line in sys.stdin), lambda t: locate(t, courtyards)):
        click.echo(json.dumps(row, ensure_ascii=False))


@main.command()
@pass_ctx
def train(obj: Ctx) -> None:
    """Retrain the classifier with the corpus plus staff reclassifications."""
    with obj.steward().session() as session:
        path = train_from_db(session)
    click.echo(f"模型已更新：{path}")


@main.command()
@click.option("--limit", default=1000, type=int)
@pass_ctx
def replay(obj: Ctx, limit: int) -> None:
    """Re-run messages that failed or were spooled while the database was down."""
    done = run_replay(obj.steward(), limit)
    click.echo(f"重放完成：成功 {done.ok} 条，失败 {done.failed} 条，有毒消息 {done.poison} 条（已标记 poison 并跳过）")
    if done.failed:  # the database, not a message: worth a non-zero exit
        sys.exit(1)


@main.group()
def user() -> None:
    """Workbench accounts."""


@user.command("add")
@click.argument("username")
@click.option("--name", required=True, help="显示的姓名")
@click.option("--role", type=click.Choice(["admin", "staff", "council"]), default="staff")
@click.option("--courtyard", default=None, help="理事会账号所属楼院 id，如 c3")
@click.password_option(envvar="STEWARD_NEW_USER_PASSWORD")
@pass_ctx
def user_add(obj: Ctx, username: str, name: str, role: str, courtyard: str | None, password: str) -> None:
    cfg = obj.config()
    if role == "council" and cfg.courtyard(courtyard) is None:
        raise click.ClickException("理事会账号需要 --courtyard，且必须是配置里的楼院 id（如 c3）")
    try:
        with obj.steward().session() as session:
            add_user(session, username, name, password, role, courtyard)
    except UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已添加账号 {username}（{role}）")


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--no-worker", is_flag=True, help="不启动后台 worker")
@pass_ctx
def dev(obj: Ctx, host: str, port: int, no_worker: bool) -> None:
    """Everything in one command: embedded Redis, SQLite, migrations, sandbox, web and a worker."""
    run_dev(obj.config(), host, port, with_worker=not no_worker)


def _safe_url(url: str) -> str:
    """A database URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.INFO)
    main()
