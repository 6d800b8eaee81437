"""Binding a council member to WeChat by a QR code, never by a typed openid.

Staff invite (a member row without openid + a single-use scene); the system asks WeChat for a
temporary QR code with that scene. The person scans it (SCAN with EventKey = scene, or subscribe
with `qrscene_` + scene), is asked 您是…吗？回复 是, and on 是 the scanner's openid is bound.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis as redis_lib
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain.clock import to_local, utcnow
from bot.services.community.members import (
    DirectoryError,
    MemberInput,
    add_member,
    changed,
    courtyard_row,
    ensure_seeded,
)
from bot.services.uow import audit
from bot.storage.models import CouncilMember, MemberInvitation
from bot.wechat.client import StewardClient

PREFIX = "inv_"
PENDING_KEY = "steward:invite:pending:{}"
PENDING_SECONDS = 600
YES = ("是", "是的", "是我", "对", "对的", "嗯", "确认")


@dataclass(frozen=True)
class Invitation:
    member_id: int
    scene: str
    qr_url: str
    expires_at: datetime  # naive UTC

    def to_dict(self) -> dict:
        return {"member_id": self.member_id, "scene": self.scene, "qr_url": self.qr_url,
                "expires_at": to_local(self.expires_at).isoformat(timespec="seconds")}


def invite(session: Session, config: Config, client: StewardClient, member_id: int | None = None,
           data: MemberInput | None = None, hours: float = 72, actor: str = "system",
           address: str | None = None) -> Invitation:
    """A new member (`data`) or an existing one not yet bound (`member_id`), and a QR code for him."""
    cid = ensure_seeded(session, config)
    if data is not None:
        member = add_member(session, config, data, actor, address)
    else:
        row = session.get(CouncilMember, member_id) if member_id is not None else None
        if row is None or row.community_id != cid or not row.active:
            raise DirectoryError(f"没有编号为 {member_id} 的在任理事会成员")
        courtyard_row(session, cid, row.courtyard_id)
        member = row
    scene = PREFIX + secrets.token_urlsafe(12)
    seconds = int(hours * 3600)
    answer = client.create_qrcode(scene, expire_seconds=seconds)
    expires_at = utcnow() + timedelta(seconds=int(answer.get("expire_seconds") or seconds))
    qr_url = client.qrcode_image_url(str(answer["ticket"]))
    session.add(MemberInvitation(community_id=cid, member_id=member.id, scene=scene, qr_ticket=str(answer["ticket"]),
                                 qr_url=qr_url, expires_at=expires_at, created_by=actor))
    session.flush()
    audit.record(session, actor, "member_invite", f"理事会成员 {member.name}（{member.courtyard_id}，编号 {member.id}）",
                 None, {"expires_at": to_local(expires_at).isoformat(timespec="minutes")}, address)
    return Invitation(member.id, scene, qr_url, expires_at)


def _usable(session: Session, scene: str) -> tuple[MemberInvitation, CouncilMember] | str:
    inv = session.scalars(select(MemberInvitation).where(MemberInvitation.scene == scene)).first()
    if inv is None:
        return "这个二维码不是有效的理事会邀请，请联系社区工作人员。"
    if inv.used_at is not None:
        return "这个邀请二维码已经用过了，每个邀请只能用一次。如需重新绑定，请联系社区工作人员重新生成。"
    if inv.expires_at <= utcnow():
        return "这个邀请二维码已过期，请联系社区工作人员重新生成。"
    member = session.get(CouncilMember, inv.member_id)
    if member is None or not member.active:
        return "这个邀请已经取消，请联系社区工作人员。"
    return inv, member


def is_invitation(scene: str | None) -> bool:
    return bool(scene) and str(scene).removeprefix("qrscene_").startswith(PREFIX)


def on_scan(session: Session, config: Config, redis: redis_lib.Redis, openid: str, scene: str) -> str:
    """The reply to a scan of an invitation: the question, or a polite refusal."""
    scene = scene.removeprefix("qrscene_")
    found = _usable(session, scene)
    if isinstance(found, str):
        return found
    _, member = found
    redis.set(PENDING_KEY.format(openid), scene, ex=PENDING_SECONDS)
    return (f"您是{config.courtyard_name(member.courtyard_id)}理事会的{member.name}（{member.role}）吗？"
            f"回复 是 即可绑定，以后本院的事项会发到这里。")


def pending(redis: redis_lib.Redis, openid: str) -> str | None:
    value = redis.get(PENDING_KEY.format(openid))
    return None if value is None else str(value)


def on_answer(session: Session, config: Config, redis: redis_lib.Redis, openid: str, text: str) -> str | None:
    """The answer to 您是…吗？: the reply when it was one (None: not about the invitation)."""
    scene = pending(redis, openid)
    if scene is None:
        return None
    redis.delete(PENDING_KEY.format(openid))
    if text.strip().rstrip("。!！") not in YES:
        return None  # anything else is an ordinary message; the question lapses
    found = _usable(session, scene)
    if isinstance(found, str):
        return found
    inv, member = found
    holder = session.scalars(select(CouncilMember).where(CouncilMember.openid == openid)).first()
    if holder is not None and holder.id != member.id:
        if holder.active:
            return (f"这个微信已绑定为{config.courtyard_name(holder.courtyard_id)}理事会的{holder.name}，"
                    f"不能再绑定。如有变动请联系社区工作人员。")
        holder.openid = None  # a member who left and comes back: his old row keeps its history
        session.flush()
    member.openid, member.reachable, member.unreachable_reason = openid, True, None
    inv.used_at, inv.used_by = utcnow(), openid
    changed(session)
    audit.record(session, openid, "member_bind", f"理事会成员 {member.name}（{member.courtyard_id}，编号 {member.id}）",
                 None, {"bound": True})
    return (f"绑定成功！欢迎加入{config.courtyard_name(member.courtyard_id)}理事会，{member.name}。"
            f"本院的事项会发到这里；收到任务回复「接单 编号」，办完回复「办结 编号」。")
