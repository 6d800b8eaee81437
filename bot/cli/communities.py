"""`steward community add / list`: the communities of one deployment (a 街道's)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bot.cli.zh import ZhGroup
from bot.config.fragment import FragmentError, parse
from bot.services.community import tenants
from bot.services.community.members import DirectoryError
from bot.services.community.sync import sync_from_config


@click.group(cls=ZhGroup, help="社区：一个部署（街道）下的多个社区。")
def community() -> None:
    pass


@community.command("add", help="从片段文件新建一个社区（[wechat] 自有公众号可不写，[[courtyards]]，可选 [[members]]）。")
@click.argument("key")
@click.option("--name", required=True, help="社区名称，如 新华路社区")
@click.option("--from", "source", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="片段文件（TOML，与配置文件同样的节）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def community_add(ctx: click.Context, key: str, name: str, source: Path, as_json: bool) -> None:
    steward = ctx.obj.steward()
    try:
        fragment = parse(source.read_text(encoding="utf-8"))
    except FragmentError as exc:
        raise click.ClickException(f"{source} 有问题：\n{exc}") from None
    sync_from_config(steward)  # the deployment's own community is 1: seeded first if it was not yet
    try:
        with steward.session() as s:
            row = tenants.add(s, key, name, fragment)
            cid = row.id
    except DirectoryError as exc:
        raise click.ClickException(str(exc)) from None
    url = f"{steward.file_config.public_url}/wechat/{key}"
    data = {"id": cid, "key": key, "name": name, "webhook": url, "own_account": fragment.wechat is not None}
    where = (f"公众号后台「服务器配置」的 URL 填：{url}" if fragment.wechat is not None
             else "共用部署的公众号：居民选的楼院决定所属社区")
    click.echo(json.dumps(data, ensure_ascii=False) if as_json
               else f"已新建社区 {name}（编号 {key}，第 {cid} 个），楼院 {len(fragment.all_courtyards)} 个。{where}")


@community.command("list", help="列出全部社区。")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def community_list(ctx: click.Context, as_json: bool) -> None:
    steward = ctx.obj.steward()
    with steward.session() as s:
        lines = tenants.list_all(s)
    if as_json:
        click.echo(json.dumps([line.to_dict() for line in lines], ensure_ascii=False))
        return
    if not lines:
        click.echo("还没有社区：先运行 steward db upgrade")
    for line in lines:
        click.echo(f"{line.key}\t{line.name}\t公众号 {line.account}\t楼院 {line.courtyards}\t成员 {line.members}"
                   f"\t工单 {line.tickets}")
