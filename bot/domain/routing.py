"""Who gets a ticket: pure functions over the config (no I/O), so every rule is testable alone.

A ticket goes to the council of its courtyard: members with the category's skill first (成员 before
会长 — the chair supervises and is the one a missed deadline escalates to), a primary and a backup.
Outside parties (the property company for 门禁/电梯) are told as well. Without a courtyard, or
with nobody reachable, it goes to community staff for triage (待分派).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from bot.config import Config, CouncilMember, RouteRule


@dataclass(frozen=True)
class OutsideParty:
    key: str
    name: str
    openid: str | None


@dataclass(frozen=True)
class Route:
    primary: CouncilMember | None = None
    backup: CouncilMember | None = None
    chair: CouncilMember | None = None
    outside: tuple[OutsideParty, ...] = ()
    triage: bool = False
    reason: str = ""  # why it went to triage, plain Chinese
    skill: str | None = None
    candidates: tuple[str, ...] = field(default=(), repr=False)  # openids in order of preference

    @property
    def assignees(self) -> tuple[CouncilMember, ...]:
        return tuple(m for m in (self.primary, self.backup) if m is not None)


def match_rule(config: Config, courtyard: str | None, category: str, subcategory: str | None) -> RouteRule | None:
    for rule in config.dispatch.routes:
        if rule.category is not None and rule.category != category:
            continue
        if rule.subcategory is not None and rule.subcategory != subcategory:
            continue
        if rule.courtyard is not None and rule.courtyard != courtyard:
            continue
        return rule
    return None


def chair_of(config: Config, courtyard: str | None) -> CouncilMember | None:
    if not courtyard:
        return None
    return next((m for m in config.council(courtyard) if m.is_chair), None)


def outside_parties(
    config: Config, category: str, subcategory: str | None, rule: RouteRule | None = None
) -> tuple[OutsideParty, ...]:
    """Parties whose `subcategories` (comma-separated) name this subcategory, plus the rule's."""
    keys: list[str] = list(rule.outside) if rule else []
    for key, party in config.outside_parties.items():
        subs = {s.strip() for s in str(party.get("subcategories", "")).replace("，", ",").split(",") if s.strip()}
        if subcategory and subcategory in subs and key not in keys:
            keys.append(key)
    return tuple(
        OutsideParty(k, config.outside_parties[k].get("name", k), config.outside_parties[k].get("openid") or None)
        for k in keys
    )


def rank_members(
    members: list[CouncilMember], skill: str | None, chair_first: bool, load: Mapping[str, int]
) -> list[CouncilMember]:
    """Skill first; then 成员 before 会长 (or the reverse with chair_first); then the lightest load;
    then config order, so the choice is deterministic."""
    order = {m.openid: i for i, m in enumerate(members)}

    def key(m: CouncilMember) -> tuple[int, int, int, int]:
        has_skill = 0 if (skill is None or skill in m.skills) else 1
        role_rank = (0 if m.is_chair else 1) if chair_first else (1 if m.is_chair else 0)
        return (has_skill, role_rank, load.get(m.openid, 0), order[m.openid])

    return sorted(members, key=key)


def choose(
    config: Config,
    courtyard: str | None,
    category: str,
    subcategory: str | None = None,
    *,
    unreachable: Collection[str] = (),
    exclude: Collection[str] = (),
    prefer: str | None = None,
    load: Mapping[str, int] | None = None,
) -> Route:
    """Pick the primary and backup for a ticket.

    `unreachable`: openids WeChat said cannot be reached (43004/43019); `exclude`: members who must
    not get it again (e.g. they returned it); `prefer`: an openid to put first when eligible (staff
    re-dispatch to a named member, 重办 to whoever did the work); `load`: open tickets per openid.
    """
    rule = match_rule(config, courtyard, category, subcategory)
    outside = outside_parties(config, category, subcategory, rule)
    chair = chair_of(config, courtyard)
    if courtyard is None or config.courtyard(courtyard) is None:
        return Route(triage=True, reason="楼院未确定，请工作人员分派", outside=outside)
    if rule is not None and rule.triage:
        return Route(triage=True, reason="按规则由社区工作人员分派", chair=chair, outside=outside)
    cat = config.categories.get(category)
    skill = (rule.skill if rule and rule.skill else None) or (cat.skill if cat else None)
    blocked = set(unreachable) | set(exclude)
    pool = [m for m in config.council(courtyard) if m.openid not in blocked]
    ranked = rank_members(pool, skill, bool(rule and rule.chair_first), load or {})
    if prefer:
        ranked.sort(key=lambda m: 0 if m.openid == prefer else 1)  # stable: the rest keep their order
    if not ranked:
        return Route(triage=True, reason="本院理事会暂无可联系的成员，请工作人员分派", chair=chair, outside=outside,
                     skill=skill)
    return Route(
        primary=ranked[0],
        backup=ranked[1] if len(ranked) > 1 else None,
        chair=chair,
        outside=outside,
        skill=skill,
        candidates=tuple(m.openid for m in ranked),
    )
