"""Communities of one deployment (a 街道's, or a company's serving many): add one from a fragment,
list them. The deployment's own community (its config file's) is community 1, seeded as before.

Courtyard keys are unique across the deployment: tickets, rates, digests and QR scenes carry the key
alone, and with a shared account a resident's courtyard is what tells the community.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.config.fragment import CommunityFragment
from bot.services.community.members import DirectoryError, changed
from bot.services.uow import audit
from bot.storage import accounts
from bot.storage.models import Community, CouncilMember, CourtyardRow, Ticket

KEY = re.compile(r"^[a-z][a-z0-9-]{1,31}$")


@dataclass(frozen=True)
class CommunityLine:
    id: int
    key: str
    name: str
    account: str  # its app id, or "（共用）"
    courtyards: int
    members: int
    tickets: int

    def to_dict(self) -> dict:
        return self.__dict__.copy()


def add(session: Session, key: str, name: str, fragment: CommunityFragment, actor: str = "cli") -> Community:
    """Create community `key` from `fragment`; DirectoryError (Chinese) when it cannot be."""
    key, name = key.strip(), name.strip()
    if not KEY.match(key):
        raise DirectoryError(f"社区编号 {key!r} 不可用：用 2–32 个小写字母、数字或连字符，以字母开头（如 xinhua）")
    if not name:
        raise DirectoryError("社区名称不能为空")
    if session.scalar(select(Community.id).where(Community.key == key)) is not None:
        raise DirectoryError(f"社区编号 {key} 已经有了")
    if session.scalar(select(Community.id).order_by(Community.id).limit(1)) is None:
        raise DirectoryError("部署自己的社区还没有建立：先运行 steward db upgrade")
    yards = fragment.all_courtyards
    keys = [y.id for y in yards]
    if len(set(keys)) != len(keys):
        raise DirectoryError("片段里有重复的楼院编号")
    taken = session.execute(select(CourtyardRow.key, Community.name).join(Community, Community.id ==
                                                                          CourtyardRow.community_id)
                            .where(CourtyardRow.key.in_(keys))).first()
    if taken is not None:
        raise DirectoryError(f"楼院编号 {taken[0]} 已属于{taken[1]}：整个部署里楼院编号不能重复（可写成如 {key}-{taken[0]}）")
    unknown = sorted({m.courtyard for m in fragment.members} - set(keys))
    if unknown:
        raise DirectoryError(f"成员所在楼院不在片段里：{'、'.join(unknown)}")
    if fragment.wechat is not None:
        _account_is_free(session, fragment)
    row = Community(name=name, key=key, reference_seeded=True,
                    account=accounts.stored(fragment.wechat, fragment.templates) if fragment.wechat else None)
    session.add(row)
    session.flush()
    for y in yards:
        session.add(CourtyardRow(community_id=row.id, key=y.id, name=y.name, aliases=list(y.aliases), lat=y.lat,
                                 lon=y.lon, active=True))
    for order, m in enumerate(fragment.members):
        session.add(CouncilMember(community_id=row.id, openid=m.openid or None, name=m.name, courtyard_id=m.courtyard,
                                  role=m.role, skills=",".join(m.skills), phone=m.phone or None, backup_order=order))
    audit.record(session, actor, "community_add", f"community:{key}", after={"name": name, "courtyards": keys,
                                                                             "own_account": fragment.wechat is not None})
    changed(session)
    return row


def _account_is_free(session: Session, fragment: CommunityFragment) -> None:
    wechat = fragment.wechat
    assert wechat is not None
    for other in session.scalars(select(Community).where(Community.account.is_not(None))):
        theirs = (other.account or {}).get("wechat") or {}
        if theirs.get("app_id") == wechat.app_id or theirs.get("original_id") == wechat.original_id:
            raise DirectoryError(f"公众号 {wechat.app_id} 已由{other.name}使用：共用部署的公众号时请不写 [wechat]")


def list_all(session: Session) -> list[CommunityLine]:
    counts = {cid: n for cid, n in session.execute(select(Ticket.community_id, func.count()).group_by(Ticket.community_id))}
    yards = dict(session.execute(select(CourtyardRow.community_id, func.count()).where(CourtyardRow.active)
                                 .group_by(CourtyardRow.community_id)).tuples().all())
    people = dict(session.execute(select(CouncilMember.community_id, func.count()).where(CouncilMember.active)
                                  .group_by(CouncilMember.community_id)).tuples().all())
    return [CommunityLine(c.id, c.key or str(c.id), c.name,
                          ((c.account or {}).get("wechat") or {}).get("app_id", "") or "（共用部署的公众号）",
                          yards.get(c.id, 0), people.get(c.id, 0), counts.get(c.id, 0))
            for c in session.scalars(select(Community).order_by(Community.id))]
