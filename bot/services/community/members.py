"""The community's directory as data: seeded once from the config, then edited here (CLI and
workbench) — courtyards and council members. Every change marks the session so the per-process
directory cache (bot.storage.directory) reloads after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.domain.clock import utcnow
from bot.services.uow import audit
from bot.storage import tenancy
from bot.storage.directory import community_id
from bot.storage.models import Community, CouncilMember, CourtyardRow

ROLES = ("会长", "副会长", "成员", "楼长")


class DirectoryError(ValueError):
    """A directory change was refused; the message is plain Chinese."""


def changed(session: Session) -> None:
    session.info["directory_changed"] = True


def seed(session: Session, config: Config) -> bool:
    """Copy the config's community, courtyards and members into an empty directory; False when it
    was seeded before (the database is the truth from then on). Existing member rows (the mirror
    of older versions) keep their ids, openids and reachability."""
    if community_id(session) is not None:
        return False
    community = Community(name=config.community)
    session.add(community)
    session.flush()
    community.key = str(community.id)  # `/wechat/1`; communities added later are given a key
    for c in config.courtyards:
        session.add(CourtyardRow(community_id=community.id, key=c.id, name=c.name, aliases=list(c.aliases),
                                 lat=c.lat, lon=c.lon, active=True))
    rows = {m.openid: m for m in session.scalars(select(CouncilMember)) if m.openid}
    seen: set[str] = set()
    order: dict[str, int] = {}
    for m in config.members:
        row = rows.get(m.openid)
        if row is None:
            row = CouncilMember(openid=m.openid)
            session.add(row)
        order[m.courtyard] = order.get(m.courtyard, 0) + 1
        row.community_id, row.name, row.courtyard_id, row.role = community.id, m.name, m.courtyard, m.role
        row.skills, row.phone, row.digest_consent = ",".join(m.skills), m.phone or None, m.digest_consent
        row.backup_order, row.active = order[m.courtyard], True
        seen.add(m.openid)
    for openid, row in rows.items():
        if openid not in seen and row.courtyard_id:
            row.community_id, row.active = community.id, False
    changed(session)
    return True


def ensure_seeded(session: Session, config: Config) -> int:
    with tenancy.unscoped(session):
        seed(session, config)
    cid = community_id(session)
    assert cid is not None
    return cid


def differences(session: Session, config: Config) -> list[str]:
    """Where the config disagrees with the seeded directory (reported, never applied)."""
    cid = community_id(session)
    if cid is None:
        return []
    out: list[str] = []
    yards = {y.key: y for y in session.scalars(select(CourtyardRow).where(CourtyardRow.community_id == cid))}
    for c in config.courtyards:
        y = yards.get(c.id)
        if y is None:
            out.append(f"楼院 {c.id}（{c.name}）在配置中，数据库中没有")
        elif y.name != c.name or not y.active:
            out.append(f"楼院 {c.id}：配置为「{c.name}」，数据库为「{y.name}」{'' if y.active else '（已停用）'}")
    for key in sorted(set(yards) - {c.id for c in config.courtyards}):
        out.append(f"楼院 {key}（{yards[key].name}）在数据库中，配置里没有")
    rows = {m.openid: m for m in session.scalars(select(CouncilMember).where(CouncilMember.community_id == cid))
            if m.openid}
    for m in config.members:
        row = rows.get(m.openid)
        if row is None:
            out.append(f"理事会成员 {m.name}（{m.courtyard}）在配置中，数据库中没有")
        elif not row.active:
            out.append(f"理事会成员 {m.name}（{m.courtyard}）在配置中，数据库中已停用")
        elif (row.name, row.courtyard_id, row.role) != (m.name, m.courtyard, m.role):
            out.append(f"理事会成员 {m.name}：配置为 {m.courtyard}/{m.role}，数据库为 {row.courtyard_id}/{row.role}")
    configured = {m.openid for m in config.members}
    for openid, row in rows.items():
        if row.active and openid not in configured:
            out.append(f"理事会成员 {row.name}（{row.courtyard_id}）在数据库中，配置里没有")
    return out


@dataclass(frozen=True)
class MemberInput:
    courtyard: str
    name: str
    role: str = "成员"
    skills: tuple[str, ...] = ()
    phone: str | None = None
    backup_order: int | None = None


def courtyard_row(session: Session, cid: int, key: str) -> CourtyardRow:
    row = session.scalars(select(CourtyardRow).where(CourtyardRow.community_id == cid,
                                                     CourtyardRow.key == key)).first()
    if row is None or not row.active:
        raise DirectoryError(f"没有这个楼院：{key}")
    return row


def list_courtyards(session: Session, config: Config) -> list[CourtyardRow]:
    cid = ensure_seeded(session, config)
    return list(session.scalars(select(CourtyardRow).where(CourtyardRow.community_id == cid, CourtyardRow.active)
                                .order_by(CourtyardRow.id)))


def update_courtyard(session: Session, config: Config, key: str, name: str, aliases: list[str],
                     actor: str = "system", address: str | None = None) -> CourtyardRow:
    """A courtyard's name and aliases (what residents call it: routing finds the courtyard by them)."""
    cid = ensure_seeded(session, config)
    row = courtyard_row(session, cid, key)
    name = name.strip()
    if not name or len(name) > 64:
        raise DirectoryError("楼院名称应为 1–64 个字")
    clean = list(dict.fromkeys(a.strip() for a in aliases if a.strip()))
    if any(len(a) > 32 for a in clean) or len(clean) > 30:
        raise DirectoryError("别名最多 30 个，每个最多 32 个字")
    before = {"name": row.name, "aliases": list(row.aliases or [])}
    row.name, row.aliases = name, clean
    after = {"name": name, "aliases": clean}
    if after != before:
        changed(session)
        audit.record(session, actor, "courtyard_update", f"楼院 {key}", before, after, address)
    return row


def _check(data: MemberInput) -> None:
    if not data.name.strip():
        raise DirectoryError("姓名不能为空")
    if len(data.name.strip()) > 32:
        raise DirectoryError("姓名太长（最多 32 个字）")
    if data.role not in ROLES:
        raise DirectoryError(f"角色应为 {' / '.join(ROLES)}")
    if data.phone and len(data.phone) > 32:
        raise DirectoryError("电话太长")


def add_member(session: Session, config: Config, data: MemberInput, actor: str = "system",
               address: str | None = None) -> CouncilMember:
    """A new member, not yet bound to WeChat (openid empty until the invitation is scanned)."""
    cid = ensure_seeded(session, config)
    _check(data)
    courtyard_row(session, cid, data.courtyard)
    order = data.backup_order
    if order is None:
        last = session.scalars(select(CouncilMember.backup_order).where(
            CouncilMember.community_id == cid, CouncilMember.courtyard_id == data.courtyard)
            .order_by(CouncilMember.backup_order.desc()).limit(1)).first()
        order = (last or 0) + 1
    row = CouncilMember(community_id=cid, openid=None, name=data.name.strip(), courtyard_id=data.courtyard,
                        role=data.role, skills=",".join(s.strip() for s in data.skills if s.strip()),
                        phone=(data.phone or "").strip() or None, backup_order=order, active=True)
    session.add(row)
    session.flush()
    changed(session)
    audit.record(session, actor, "member_add", _target(row), None, _fields(row), address)
    return row


def _target(row: CouncilMember) -> str:
    return f"理事会成员 {row.name}（{row.courtyard_id}，编号 {row.id}）"


def _fields(row: CouncilMember) -> dict:
    return {"name": row.name, "courtyard": row.courtyard_id, "role": row.role, "skills": row.skills,
            "phone": row.phone, "backup_order": row.backup_order, "active": row.active}


def update_member(session: Session, config: Config, member_id: int, data: MemberInput, actor: str = "system",
                  address: str | None = None) -> CouncilMember:
    cid = ensure_seeded(session, config)
    _check(data)
    courtyard_row(session, cid, data.courtyard)
    row = get_member(session, cid, member_id)
    before = _fields(row)
    row.name, row.courtyard_id, row.role = data.name.strip(), data.courtyard, data.role
    row.skills = ",".join(s.strip() for s in data.skills if s.strip())
    row.phone = (data.phone or "").strip() or None
    if data.backup_order is not None:
        row.backup_order = data.backup_order
    changed(session)
    if _fields(row) != before:
        audit.record(session, actor, "member_update", _target(row), before, _fields(row), address)
    return row


def get_member(session: Session, cid: int, member_id: int) -> CouncilMember:
    row = session.get(CouncilMember, member_id)
    if row is None or row.community_id != cid:
        raise DirectoryError(f"没有编号为 {member_id} 的理事会成员")
    return row


def deactivate(session: Session, config: Config, member_id: int) -> CouncilMember:
    """Mark the member gone (kept for the ledger's history); the caller hands over his open tasks."""
    cid = ensure_seeded(session, config)
    row = get_member(session, cid, member_id)
    if not row.active:
        raise DirectoryError(f"{row.name} 已经停用")
    row.active, row.left_at = False, utcnow()
    changed(session)
    return row


def list_members(session: Session, config: Config, courtyard: str | None = None,
                 include_inactive: bool = False) -> list[CouncilMember]:
    cid = ensure_seeded(session, config)
    q = select(CouncilMember).where(CouncilMember.community_id == cid)
    if courtyard:
        q = q.where(CouncilMember.courtyard_id == courtyard)
    if not include_inactive:
        q = q.where(CouncilMember.active)
    return list(session.scalars(q.order_by(CouncilMember.courtyard_id, CouncilMember.backup_order,
                                           CouncilMember.id)))


def member_dict(row: CouncilMember, config: Config) -> dict:
    return {"id": row.id, "courtyard": row.courtyard_id, "courtyard_name": config.courtyard_name(row.courtyard_id),
            "name": row.name, "role": row.role, "skills": [s for s in row.skills.split(",") if s],
            "phone": row.phone, "backup_order": row.backup_order, "active": row.active,
            "bound": row.openid is not None}
