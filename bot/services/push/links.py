"""The signed link in a task message: which ticket, for which council member, valid for a while."""

from __future__ import annotations

import hashlib
import hmac

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from bot.config import Config, CouncilMember

PAGE_SALT = "steward-council-ticket"


class LinkExpired(Exception):
    """The link was genuine but is older than `dispatch.link_max_age_days`."""


def member_key(openid: str) -> str:
    return hashlib.sha256(openid.encode()).hexdigest()[:16]


def _serializer(config: Config) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(config.secret_key, salt=PAGE_SALT)


def make_token(config: Config, ticket_id: int, openid: str) -> str:
    data: dict = {"t": ticket_id, "m": member_key(openid)}
    if config.community_id is not None:
        data["c"] = config.community_id  # the page opens as this community (its members, its account)
    return _serializer(config).dumps(data)


def community_of(config: Config, token: str) -> int | None:
    """The community a genuine link was made for (None: the deployment's own, or not genuine)."""
    try:
        data = _serializer(config).loads(token)
    except BadSignature:
        return None
    c = data.get("c") if isinstance(data, dict) else None
    return c if isinstance(c, int) else None


def action_link(config: Config, ticket_id: int, openid: str) -> str:
    """The URL a task message links to (absolute, from `web.public_url`)."""
    return f"{config.public_url}/m/ticket/{make_token(config, ticket_id, openid)}"


def read(config: Config, token: str) -> tuple[int, CouncilMember] | None:
    """(ticket id, member) for a genuine link; None for a forged one; LinkExpired when too old."""
    try:
        data = _serializer(config).loads(token, max_age=int(config.dispatch.link_max_age_days * 86400))
    except SignatureExpired as exc:
        raise LinkExpired from exc
    except BadSignature:
        return None
    member = next((m for m in config.members if hmac.compare_digest(member_key(m.openid), str(data.get("m")))), None)
    return (int(data["t"]), member) if member is not None else None
