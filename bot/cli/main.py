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
from bot.cli import accounts
from bot.cli.chat import run_chat
from bot.cli.devserver import run_dev
from bot.cli.pdf import to_pdf
from bot.sandbox.standalone import create_sandbox_app
from bot.services.community import menu as menu_service
from bot.services.community import workcalendar
from bot.services.community.sync import sync_from_config
from bot.services.digest import build as digest_service
from bot.services.inbound.replay import replay as run_replay
from bot.services.inbound.training import train_from_db
from bot.services.uow.steward import Steward
from bot.storage.migrate import upgrade
from bot.web import digest as digest_page
from bot.web.tokens import TokenError, add, list_tokens, revoke
from bot.wechat.errors import WeChatError
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
            raise click.ClickException(exc.report()) from None

    def service_config(self) -> config_mod.Config:
        """The config of a long-running service (`serve`, `worker`): no sample secrets, no sandbox."""
        cfg = self.config()
        try:
            config_mod.ensure_deployable(cfg)
        except config_mod.ConfigError as exc:
            raise click.ClickException(exc.report() + "\n（开发环境请用 steward dev / for development use `steward dev`）") from None
        return cfg

    def steward(self):
        return Steward(self.config())


pass_ctx = click.make_pass_decorator(Ctx)


@click.group()
@click.option("--config", "config_path", envvar="STEWARD_CONFIG", type=click.Path(dir_okay=False),
              help="配置文件（默认 config.toml；只有 steward dev 在没有时用 config.example.toml）")
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
    steward = obj.steward()
    sync_from_config(steward)
    click.echo(f"数据库已升级：{_safe_url(cfg.database_url)}")
    if revision == "head" and cfg.calendar.seed_from_package:
        with steward.session() as s:
            added = workcalendar.seed(s)
        years = workcalendar.package_years()
        click.echo(f"节假日日历：从 chinesecalendar 补入 {added} 天（已知 {years[0]}–{years[-1]} 年）")


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@pass_ctx
def serve(obj: Ctx, host: str, port: int) -> None:
    """Run the web app (development server; use gunicorn in production, see README)."""
    create_app({"STEWARD_CONFIG": obj.service_config()}).run(host=host, port=port, threaded=True)


@main.command()
@click.option("--burst", is_flag=True, help="处理完队列就退出")
@click.option("--fork", is_flag=True, help="每个任务在单独的子进程里运行（更隔离，但更慢）")
@pass_ctx
def worker(obj: Ctx, burst: bool, fork: bool) -> None:
    """Run an RQ worker with the scheduler (delayed jobs, retries, periodic sweeps)."""
    run_worker(Steward(obj.service_config()), burst=burst, simple=not fork)


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
    """Chat with the bot from the terminal, signed as WeChat signs (a dev tool: `steward dev`'s sample
    config is fine here, as it is for `steward dev` itself)."""
    config_mod.set_run_mode(config_mod.RunMode.DEV)
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


@main.command()
@click.option("--month", default=None, help="哪个月，YYYY-MM（默认上个月）")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="写到这个文件：.html（可直接打印成 A4），或 .pdf（需要装有 chromium）")
@click.option("--pdf", is_flag=True, help="另存一份同名的 PDF（需要装有 chromium）")
@pass_ctx
def digest(obj: Ctx, month: str | None, out: Path, pdf: bool) -> None:
    """The monthly 育英社情 digest: topics, rates, 每月一题, 好人好事, events (printable A4)."""
    ym = digest_page.parse_month(month)
    if ym is None:
        raise click.BadParameter("月份应写成 YYYY-MM，如 2026-11", param_hint="--month")
    cfg = obj.config()
    app = create_app({"STEWARD_CONFIG": cfg})
    steward = app.extensions["steward"]
    with app.test_request_context("/staff/digest/"):
        with steward.session() as s:
            d = digest_service.build(s, cfg, ym[0], ym[1], redis=steward.redis)
        html = digest_page.render(d, standalone=True)
        article = digest_page.article(d) if cfg.digest.wechat_draft else None
    html_path = out.with_suffix(".html") if out.suffix.lower() == ".pdf" else out
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(html, encoding="utf-8")
    top = d.sections[0]
    click.echo(f"{d.title} {ym[0]}年{ym[1]}月：{top.total} 件诉求，{len(top.topics)} 个话题 → {html_path}")
    if pdf or out.suffix.lower() == ".pdf":
        target = out if out.suffix.lower() == ".pdf" else out.with_suffix(".pdf")
        if to_pdf(html_path, target):
            click.echo(f"PDF → {target}")
        else:
            click.echo("没有可用的 PDF 转换器（chromium），已跳过 PDF；HTML 可在浏览器里打印成 A4。")
    if article is not None:
        try:
            media_id = digest_service.save_draft(cfg, steward.redis, digest_service.draft_article(cfg, d, article))
        except digest_service.DraftError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"已保存为公众号草稿：{media_id}")


@main.group()
def menu() -> None:
    """The account's custom menu (`[[menu.button]]` in the config)."""


@menu.command("show")
@pass_ctx
def menu_show(obj: Ctx) -> None:
    """Check the configured menu and print the menu/create body."""
    try:
        body = menu_service.payload(obj.config())
    except menu_service.MenuError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(body, ensure_ascii=False, indent=2))


@menu.command("push")
@pass_ctx
def menu_push(obj: Ctx) -> None:
    """Check the configured menu against WeChat's rules and publish it (menu/create)."""
    try:
        body = menu_service.publish(obj.steward())
    except menu_service.MenuError as exc:
        raise click.ClickException(str(exc)) from None
    except WeChatError as exc:
        raise click.ClickException(f"微信拒绝了菜单（{exc.code}: {exc.message}）") from None
    names = "、".join(b["name"] for b in body["button"])
    click.echo(f"菜单已发布：{names}（{obj.config().wechat.api_base_url}）")


@main.group("config")
def config_group() -> None:
    """The configuration file."""


@config_group.command("check")
@click.option("--dev", "dev_only", is_flag=True, help="只按 steward dev 的要求检查（允许示例值和沙箱）")
@pass_ctx
def config_check(obj: Ctx, dev_only: bool) -> None:
    """Validate the config (as `serve` and `worker` would) and print every problem in Chinese and English."""
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
@main.group()
def token() -> None:
    """API tokens (stored as sha256; shown once)."""


@token.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["read", "write"]), default="read")
@click.option("--courtyard", default=None, help="只能看这个楼院（如 c3）；不填为全部楼院")
@pass_ctx
def token_add(obj: Ctx, name: str, role: str, courtyard: str | None) -> None:

    try:
        with obj.steward().session() as session:
            value, _ = add(session, obj.config(), name, role, courtyard)
    except TokenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"已添加令牌 {name}（{role}{'，' + courtyard if courtyard else ''}）。只显示这一次，请妥善保存：")
    click.echo(value)


@token.command("list")
@pass_ctx
def token_list(obj: Ctx) -> None:

    with obj.steward().session() as session:
        for t in list_tokens(session):
            state = f"已吊销 {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "有效"
            click.echo(f"{t.name}\t{t.role}\t{t.courtyard_id or '全部楼院'}\t{t.created_at:%Y-%m-%d}\t{state}")


@token.command("revoke")
@click.argument("name")
@pass_ctx
def token_revoke(obj: Ctx, name: str) -> None:

    with obj.steward().session() as session:
        n = revoke(session, name)
    if not n:
        raise click.ClickException(f"没有名为 {name} 的有效令牌")
    click.echo(f"已吊销令牌 {name}")


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--no-worker", is_flag=True, help="不启动后台 worker")
@pass_ctx
def dev(obj: Ctx, host: str, port: int, no_worker: bool) -> None:
    """Everything in one command: embedded Redis, SQLite, migrations, sandbox, web and a worker."""
    config_mod.set_run_mode(config_mod.RunMode.DEV)  # sample secrets and the sandbox are fine here
    run_dev(obj.config(), host, port, with_worker=not no_worker)


main.add_command(accounts.user)


def _safe_url(url: str) -> str:
    """A database URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.INFO)
    main()
