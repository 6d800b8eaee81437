"""What a resident's message opens on the fake WeChat, as on the real one: a user who wrote may get
customer-service messages for 48 hours (5 of them); a click, follow or scan allows 3 within a minute."""

from __future__ import annotations

from bot.sandbox.state import P, Redis, now
from bot.services.uow.steward import Steward


def note_inbound(steward: Steward, openid: str, kind: str = "text", event: str | None = None) -> None:
    """Receives `bot.services.inbound.receive.message_handled`. A no-op unless `[sandbox] enabled =
    true` (production never touches sandbox keys). Other events allow nothing."""
    if not steward.config.sandbox.enabled:
        return
    if kind != "event":
        note_user_message(steward.redis, openid)
    elif event in QUOTA_EVENTS:
        note_user_event(steward.redis, openid)


MESSAGE_QUOTA, EVENT_QUOTA, EVENT_SECONDS = 5, 3, 60
QUOTA_EVENTS = ("click", "subscribe", "scan")


def note_user_message(redis: Redis, openid: str, at: float | None = None) -> None:
    """Remember that `openid` just wrote to the account: opens the 48 h customer-service window
    with a fresh allowance of 5 messages."""
    note_user_messages(redis, [openid], at)


def note_user_messages(redis: Redis, openids: list[str], at: float | None = None) -> None:
    """`note_user_message` for several users, in one round trip (a load generator's batch)."""
    if not openids:
        return
    t = at if at is not None else now()
    pipe = redis.pipeline()
    pipe.zadd(P + "inbound", dict.fromkeys(openids, t))
    pipe.hdel(P + "cs_quota", *(f"{o}:msg" for o in openids))
    pipe.execute()


def note_user_event(redis: Redis, openid: str, at: float | None = None) -> None:
    """A menu click, follow or scan: 3 customer-service messages within the next minute."""
    pipe = redis.pipeline()
    pipe.zadd(P + "inbound_event", {openid: at if at is not None else now()})
    pipe.hdel(P + "cs_quota", f"{openid}:evt")
    pipe.execute()


def last_user_message(redis: Redis, openid: str) -> float | None:
    return redis.zscore(P + "inbound", openid)


# One round trip for the whole allowance (was up to four).
_QUOTA = """
local t, openid = tonumber(ARGV[1]), ARGV[2]
local event = tonumber(redis.call('ZSCORE', KEYS[1], openid))
local message = tonumber(redis.call('ZSCORE', KEYS[2], openid))
local recent_event = event ~= nil and t - event <= tonumber(ARGV[4])
if recent_event and redis.call('HINCRBY', KEYS[3], openid .. ':evt', 1) <= tonumber(ARGV[5]) then return 0 end
if message ~= nil and t - message <= tonumber(ARGV[3]) then
  if redis.call('HINCRBY', KEYS[3], openid .. ':msg', 1) <= tonumber(ARGV[6]) then return 0 end
  return 45047
end
if recent_event then return 45047 end
return 45015
"""


def take_custom_quota(redis: Redis, openid: str, window_hours: float) -> int:
    """Count one customer-service message against the receiver's allowance, as WeChat does since
    2023: 0 when allowed, 45047 over the count, 45015 with no interaction that allows one."""
    return int(redis.eval(_QUOTA, 3, P + "inbound_event", P + "inbound", P + "cs_quota",
                          repr(now()), openid, window_hours * 3600, EVENT_SECONDS, EVENT_QUOTA, MESSAGE_QUOTA))
