"""Everything the sandbox knows, in Redis (key prefix `steward:sandbox:`).

Web and worker processes — and many gunicorn workers — share one Redis, so the fake WeChat API
behaves the same whichever process answers. These helpers are also the tests' handle on it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, fields, replace
from datetime import UTC
from typing import Any, cast

import redis as redis_lib

from bot.config import Config
from bot.domain import clock

P = "steward:sandbox:"
MSGID_BASE = 2_000_000_000  # WeChat msgids are large integers
GRACE = 300  # a replaced token keeps working this long, as on WeChat
KEEP_GLOBAL, KEEP_PER_USER = 2000, 200
Redis = redis_lib.Redis


@dataclass(frozen=True)
class SandboxSettings:
    """The `[sandbox]` settings in force (defaults and validation: `bot.config.schema.SandboxSection`),
    overridden at run time by `configure`."""

    enabled: bool
    token_expires_in: int
    window_check: bool
    window_hours: float
    quota_check: bool
    deliver_events: bool
    event_delay: float
    webhook_url: str

    @classmethod
    def from_config(cls, config: Config) -> SandboxSettings:
        settings = cls(**{f.name: getattr(config.sandbox, f.name) for f in fields(cls)})
        if not settings.webhook_url:
            settings = replace(settings, webhook_url=f"{config.public_url}/wechat")
        return settings


def _s(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def now() -> float:
    """Epoch seconds on the project clock (tests that drive time also age tokens and windows)."""
    return clock.utcnow().replace(tzinfo=UTC).timestamp()


# -- settings (config file, overridden at run time by tests and the page) -------------------------


def configure(redis: Redis, **changes: Any) -> None:
    """Override sandbox settings at run time, e.g. `configure(r, window_check=False, token_expires_in=60)`."""
    valid = {f.name for f in fields(SandboxSettings)}
    for key, value in changes.items():
        if key not in valid:
            raise ValueError(f"unknown sandbox setting {key!r}")
        redis.hset(P + "settings", key, json.dumps(value))


def settings(redis: Redis, config: Config, stored_raw: dict[Any, Any] | None = None) -> SandboxSettings:
    """`stored_raw`: the settings hash already read (`preamble`), else it is read here."""
    base = SandboxSettings.from_config(config)
    raw = redis.hgetall(P + "settings") if stored_raw is None else stored_raw
    stored = {_s(k): json.loads(_s(v)) for k, v in raw.items()}
    return replace(base, **stored) if stored else base


# -- tokens --------------------------------------------------------------------------------------


def issue_token(redis: Redis, appid: str, kind: str, force: bool, expires_in: int) -> tuple[str, int]:
    """A token as WeChat issues it. `stable` reuses the live one unless forced; `classic` always
    makes a new one. A replaced token stays valid for a short grace period."""
    t = now()
    current_key = f"{P}current:{kind}:{appid}"
    current = _s(redis.get(current_key))
    # Every answered token request counts as a fetch, even when the live stable token is reused.
    redis.incr(P + "fetches")
    log = {"time": t, "kind": kind, "force": force, "appid": appid, "reused": False}
    if kind == "stable" and current and not force:
        left = redis.zscore(P + "tokens", current)
        if left is not None and left > t:
            redis.rpush(P + "fetch_log", json.dumps(log | {"reused": True}))
            return current, int(left - t)
    # The app id rides in the token (as opaque to the client as WeChat's): which account a call is
    # for is read off it without a Redis round trip of the sandbox's own in the measured paths.
    token = f"SBX_{appid.encode().hex()}_{secrets.token_urlsafe(40)}"
    pipe = redis.pipeline()
    if current:
        old = redis.zscore(P + "tokens", current)
        if old is not None and old > t + GRACE:
            pipe.zadd(P + "tokens", {current: t + GRACE})
    pipe.zadd(P + "tokens", {token: t + expires_in})
    pipe.set(current_key, token)
    pipe.zremrangebyscore(P + "tokens", "-inf", t - 86400)
    pipe.rpush(P + "fetch_log", json.dumps(log))
    pipe.ltrim(P + "fetch_log", -200, -1)
    pipe.execute()
    return token, expires_in


def check_token(redis: Redis, token: str | None) -> int:
    """0 when valid, 42001 when expired, 40001 when unknown."""
    if not token:
        return 41001  # access_token missing
    return _token_code(redis.zscore(P + "tokens", token))


def _token_code(expires_at: float | None) -> int:
    if expires_at is None:
        return 40001
    return 0 if expires_at > now() else 42001


def token_app(token: str) -> str | None:
    """The app id a token was issued to."""
    parts = token.split("_", 2)
    try:
        return bytes.fromhex(parts[1]).decode() if len(parts) == 3 and parts[0] == "SBX" else None
    except ValueError:
        return None


def expire_tokens(redis: Redis) -> None:
    """Make every issued token expired now (the next call with one answers 42001)."""
    past = now() - 1
    tokens = redis.zrange(P + "tokens", 0, -1)
    if tokens:
        redis.zadd(P + "tokens", {_s(t): past for t in tokens})


def token_fetches(redis: Redis) -> int:
    """How many token requests (token + stable_token) were answered since the last reset."""
    return int(redis.get(P + "fetches") or 0)


def token_status(redis: Redis) -> list[dict[str, Any]]:
    t = now()
    out = []
    # withscores=True: (member, score) pairs; redis-py's return type covers every form of the reply
    scored = cast("list[tuple[bytes | str, float]]", redis.zrevrange(P + "tokens", 0, 9, withscores=True))
    for token, expires_at in scored:
        token = _s(token)
        out.append({"token": token[:10] + "…", "expires_in": int(expires_at - t), "valid": expires_at > t})
    return out


# -- outbound messages ---------------------------------------------------------------------------


def next_msgid(redis: Redis) -> int:
    return MSGID_BASE + int(redis.incr(P + "msgid"))


_CLAIM = """
local msgid = tonumber(ARGV[1]) + redis.call('INCR', KEYS[1])
if redis.call('SET', KEYS[2], msgid, 'NX', 'EX', 86400) then return {msgid, 0} end
return {msgid, tonumber(redis.call('GET', KEYS[2])) or 0}
"""


def claim_msgid(redis: Redis, appid: str, client_msg_id: str) -> tuple[int, int | None]:
    """A new msgid, bound to `client_msg_id` for 24 h; and the msgid bound earlier, if any (WeChat
    answers a resend with it). One round trip (was three: the sandbox's share of a push's CPU)."""
    msgid, earlier = redis.eval(_CLAIM, 2, P + "msgid", f"{P}cmid:{appid}:{client_msg_id}", MSGID_BASE)
    return int(msgid), int(earlier) or None


# The sequence number and both appends happen in one Lua call: with several sandbox processes a
# separate INCR then RPUSH could append seq 5 before seq 4, and a poller asking for "after 5" would
# then never see 4.
_RECORD = """
local seq = redis.call('INCR', KEYS[1])
local raw = '{"seq": ' .. seq .. ', ' .. ARGV[1]
redis.call('RPUSH', KEYS[2], raw)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
redis.call('RPUSH', KEYS[3], raw)
redis.call('LTRIM', KEYS[3], -tonumber(ARGV[3]), -1)
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[5])
return seq
"""


def record(redis: Redis, kind: str, openid: str, **details: Any) -> dict[str, Any]:
    """Store one outbound message in the global list and the receiver's list."""
    entry: dict[str, Any] = {"time": now(), "kind": kind, "openid": openid}
    for key in ("msgtype", "template_id", "data", "text", "url", "client_msg_id", "msgid", "appid"):
        entry[key] = details.get(key)
    rest = json.dumps(entry, ensure_ascii=False)[1:]  # without "{": the script puts "seq" first
    seq = redis.eval(_RECORD, 4, P + "seq", P + "msgs", f"{P}msgs:{openid}", P + "receivers",
                     rest, KEEP_GLOBAL, KEEP_PER_USER, entry["time"], openid)
    return {"seq": int(seq), **entry}


def messages(redis: Redis, openid: str | None = None, after: int = 0) -> list[dict[str, Any]]:
    """Outbound messages, oldest first; `after` skips those with seq ≤ it (for polling)."""
    key = f"{P}msgs:{openid}" if openid else P + "msgs"
    items = [json.loads(_s(raw)) for raw in redis.lrange(key, 0, -1)]
    return [m for m in items if m["seq"] > after]


def last_seq(redis: Redis) -> int:
    return int(redis.get(P + "seq") or 0)


def receivers(redis: Redis, limit: int = 30) -> list[str]:
    """Openids that received something, most recent first."""
    return [_s(o) for o in redis.zrevrange(P + "receivers", 0, limit - 1)]


def note_rejected(redis: Redis, entry: dict[str, Any]) -> None:
    """A template send refused by the 2023 rules (47003): kept so tests and the page can show it."""
    redis.rpush(P + "rejected", json.dumps(entry, ensure_ascii=False))
    redis.ltrim(P + "rejected", -100, -1)


def rejected(redis: Redis) -> list[dict[str, Any]]:
    return [json.loads(_s(raw)) for raw in redis.lrange(P + "rejected", 0, -1)]


# -- failure injection ---------------------------------------------------------------------------


def _fault_key(endpoint: str, openid: str | None) -> str:
    endpoint = endpoint.strip("/")
    return f"{P}faults:{endpoint}:{openid}" if openid else f"{P}faults:{endpoint}"


def inject(redis: Redis, endpoint: str, responses: list[dict[str, Any]], openid: str | None = None) -> None:
    """Queue canned answers for `endpoint` (e.g. "message/template/send"), consumed in order:
    {"http": 503}, {"errcode": 45015}, {"timeout": 6} (sleep, then answer normally or as the
    rest of the item says). With `openid`, only calls for that receiver consume them."""
    for item in responses:
        if not isinstance(item, dict) or not {"http", "errcode", "timeout"} & set(item):
            raise ValueError(f"a fault needs http, errcode or timeout: {item!r}")
    if responses:
        redis.rpush(_fault_key(endpoint, openid), *(json.dumps(r) for r in responses))
        redis.sadd(P + "fault_keys", _fault_key(endpoint, openid))


_NEXT_FAULT = """
for _, key in ipairs(KEYS) do
  local raw = redis.call('LPOP', key)
  if raw then return raw end
end
return false
"""


def _fault_keys(endpoint: str, openid: str | None) -> list[str]:
    return ([_fault_key(endpoint, openid)] if openid else []) + [_fault_key(endpoint, None)]


def next_fault(redis: Redis, endpoint: str, openid: str | None = None) -> dict[str, Any] | None:
    """The next queued answer for this call: the receiver's own queue first, then the endpoint's."""
    keys = _fault_keys(endpoint, openid)
    raw = redis.eval(_NEXT_FAULT, len(keys), *keys)
    return json.loads(_s(raw)) if raw else None


@dataclass(frozen=True)
class Preamble:
    """What every API call reads first, in one round trip: a queued fault, the token's standing,
    the run-time settings (as three separate reads this was half the sandbox's Redis traffic)."""

    fault: dict[str, Any] | None
    token_code: int
    settings_raw: dict[Any, Any]


def preamble(redis: Redis, endpoint: str, openid: str | None, token: str | None) -> Preamble:
    keys = _fault_keys(endpoint, openid)
    pipe = redis.pipeline(transaction=False)
    pipe.eval(_NEXT_FAULT, len(keys), *keys)
    pipe.zscore(P + "tokens", token or "")
    pipe.hgetall(P + "settings")
    raw, expires_at, settings_raw = pipe.execute()
    return Preamble(json.loads(_s(raw)) if raw else None, _token_code(expires_at) if token else 41001, settings_raw)


def pending_faults(redis: Redis) -> dict[str, int]:
    out = {}
    for key in sorted(_s(k) for k in redis.smembers(P + "fault_keys")):
        n = redis.llen(key)
        if n:
            out[key.removeprefix(P + "faults:")] = n
    return out


def clear_faults(redis: Redis) -> None:
    keys = [_s(k) for k in redis.smembers(P + "fault_keys")]
    redis.delete(*keys, P + "fault_keys")


# -- voice: uploaded media and the fake ASR ------------------------------------------------------

MEDIA_TTL = 3 * 86400  # WeChat keeps temporary media 3 days


def store_voice(redis: Redis, audio: bytes, words: str) -> str:
    """Keep an uploaded voice as WeChat keeps temporary media, and the words it "says" for the fake
    ASR (by the audio's digest: the ASR receives only the bytes)."""
    media_id = "sbx_voice_" + secrets.token_urlsafe(18)
    digest = hashlib.sha256(audio).hexdigest()
    pipe = redis.pipeline()
    pipe.set(f"{P}media:{media_id}", base64.b64encode(audio).decode("ascii"), ex=MEDIA_TTL)
    pipe.set(f"{P}asr:{digest}", words, ex=MEDIA_TTL)
    pipe.execute()
    return media_id


def uploaded_media(redis: Redis, media_id: str) -> bytes | None:
    raw = _s(redis.get(f"{P}media:{media_id}"))
    return base64.b64decode(raw) if raw else None


def words_for(redis: Redis, audio: bytes) -> str:
    return _s(redis.get(f"{P}asr:{hashlib.sha256(audio).hexdigest()}")) or ""


# -- menu, reset ---------------------------------------------------------------------------------


def set_menu(redis: Redis, menu: dict[str, Any]) -> None:
    redis.set(P + "menu", json.dumps(menu, ensure_ascii=False))


def menu(redis: Redis) -> dict[str, Any] | None:
    raw = redis.get(P + "menu")
    return json.loads(_s(raw)) if raw else None


def add_draft(redis: Redis, articles: list[Any]) -> str:
    media_id = secrets.token_urlsafe(32)
    redis.rpush(P + "drafts", json.dumps({"media_id": media_id, "articles": articles}, ensure_ascii=False))
    redis.ltrim(P + "drafts", -50, -1)
    return media_id


def drafts(redis: Redis) -> list[dict[str, Any]]:
    """The drafts saved through `draft/add`, oldest first."""
    return [json.loads(_s(raw)) for raw in redis.lrange(P + "drafts", 0, -1)]


def reset(redis: Redis) -> None:
    """Forget everything the sandbox holds (tokens, messages, faults, settings, windows)."""
    keys = list(redis.scan_iter(match=P + "*", count=500))
    for i in range(0, len(keys), 500):
        redis.delete(*keys[i : i + 500])
