"""Issue 20 B: a council member is bound by an invitation QR code, never by a typed openid — staff
invite, the person scans and confirms, the next repair in the courtyard reaches him; an expired
or reused invitation is refused politely."""

from __future__ import annotations

from datetime import timedelta

import requests
from sqlalchemy import select

from bot.domain.clock import utcnow
from bot.services.community import invitations
from bot.services.community.members import MemberInput
from bot.storage.models import CouncilMember, MemberInvitation
from bot.wechat.client import shared_client
from tests.fixtures_dispatch import *  # noqa: F403

NEWCOMER = "o-test-newcomer"


def _invite(steward, name="张新来", order=0, hours=72.0):
    with steward.session() as s:
        inv = invitations.invite(s, steward.config, shared_client(steward.config, steward.redis),
                                 data=MemberInput(courtyard="c3", name=name, role="成员", skills=("维修",),
                                                  backup_order=order), hours=hours, actor="staff")
    return inv


def test_invite_scan_confirm_and_the_next_repair_reaches_the_new_member(chat, steward_live):
    inv = _invite(steward_live)
    png = requests.get(inv.qr_url, timeout=5)  # the sandbox's showqrcode: a real QR image
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png" and png.content[:4] == b"\x89PNG"
    chat.people["新人"] = NEWCOMER
    chat.lives("居民", "c3").play(f"""
        新人: [扫码] {inv.scene}
          < 您是育英街3号院理事会的张新来（成员）吗？回复 是
        新人: 是
          < 绑定成功 … 育英街3号院理事会
        居民: 3号院2号楼楼道灯不亮了
          < 工单号
        新人 << 【新任务】|R1001
        新人: 接单 R1001
          < 已接单 R1001
    """)
    (t,) = chat.tickets("居民")
    assert t.assignee_openid == NEWCOMER and t.status == "accepted"
    assert steward_live.config.member(NEWCOMER).name == "张新来"


def test_a_first_follow_through_the_invitation_asks_too(chat, steward_live):
    inv = _invite(steward_live)
    chat.people["新人"] = NEWCOMER
    chat.play(f"""
        新人: [关注扫码] {inv.scene}
          < 您是育英街3号院理事会的张新来
        新人: 不是
          <! 绑定成功
    """)
    assert steward_live.config.member(NEWCOMER) is None


def test_a_used_invitation_is_refused_politely(chat, steward_live):
    inv = _invite(steward_live)
    chat.people.update({"新人": NEWCOMER, "旁人": "o-test-stranger"})
    chat.play(f"""
        新人: [扫码] {inv.scene}
        新人: 是
          < 绑定成功
        旁人: [扫码] {inv.scene}
          < 已经用过 … 联系社区工作人员
        旁人: 是
          <! 绑定成功
    """)
    assert steward_live.config.member("o-test-stranger") is None
    assert steward_live.config.member(NEWCOMER) is not None


def test_an_expired_invitation_is_refused_politely(chat, steward_live):
    inv = _invite(steward_live)
    with steward_live.session() as s:
        row = s.scalars(select(MemberInvitation).where(MemberInvitation.scene == inv.scene)).one()
        row.expires_at = utcnow() - timedelta(minutes=1)
    chat.people["新人"] = NEWCOMER
    chat.play(f"""
        新人: [扫码] {inv.scene}
          < 已过期 … 重新生成
          <! 您是
    """)
    with steward_live.session() as s:
        member = s.scalars(select(CouncilMember).where(CouncilMember.name == "张新来")).one()
        assert member.openid is None


def test_expiry_between_the_scan_and_the_yes_is_refused(chat, steward_live):
    inv = _invite(steward_live)
    chat.people["新人"] = NEWCOMER
    chat.play(f"""
        新人: [扫码] {inv.scene}
          < 回复 是
    """)
    with steward_live.session() as s:
        s.scalars(select(MemberInvitation).where(MemberInvitation.scene == inv.scene)).one().expires_at = utcnow()
    chat.play("""
        新人: 是
          < 已过期
    """)
    assert steward_live.config.member(NEWCOMER) is None
