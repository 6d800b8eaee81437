"""What `bench/end_to_end.py` watches while it sends: the fake WeChat's outbound log, and the
queues' backlog every 5 s."""

from __future__ import annotations

import json
import re
import sys
import threading
import time

import redis
from sqlalchemy import create_engine, text

SANDBOX_PREFIX = "steward:sandbox:"
CMID = re.compile(r"^(?:[0-9a-f]+-)?t(\d+)-([a-z]+)-")  # the deployment id first (since the security merge)


def waiting(r: redis.Redis) -> tuple[int, int]:
    """Jobs waiting: on the dispatch queues (each community's and the plain one), and on the push
    and urgent queues (the alerts, urgent tickets)."""
    dispatch = sum(r.llen(k) for k in r.scan_iter("rq:queue:dispatch*"))
    return dispatch, r.llen("rq:queue:push") + r.llen("rq:queue:urgent")


def queued(r: redis.Redis) -> int:
    return sum(waiting(r))


class SandboxTap:
    """Polls the sandbox's outbound log (a capped Redis list) often enough never to miss an entry."""

    def __init__(self, r: redis.Redis, interval: float = 0.25) -> None:
        self.r, self.interval = r, interval
        self.entries: list[dict] = []
        self.seen = 0
        self.seqs: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.poll()

    def poll(self) -> None:
        last = int(self.r.get(SANDBOX_PREFIX + "seq") or 0)
        new = last - self.seen
        if new <= 0:
            return
        # The sandbox takes a sequence number, then appends: with several sandbox processes entries can
        # land slightly out of order, so re-read a margin and de-duplicate by sequence number.
        raw = self.r.lrange(SANDBOX_PREFIX + "msgs", -min(new + 200, 2000), -1)
        for item in raw:
            entry = json.loads(item)
            if entry["seq"] not in self.seqs:
                self.seqs.add(entry["seq"])
                self.entries.append(entry)
        if new + 200 > 2000:
            print("warning: sandbox entries may have been trimmed before they were read", file=sys.stderr)
        self.seen = last

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll()


class BacklogProbe:
    """Every 5 s: jobs waiting on the dispatch and push queues and tickets still `received`. A flat
    line is a system keeping up; a rising one is the backlog that makes a run miss its p95."""

    def __init__(self, r: redis.Redis, db_url: str, every: float = 5.0) -> None:
        self.r, self.every = r, every
        self.engine = create_engine(db_url, pool_size=1)
        self.samples: list[tuple[float, int, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.t0 = time.time()

    def start(self) -> None:
        self.t0 = time.time()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        self.engine.dispose()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            dispatch, push = waiting(self.r)
            with self.engine.connect() as conn:
                received = conn.scalar(text("SELECT count(*) FROM tickets WHERE status = 'received'")) or 0
            self.samples.append((time.time() - self.t0, dispatch, push, received))
            print(f"  t={time.time() - self.t0:5.1f} s  backlog: dispatch queue {dispatch}, push + urgent queues {push}, "
                  f"tickets received {received}", flush=True)

    def line(self) -> str:
        return " ".join(str(d + p) for _, d, p, _ in self.samples)


class WindowTap:
    """The residents' side of WeChat: a message a resident sends opens the 48-hour customer-service
    window on WeChat's servers before it reaches us. The load client sends straight to the webhook,
    so it tells the sandbox itself, in batches every 20 ms (well before a worker's notice): without
    it every notice was refused (45015) and sent again as a template — a call per message that
    production does not make."""

    def __init__(self, r: redis.Redis, every: float = 0.02) -> None:
        self.r, self.every = r, every
        self.pending: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def wrote(self, openid: str) -> None:
        with self._lock:
            self.pending.append(openid)

    def start(self) -> WindowTap:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._flush()

    def _flush(self) -> None:
        from bot.sandbox.window import note_user_messages

        with self._lock:
            batch, self.pending = self.pending, []
        note_user_messages(self.r, list(dict.fromkeys(batch)))

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._flush()
