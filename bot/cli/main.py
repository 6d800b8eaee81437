"""`steward`: the command line (click, in Chinese: bot/cli/zh.py)."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click
from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.app import create_app
from bot.cli.accounts import community_id, config_group, token, user
from bot.cli.chat import run_chat
from bot.cli.communities import community
from bot.cli.community import courtyard, member, resident
from bot.cli.context import Ctx, pass_ctx
from bot.cli.demo import demo, seed_for_dev
from bot.cli.devserver import run_dev
from bot.cli.pdf import to_pdf
from bot.cli.zh import CONFIG_HELP, ZhGroup, use_config
from bot.config import logs
from bot.sandbox.standalone import create_sandbox_app
from bot.services.community import menu as menu_service
from bot.services.community.sync import sync_from_config
from bot.services.community.training import train_from_db
from bot.services.digest import build as digest_service
from bot.services.dispatch import workcalendar
from bot.services.inbound.replay import replay as run_replay
from bot.services.uow.steward import Steward
from bot.storage.migrate import upgrade
from bot.web import digest as digest_page
from bot.wechat.errors import WeChatError
from handlers.classify import classify_lines
from handlers.courtyard import locate
from workers.run import run_worker

NO_TABLES = "数据库里还没有数据表：先运行 steward dev（或 steward db upgrade）"


@click.group(cls=ZhGroup, help="楼院管家：社区公众号的后台。每个命令都接受 --config（放在子命令前后均可）。")
@click.option("--config", "config_path", envvar="STEWARD_CONFIG", type=click.Path(dir_okay=False), metavar="文件",
              help=CONFIG_HELP)
@click.pass_context
def main(ctx: click.Context, config_path: str | None) -> None:
    ctx.obj = Ctx(None)
    if config_path:
        use_config(ctx, config_path)


main.add_command(user)
main.add_command(token)
main.add_command(config_group)
main.add_command(demo)
main.add_command(member)
main.add_command(courtyard)
main.add_command(resident)
main.add_command(community)


@main.group(help="数据库：迁移与同步。")
def db() -> None:
    pass


@db.command("upgrade", help="执行数据库迁移，并按配置同步理事会成员、常见问题、外部单位和工作台账号（只在数据库为空时复制）。")
@click.option("--revision", default="head", show_default=True, help="迁移到哪个版本")
@pass_ctx
def db_upgrade(obj: Ctx, revision: str) -> None:
    cfg = obj.config()
    upgrade(cfg.database_url, revision)
    steward = obj.steward()
    differences = sync_from_config(steward)
    click.echo(f"数据库已升级：{_safe_url(cfg.database_url)}")
    if differences:
        click.echo(f"配置文件与数据库中的楼院/理事会/常见问题/外部单位有 {len(differences)} 处不一致（以数据库为准，未应用；"
                   f"详见 steward config check）")
    if revision == "head" and cfg.calendar.seed_from_package:
        with steward.session() as s:
            added = workcalendar.seed(s)
        years = workcalendar.package_years()
        click.echo(f"节假日日历：从 chinesecalendar 补入 {added} 天（已知 {years[0]}–{years[-1]} 年）")


@main.command(help="运行网页（开发用服务器；正式部署用 gunicorn，见 README）。")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=5000, type=int, show_default=True, help="端口")
@pass_ctx
def serve(obj: Ctx, host: str, port: int) -> None:
    create_app({"STEWARD_CONFIG": obj.service_config()}).run(host=host, port=port, threaded=True)


@main.command(help="运行一个后台 worker（带调度器：派单、推送、期限检查、回访）。")
@click.option("--burst", is_flag=True, help="处理完队列就退出")
@click.option("--fork", is_flag=True, help="每个任务在单独的子进程里运行（更隔离，但更慢）")
@pass_ctx
def worker(obj: Ctx, burst: bool, fork: bool) -> None:
    cfg = obj.service_config()
    logs.setup(cfg.log.json_lines)
    run_worker(Steward(cfg), burst=burst, simple=not fork)


@main.command(help="单独运行模拟的微信接口（沙箱，开发和测试用）。")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=5001, type=int, show_default=True, help="端口")
@pass_ctx
def sandbox(obj: Ctx, host: str, port: int) -> None:
    create_sandbox_app(obj.dev_config()).run(host=host, port=port, threaded=True)


@main.command(help="在终端里和公众号聊天：每行按微信的方式签名（安全模式下加密）后发给 webhook，推送随到随显示。")
@click.option("--as", "openid", required=True, help="以哪个 openid 的身份发消息，如 o-demo-resident-1")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="webhook 所在地址")
@pass_ctx
def chat(obj: Ctx, openid: str, url: str) -> None:
    run_chat(obj.dev_config(), openid, url)


@main.command(help="从标准输入逐行读取居民的话，每行输出一个 JSON（类别、子类、置信度、楼院）。")
@pass_ctx
def classify(obj: Ctx) -> None:
    courtyards = obj.dev_config().courtyards
    for row in classify_lines((line.rstrip("\n") for line in sys.stdin), lambda t: locate(t, courtyards)):
        click.echo(json.dumps(row, ensure_ascii=False))


@main.command(help="用语料和工作人员的改类记录重新训练分类模型。")
@pass_ctx
def train(obj: Ctx) -> None:
    with obj.steward().session() as session:
        path = train_from_db(session)
    click.echo(f"模型已更新：{path}")


@main.command(help="重放处理失败的消息，以及数据库停机时暂存的消息。")
@click.option("--limit", default=1000, type=int, show_default=True, help="最多重放多少条")
@pass_ctx
def replay(obj: Ctx, limit: int) -> None:
    done = run_replay(obj.steward(), limit)
    click.echo(f"重放完成：成功 {done.ok} 条，失败 {done.failed} 条，有毒消息 {done.poison} 条（已标记 poison 并跳过）")
    if done.failed:  # the database, not a message: worth a non-zero exit
        sys.exit(1)


@main.command(help="生成「育英社情」月报：话题、三率、每月一题、好人好事、活动（可打印成 A4）。")
@click.option("--month", default=None, help="哪个月，YYYY-MM（默认上个月）")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="写到这个文件：.html（可直接打印成 A4），或 .pdf（需要装有 chromium）")
@click.option("--pdf", is_flag=True, help="另存一份同名的 PDF（需要装有 chromium）")
@pass_ctx
def digest(obj: Ctx, month: str | None, out: Path, pdf: bool) -> None:
    ym = digest_page.parse_month(month)
    if ym is None:
        raise click.BadParameter("月份应写成 YYYY-MM，如 2026-11", param_hint="--month")
    cfg = obj.dev_config()
    app = create_app({"STEWARD_CONFIG": cfg})
    steward = app.extensions["steward"]
    try:
        with app.test_request_context("/staff/digest/"):
            with steward.session() as s:
                d = digest_service.build(s, cfg, ym[0], ym[1], redis=steward.redis)
            html = digest_page.render(d, standalone=True)
            article = digest_page.article(d) if cfg.digest.wechat_draft else None
    except (OperationalError, ProgrammingError):
        raise click.ClickException(f"{NO_TABLES}（{_safe_url(cfg.database_url)}）") from None
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


@main.group(help="公众号自定义菜单（配置里的 [[menu.button]]）。")
def menu() -> None:
    pass


@menu.command("show", help="按微信的规则检查配置的菜单，并打印 menu/create 的请求体。")
@pass_ctx
def menu_show(obj: Ctx) -> None:
    try:
        body = menu_service.payload(obj.dev_config())
    except menu_service.MenuError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(body, ensure_ascii=False, indent=2))


@menu.command("push", help="按微信的规则检查菜单并发布（menu/create）。")
@click.option("--community", default=None, help="发布到这个社区自己的公众号（编号，见 steward community list）")
@pass_ctx
def menu_push(obj: Ctx, community: str | None) -> None:
    steward = obj.steward()
    steward = steward.for_community(community_id(steward, community))
    try:
        body = menu_service.publish(steward)
    except menu_service.MenuError as exc:
        raise click.ClickException(str(exc)) from None
    except WeChatError as exc:
        raise click.ClickException(f"微信拒绝了菜单（{exc.code}: {exc.message}）") from None
    names = "、".join(b["name"] for b in body["button"])
    click.echo(f"菜单已发布：{names}（{steward.config.wechat.app_id}，{steward.config.wechat.api_base_url}）")


@main.command(help="一条命令启动全部：内置 Redis、SQLite、迁移、微信沙箱、网页和一个 worker。")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址")
@click.option("--port", default=5000, type=int, show_default=True, help="端口")
@click.option("--no-worker", is_flag=True, help="不启动后台 worker")
@click.option("--demo", is_flag=True, help="先填入一个月的示例数据（工单、事件、评价、月报；明确标为示例）")
@pass_ctx
def dev(obj: Ctx, host: str, port: int, no_worker: bool, demo: bool) -> None:
    cfg = obj.dev_config()  # sample secrets and the sandbox are fine here
    if demo:
        click.echo(seed_for_dev(cfg))
    run_dev(cfg, host, port, with_worker=not no_worker)



def _safe_url(url: str) -> str:
    """A database URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.INFO)
    main()
