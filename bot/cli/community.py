"""`steward member …` and `steward courtyard …`: the community's directory from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from bot.app import create_app
from bot.cli.zh import ZhGroup
from bot.services.community import invitations, members
from bot.services.dispatch import departures
from bot.services.privacy import erasure
from bot.services.uow.steward import Steward
from bot.web import council_admin
from bot.wechat.client import shared_client
from bot.wechat.errors import WeChatError


def _steward(ctx: click.Context) -> Steward:
    return ctx.obj.steward()


def _echo(data: object, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, ensure_ascii=False) if as_json else text)


@click.group(cls=ZhGroup, help="理事会成员：扫码邀请、列出、停用。")
def member() -> None:
    pass


@member.command("invite", help="新增成员（或为未绑定的成员重发），生成一次性的邀请二维码。")
@click.option("--courtyard", required=True, help="楼院编号，如 c3")
@click.option("--name", required=True, help="姓名")
@click.option("--role", default="成员", show_default=True, type=click.Choice(members.ROLES), help="角色")
@click.option("--skills", default="", help="技能，逗号分隔，如 维修,调解")
@click.option("--phone", default=None, help="电话（照原样保存）")
@click.option("--member-id", type=int, default=None, help="为已有但未绑定的成员重新生成邀请")
@click.option("--hours", default=72.0, show_default=True, help="二维码有效小时数（最长 720）")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def member_invite(ctx: click.Context, courtyard: str, name: str, role: str, skills: str, phone: str | None,
                  member_id: int | None, hours: float, as_json: bool) -> None:
    if not 0 < hours <= 720:
        raise click.ClickException("有效时间应在 0 到 720 小时之间")
    steward = _steward(ctx)
    data = None if member_id else members.MemberInput(
        courtyard=courtyard, name=name, role=role, phone=phone,
        skills=tuple(s for s in skills.replace("，", ",").split(",") if s.strip()))
    try:
        with steward.session() as s:
            inv = invitations.invite(s, steward.config, shared_client(steward.config, steward.redis),
                                     member_id=member_id, data=data, hours=hours, actor="cli")
    except members.DirectoryError as exc:
        raise click.ClickException(str(exc)) from None
    except WeChatError as exc:
        raise click.ClickException(f"微信未能生成二维码（{exc.code}: {exc.message}）") from None
    _echo(inv.to_dict(), as_json, f"请让 {name} 用微信扫描这个二维码（{inv.expires_at:%Y-%m-%d %H:%M} UTC 前有效，只能用一次）：\n"
          f"{inv.qr_url}")


@member.command("list", help="列出理事会成员。")
@click.option("--courtyard", default=None, help="只列这个楼院，如 c3")
@click.option("--all", "include_inactive", is_flag=True, help="包括已停用的成员")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def member_list(ctx: click.Context, courtyard: str | None, include_inactive: bool, as_json: bool) -> None:
    steward = _steward(ctx)
    with steward.session() as s:
        rows = [members.member_dict(r, steward.config)
                for r in members.list_members(s, steward.file_config, courtyard, include_inactive)]
    lines = [f"{r['id']:>4}  {r['courtyard']:<5} {r['name']:<6} {r['role']:<4} {','.join(r['skills']):<10} "
             f"{'已绑定' if r['bound'] else '未绑定'}{'' if r['active'] else ' 已停用'}" for r in rows]
    _echo(rows, as_json, "\n".join(lines) or "（没有成员）")


@member.command("remove", help="停用一位成员；他未办完的事项按派单规则转给下一位。")
@click.argument("member_id", type=int, metavar="成员编号")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def member_remove(ctx: click.Context, member_id: int, as_json: bool) -> None:
    steward = _steward(ctx)
    try:
        moved = departures.member_leaves(steward, member_id, actor="cli")
    except members.DirectoryError as exc:
        raise click.ClickException(str(exc)) from None
    _echo({"member_id": member_id, "reassigned": moved}, as_json,
          f"已停用；{len(moved)} 件未办完的事项已转交：{'、'.join(moved) or '无'}")


@click.group(cls=ZhGroup, help="楼院：带永久二维码的张贴海报。")
def courtyard() -> None:
    pass


@courtyard.command("poster", help="生成楼院的 A4 张贴海报（带永久二维码，扫码即归到该楼院）。")
@click.argument("key", metavar="楼院编号")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="写到这个 HTML 文件（二维码内嵌在文件里，用浏览器打印成 A4）")
@click.pass_context
def courtyard_poster(ctx: click.Context, key: str, out: Path) -> None:
    app = create_app({"STEWARD_CONFIG": ctx.obj.config()})
    try:
        with app.test_request_context("/admin/courtyards"):
            html = council_admin.render_poster(key, standalone=True)
    except members.DirectoryError as exc:
        raise click.ClickException(str(exc)) from None
    except WeChatError as exc:
        raise click.ClickException(f"微信未能生成二维码（{exc.code}: {exc.message}）") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    click.echo(f"{key} 的海报 → {out}")


@click.group(cls=ZhGroup, help="居民：按本人要求删除个人信息（个人信息保护法）。")
def resident() -> None:
    pass


@resident.command("erase", help="删除一位居民的姓名、电话、住址、留言原话、照片语音、报名信息和对话状态；"
                                "工单保留（匿名），三率和台账照常统计。不可恢复。")
@click.argument("who", metavar="OPENID或电话")
@click.option("--yes", is_flag=True, help="不再询问，直接删除")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@click.pass_context
def resident_erase(ctx: click.Context, who: str, yes: bool, as_json: bool) -> None:
    if not yes:
        click.confirm(f"确定删除居民 {who} 的个人信息吗？删除后不可恢复", abort=True)
    try:
        done = erasure.erase(_steward(ctx), who, actor="cli")
    except erasure.ErasureError as exc:
        raise click.ClickException(str(exc)) from None
    _echo(done.to_dict(), as_json, done.summary())
