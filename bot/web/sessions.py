"""Workbench sessions that can end, and login throttling that one attacker cannot turn on everyone.

Sessions: Flask's signed cookie carries the account's `session_version`, the login time and the
last request time, and a digest of the browser's User-Agent. A session is void when the version no longer matches the database (logout and
password changes bump it: a copied cookie dies with the logout), after `session_idle_minutes`
without a request, `session_max_hours` after the login however active it was, and in another
browser (User-Agent). It is not bound to the client address: phones change networks, and the
address is only as good as the proxy configuration.

Throttling counts failures only, in Redis, per (account, client address), per client address and
per account over all addresses. The client address is `request.remote_addr`, which `ProxyFix`
sets from X-Forwarded-For only for the configured number of trusted proxies. Counters are made
with `SET key 0 EX window NX` + `INCR` in one MULTI: Redis 2.6-compatible, so the embedded Redis
6.2 of `make dev` runs it (no `EXPIRE … NX`, which is Redis 7), and a counter always has its TTL.
"""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

from flask import Flask, request, session

from bot import runtime
from bot.config import WebSecurity

VERSION, LOGIN_AT, SEEN_AT, AGENT = "_sv", "_t0", "_seen", "_ua"
TOUCH_EVERY = 60  # seconds: refresh the idle clock at most this often (each refresh rewrites the cookie)


def settings() -> WebSecurity:
    return runtime.current().config.web_security


def init_app(app: Flask) -> None:
    cfg: WebSecurity = app.extensions["steward"].config.web_security
    # Flask's default is 31 days; the browser should drop the cookie when the server would refuse it.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=cfg.session_max_hours)
    if cfg.trusted_proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = cfg.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]


def begin(version: int, now: float | None = None) -> None:
    """Call right after `login_user`."""
    now = time.time() if now is None else now
    session.permanent = True
    session[VERSION], session[LOGIN_AT], session[SEEN_AT] = version, int(now), int(now)
    session[AGENT] = _agent()


def _agent() -> str:
    return hashlib.sha256((request.headers.get("User-Agent") or "").encode()).hexdigest()[:16]


def still_valid(version: int, now: float | None = None) -> bool:
    """Whether the current session may go on for an account whose stored version is `version`;
    refreshes the idle clock when it may."""
    now = time.time() if now is None else now
    cfg = settings()
    try:
        sv, t0, seen = int(session[VERSION]), int(session[LOGIN_AT]), int(session[SEEN_AT])
    except (KeyError, TypeError, ValueError):
        return False  # a cookie from before this scheme, or a remember-me cookie: log in again
    if sv != version or now - t0 > cfg.session_max_hours * 3600 or now - seen > cfg.session_idle_minutes * 60:
        return False
    if session.get(AGENT) != _agent():
        return False
    if now - seen >= TOUCH_EVERY:
        session[SEEN_AT] = int(now)
    return True


class Throttle:
    """Failure counters for one login attempt (an account name from one client address).

    Past the per-account total the account is not locked everywhere: an address that has not failed
    for it may still try, one attempt per `login_account_delay_seconds` for the account (a gate key),
    so the owner gets in from a new address after a short wait while guessing stays slow.
    `steward user unlock NAME` clears the account's counters."""

    def __init__(self, username: str) -> None:
        self.cfg = settings()
        self.redis = runtime.current().redis
        addr = request.remote_addr or "-"
        self.account = account_digest(username)
        self.keys = (f"{PREFIX}pair:{addr}:{self.account}", f"{PREFIX}addr:{addr}", f"{PREFIX}acct:{self.account}")
        self.limits = (self.cfg.login_failures_per_account, self.cfg.login_failures_per_address,
                       self.cfg.login_failures_account_total)
        self.wait_seconds = self.cfg.login_window_minutes * 60

    def blocked(self) -> bool:
        pair, addr, acct = (int(c or 0) for c in self.redis.mget(self.keys))
        if pair >= self.limits[0] or addr >= self.limits[1]:
            return True
        if acct < self.limits[2]:
            return False
        self.wait_seconds = self.cfg.login_account_delay_seconds
        if pair:
            return True  # this address already failed for the account: it waits out the window
        gate = f"{PREFIX}gate:{self.account}"
        return not self.redis.set(gate, 1, nx=True, ex=self.cfg.login_account_delay_seconds)

    def failed(self) -> None:
        pipe = self.redis.pipeline(transaction=True)
        for key in self.keys:
            pipe.set(key, 0, ex=self.cfg.login_window_minutes * 60, nx=True)
            pipe.incr(key)
        pipe.execute()

    def succeeded(self) -> None:
        # Only this client's count for this account: a success elsewhere says nothing about an attacker.
        self.redis.delete(self.keys[0])


PREFIX = "steward:login:fail:"


def account_digest(username: str) -> str:
    return hashlib.sha256(username.strip().lower().encode()).hexdigest()[:20]


def unlock(redis, username: str) -> int:  # noqa: ANN001 — a redis client
    """Clear every failure counter of `username` (all addresses); returns how many keys went."""
    account = account_digest(username)
    keys = [f"{PREFIX}acct:{account}", f"{PREFIX}gate:{account}",
            *redis.scan_iter(match=f"{PREFIX}pair:*:{account}", count=500)]
    return int(redis.delete(*keys))
