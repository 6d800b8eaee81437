"""FAQ entries (`[[faq]]`) and outside parties (`[outside_parties.KEY]`) as data: copied once from the
config (the community's `reference_seeded`), then edited on the workbench, every change checked as
the config's loader checks it and written to the audit log. Handlers and routing keep reading the
typed config (`Config.faq`, `Config.outside_parties`): bot.storage.directory puts these rows there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import Config
from bot.services.community.members import DirectoryError, changed, ensure_seeded
from bot.services.uow import audit
from bot.storage.directory import community_id, faq_view, party_view
from bot.storage.models import Community, FaqRow, OutsidePartyRow

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
ANSWER_MAX = 600  # characters: a passive reply holds 2048 bytes of UTF-8, the greeting included
WORD_MAX = 32


def seed(session: Session, config: Config) -> bool:
    """Copy the config's FAQ and outside parties once; False when they were copied before."""
    cid = community_id(session)
    if cid is None:
        return False
    community = session.get(Community, cid)
    assert community is not None
    if community.reference_seeded:
        return False
    for i, e in enumerate(config.faq):
        session.add(FaqRow(community_id=cid, patterns=list(e.patterns), places=list(e.places), answer=e.answer,
                           position=i + 1))
    for key, p in config.outside_parties.items():
        session.add(OutsidePartyRow(community_id=cid, key=key, name=p.get("name", key), openid=p.get("openid", ""),
                                    subcategories=p.get("subcategories", "")))
    community.reference_seeded = True
    changed(session)
    return True


def ensure(session: Session, config: Config) -> int:
    cid = ensure_seeded(session, config)
    seed(session, config)
    return cid


def differences(session: Session, config: Config) -> list[str]:
    """Where the config's FAQ and outside parties disagree with the database (reported, never applied)."""
    cid = community_id(session)
    community = session.get(Community, cid) if cid is not None else None
    if community is None or not community.reference_seeded:
        return []
    out: list[str] = []
    rows = [faq_view(r) for r in session.scalars(select(FaqRow).where(FaqRow.community_id == cid))]
    for e in config.faq:
        if e not in rows:
            out.append(f"常见问题「{'、'.join(e.patterns[:3])}」在配置中，数据库中没有或内容不同")
    for e in rows:
        if e not in config.faq:
            out.append(f"常见问题「{'、'.join(e.patterns[:3])}」在数据库中，配置里没有或内容不同")
    parties = {p.key: party_view(p) for p in session.scalars(select(OutsidePartyRow)
                                                             .where(OutsidePartyRow.community_id == cid))}
    for key, p in config.outside_parties.items():
        have = parties.get(key)
        want = {"name": p.get("name", key), "openid": p.get("openid", ""), "subcategories": p.get("subcategories", "")}
        if have is None:
            out.append(f"外部单位 {key}（{want['name']}）在配置中，数据库中没有")
        elif have != want:
            out.append(f"外部单位 {key}：配置为「{want['name']}」，数据库为「{have['name']}」（名称、微信或小类不同）")
    for key in sorted(set(parties) - set(config.outside_parties)):
        out.append(f"外部单位 {key}（{parties[key]['name']}）在数据库中，配置里没有")
    return out


# --- FAQ --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FaqInput:
    patterns: tuple[str, ...]
    answer: str
    places: tuple[str, ...] = ()


def _words(words: tuple[str, ...], label: str) -> list[str]:
    clean = list(dict.fromkeys(w.strip() for w in words if w.strip()))
    if len(clean) > 50 or any(len(w) > WORD_MAX for w in clean):
        raise DirectoryError(f"{label}最多 50 个，每个最多 {WORD_MAX} 个字")
    return clean


def _faq_fields(data: FaqInput) -> dict:
    patterns = _words(data.patterns, "问题关键词")
    if not patterns:
        raise DirectoryError("至少填一个问题关键词（居民问话里出现它才回答）")
    answer = data.answer.strip()
    if not answer:
        raise DirectoryError("答案不能为空")
    if len(answer) > ANSWER_MAX:
        raise DirectoryError(f"答案太长（最多 {ANSWER_MAX} 个字：微信被动回复最多 2048 字节）")
    return {"patterns": patterns, "places": _words(data.places, "地点"), "answer": answer}


def _faq_dict(row: FaqRow) -> dict:
    return {"patterns": list(row.patterns or []), "places": list(row.places or []), "answer": row.answer}


def list_faq(session: Session, config: Config) -> list[FaqRow]:
    cid = ensure(session, config)
    return list(session.scalars(select(FaqRow).where(FaqRow.community_id == cid)
                                .order_by(FaqRow.position, FaqRow.id)))


def _faq_row(session: Session, cid: int, faq_id: int) -> FaqRow:
    row = session.get(FaqRow, faq_id) if 0 < faq_id < 2**31 else None  # (PostgreSQL's integer)
    if row is None or row.community_id != cid:
        raise DirectoryError(f"没有编号为 {faq_id} 的常见问题")
    return row


def add_faq(session: Session, config: Config, data: FaqInput, actor: str = "system",
            address: str | None = None) -> FaqRow:
    cid = ensure(session, config)
    fields = _faq_fields(data)
    last = session.scalars(select(FaqRow.position).where(FaqRow.community_id == cid)
                           .order_by(FaqRow.position.desc()).limit(1)).first()
    row = FaqRow(community_id=cid, position=(last or 0) + 1, **fields)
    session.add(row)
    session.flush()
    changed(session)
    audit.record(session, actor, "faq_add", f"常见问题 {row.id}", None, fields, address)
    return row


def update_faq(session: Session, config: Config, faq_id: int, data: FaqInput, actor: str = "system",
               address: str | None = None) -> FaqRow:
    cid = ensure(session, config)
    fields = _faq_fields(data)
    row = _faq_row(session, cid, faq_id)
    before = _faq_dict(row)
    if fields != before:
        row.patterns, row.places, row.answer = fields["patterns"], fields["places"], fields["answer"]
        changed(session)
        audit.record(session, actor, "faq_update", f"常见问题 {row.id}", before, fields, address)
    return row


def remove_faq(session: Session, config: Config, faq_id: int, actor: str = "system",
               address: str | None = None) -> None:
    cid = ensure(session, config)
    row = _faq_row(session, cid, faq_id)
    before = _faq_dict(row)
    session.delete(row)
    changed(session)
    audit.record(session, actor, "faq_remove", f"常见问题 {faq_id}", before, None, address)


# --- outside parties --------------------------------------------------------------------------------

@dataclass(frozen=True)
class PartyInput:
    name: str
    openid: str = ""
    subcategories: tuple[str, ...] = ()


def _party_fields(data: PartyInput) -> dict:
    name = data.name.strip()
    if not name or len(name) > 64:
        raise DirectoryError("单位名称应为 1–64 个字")
    openid = data.openid.strip()
    if len(openid) > 64 or any(c.isspace() for c in openid):
        raise DirectoryError("微信 openid 最多 64 个字符，不能有空格")
    subs = _words(data.subcategories, "小类")
    return {"name": name, "openid": openid, "subcategories": ",".join(subs)}


def list_parties(session: Session, config: Config) -> list[OutsidePartyRow]:
    cid = ensure(session, config)
    return list(session.scalars(select(OutsidePartyRow).where(OutsidePartyRow.community_id == cid)
                                .order_by(OutsidePartyRow.id)))


def _party_row(session: Session, cid: int, key: str) -> OutsidePartyRow:
    row = session.scalars(select(OutsidePartyRow).where(OutsidePartyRow.community_id == cid,
                                                        OutsidePartyRow.key == key)).first()
    if row is None:
        raise DirectoryError(f"没有这个外部单位：{key}")
    return row


def add_party(session: Session, config: Config, key: str, data: PartyInput, actor: str = "system",
              address: str | None = None) -> OutsidePartyRow:
    cid = ensure(session, config)
    key = key.strip()
    if not KEY_RE.match(key):
        raise DirectoryError("编号只能用 1–32 个英文字母、数字、下划线或连字符（如 property）")
    fields = _party_fields(data)
    if session.scalars(select(OutsidePartyRow.id).where(OutsidePartyRow.community_id == cid,
                                                        OutsidePartyRow.key == key)).first():
        raise DirectoryError(f"编号 {key} 已经有了")
    row = OutsidePartyRow(community_id=cid, key=key, **fields)
    session.add(row)
    session.flush()
    changed(session)
    audit.record(session, actor, "party_add", f"外部单位 {key}", None, fields, address)
    return row


def update_party(session: Session, config: Config, key: str, data: PartyInput, actor: str = "system",
                 address: str | None = None) -> OutsidePartyRow:
    cid = ensure(session, config)
    fields = _party_fields(data)
    row = _party_row(session, cid, key)
    before = party_view(row)
    if fields != before:
        row.name, row.openid, row.subcategories = fields["name"], fields["openid"], fields["subcategories"]
        changed(session)
        audit.record(session, actor, "party_update", f"外部单位 {key}", before, fields, address)
    return row


def remove_party(session: Session, config: Config, key: str, actor: str = "system",
                 address: str | None = None) -> None:
    """Refused while a routing rule (`[[dispatch.routes]] outside`) names it, as the config's loader refuses."""
    cid = ensure(session, config)
    row = _party_row(session, cid, key)
    if any(key in r.outside for r in config.dispatch.routes):
        raise DirectoryError(f"路由规则（[[dispatch.routes]] outside）还在用 {key}，先在配置里去掉再删除")
    before = party_view(row)
    session.delete(row)
    changed(session)
    audit.record(session, actor, "party_remove", f"外部单位 {key}", before, None, address)
