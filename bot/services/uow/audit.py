"""The audit log: who did what to which thing, before and after, from where. Written in the same
transaction as the change (a rolled-back change leaves no entry); read on the admin page
(/admin/audit); entries older than `[audit] keep_days` are removed by the periodic sweep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.domain.clock import utcnow
from bot.storage.models import AuditEntry

# action → what the admin page calls it
ACTIONS = {
    "login": "登录", "login_failed": "登录失败", "export": "导出",
    "user_add": "新建账号", "user_password": "修改密码", "user_update": "修改账号",
    "token_add": "新建令牌", "token_revoke": "吊销令牌",
    "member_add": "新增成员", "member_update": "修改成员", "member_invite": "邀请成员", "member_bind": "成员绑定微信",
    "member_remove": "成员离任", "courtyard_update": "修改楼院",
    "login_locked": "登录被锁拒绝", "user_unlock": "解除登录限制", "webhook_replay": "拒绝重放的微信消息",
    "resident_erase": "删除居民信息", "retention": "到期删除照片语音和原始消息",
    "faq_add": "新增常见问题", "faq_update": "修改常见问题", "faq_remove": "删除常见问题",
    "party_add": "新增外部单位", "party_update": "修改外部单位", "party_remove": "删除外部单位",
    "community_add": "新增社区",
}
# keys of `before` / `after` → how the admin page names them
FIELDS = {"name": "名称", "aliases": "别名", "role": "角色", "courtyard": "楼院", "skills": "技能", "phone": "电话",
          "backup_order": "备岗顺序", "active": "在任/有效", "handed_on": "转交的工单", "expires_at": "有效期至",
          "bound": "已绑定微信", "rows": "行数", "password": "密码",
          "residents": "居民", "tickets": "匿名化工单", "events": "记录", "messages": "原始消息", "media": "照片和语音",
          "files": "文件", "registrations": "报名", "pushes": "推送", "handoffs": "转人工", "examples": "训练样本", "counters": "计数",
          "media_days": "照片语音保存天数", "raw_message_days": "原始消息保存天数",
          "patterns": "问题关键词", "places": "地点", "answer": "答案", "openid": "微信 openid",
          "subcategories": "小类", "own_account": "自有公众号", "courtyards": "楼院", "community": "社区"}
PAGE_SIZE = 50


def describe(values: dict[str, Any] | None) -> str:
    """`before` / `after` in Chinese for the page: 名称：育英街3号院；别名：3号院、粮食局."""
    if not values:
        return ""
    def show(v: Any) -> str:  # noqa: E306
        if isinstance(v, bool):
            return "是" if v else "否"
        if isinstance(v, list):
            return "、".join(map(str, v)) or "无"
        return "—" if v is None or v == "" else str(v)
    return "；".join(f"{FIELDS.get(k, k)}：{show(v)}" for k, v in values.items())


def _clip(value: str | None, limit: int) -> str | None:
    return None if value is None else str(value)[:limit]


def record(session: Session, actor: str, action: str, target: str = "", before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None, address: str | None = None) -> AuditEntry:
    """One entry, added to `session` (committed with the change it describes)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(at=utcnow(), actor=_clip(actor, 64) or "system", action=action, target=_clip(target, 128) or "",
                       before=before, after=after, address=_clip(address, 64))
    session.add(entry)
    return entry


@dataclass(frozen=True)
class Filters:
    actor: str | None = None
    action: str | None = None
    since: datetime | None = None  # naive UTC, inclusive
    until: datetime | None = None  # naive UTC, exclusive


def page(session: Session, f: Filters, before_id: int | None = None,
         size: int = PAGE_SIZE) -> tuple[list[AuditEntry], int | None]:
    """Newest first; the id to pass as `before_id` for the next page (None at the end)."""
    q = select(AuditEntry)
    if f.actor:
        q = q.where(AuditEntry.actor == f.actor)
    if f.action:
        q = q.where(AuditEntry.action == f.action)
    if f.since:
        q = q.where(AuditEntry.at >= f.since)
    if f.until:
        q = q.where(AuditEntry.at < f.until)
    if before_id is not None:
        q = q.where(AuditEntry.id < before_id)
    rows = list(session.scalars(q.order_by(AuditEntry.id.desc()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return rows, (rows[-1].id if more and rows else None)


def actors(session: Session, limit: int = 200) -> list[str]:
    """Who appears in the log (the page's filter list)."""
    return sorted(session.scalars(select(AuditEntry.actor).distinct().limit(limit)))


def purge(session: Session, keep_days: int, now: datetime | None = None) -> int:
    """Remove entries older than `keep_days`; how many."""
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    result = session.execute(delete(AuditEntry).where(AuditEntry.at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
