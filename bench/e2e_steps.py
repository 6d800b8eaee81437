"""Step mode of `bench/end_to_end.py`: the highest steady rate one machine carries, and the margin.

The same stream at rising rates on one running system, the queues drained between steps. A step is
*carried* when its message → push p95 is under 1 s, every message became a pushed ticket (or joined
an open one), and its backlog stayed flat (no 5 s sample above one second's worth of messages, and
the last not above the first + 10).

Each step also reports the CPU each component spent per message, from the step's first message to
its last push: the bot (webhook, workers, its PostgreSQL backends, its Redis) apart from what only
the benchmark has on this machine (the fake WeChat and the load client; in production WeChat is
Tencent's and the residents' phones send). `bot capacity` = the machine's cores ÷ the bot's CPU per
message: the rate at which the bot alone would fill every core. It is an upper bound derived from a
measurement, printed next to the measured steps, never instead of them.
"""

from __future__ import annotations

import argparse
import os
import re
import time
from dataclasses import dataclass

import redis
from sqlalchemy import create_engine, select

from bench import loadgen
from bench.e2e_probes import CMID, BacklogProbe, SandboxTap, WindowTap, queued
from bench.webhook import Messages

HZ = os.sysconf("SC_CLK_TCK")
BOT = ("webhook", "workers", "postgres", "redis")
OUTSIDE = ("sandbox (WeChat)", "load client")


@dataclass
class Components:
    """The processes whose CPU a step counts, by component."""

    groups: dict[str, list[int]]  # label → root pids (whole trees)
    alone: dict[str, int]  # label → one pid without its children
    db_name: str | None  # PostgreSQL's; None on SQLite (the bot's own processes do the I/O)
    engine_url: str

    def ticks(self) -> dict[str, int]:
        groups = dict(self.groups, postgres=self._pg_backends()) if self.db_name else self.groups
        return loadgen.cpu_ticks(groups, {}, self.alone)

    def _pg_backends(self) -> list[int]:
        engine = create_engine(self.engine_url, pool_size=1)
        try:
            return loadgen.pg_backends(engine, str(self.db_name))
        finally:
            engine.dispose()


def per_message(before: dict[str, int], after: dict[str, int], messages: int) -> dict[str, float]:
    """CPU milliseconds per message by component. A PostgreSQL backend that ended during the step
    is missing from `after` (its ticks are lost, so the figure errs low); one that started counts
    from zero."""
    return {k: max(after.get(k, 0) - before.get(k, 0), 0) / HZ * 1000 / max(messages, 1) for k in after}


def capacity_line(cost: dict[str, float], nproc: int) -> str:
    bot = sum(cost.get(k, 0.0) for k in BOT)
    outside = sum(cost.get(k, 0.0) for k in OUTSIDE)
    parts = ", ".join(f"{k} {cost.get(k, 0.0):.1f}" for k in (*BOT, *OUTSIDE))
    return (f"CPU ms per message: {parts}; bot {bot:.1f}, benchmark-only {outside:.1f} → "
            f"bot capacity {nproc * 1000 / bot:.0f} msg/s on {nproc} cores" if bot else parts)


def residents_for(args: argparse.Namespace) -> int:
    """Enough residents that none writes more than ~3 times over all the steps: a street's peak comes
    from thousands of people. With the 400 of the fixed-rate mode, the 80 and 100 messages/s steps
    had each resident past the report budget (`conversation.reports_per_hour`, 10): their reports
    went to a staff review item, not to a dispatched ticket, and the step counted them as lost."""
    total = 10 * args.warmup + sum(float(x) for x in args.steps.split(",")) * args.step_duration
    return max(400, int(total / 3))


def run_steps(args: argparse.Namespace, r: redis.Redis, db_url: str, url: str, comps: Components,
              make: Messages) -> int:
    from bot.storage.models import InboundMessage

    rates = [float(x) for x in args.steps.split(",")]
    nproc = int(loadgen.machine()["nproc"])
    engine = create_engine(db_url)
    base = make.base
    tap = SandboxTap(r)
    tap.start()
    window = WindowTap(r).start()
    offset, results = 0, []
    if args.warmup:
        # Production runs warm: the first sweep's rates, the access token, each gunicorn worker's and
        # each worker's first statements. Not counted.
        warm: list[int] = []
        loadgen.run_open_loop_raw(url, make, 10.0, args.warmup,
                                  lambda i, t: (warm.append(i), window.wrote(make.openid(i))), lambda *a: None)
        offset = len(warm) + 1
        t_end = time.time() + 30
        while queued(r) and time.time() < t_end:
            time.sleep(0.5)
        print(f"warm-up: {args.warmup:.0f} s at 10 msg/s, not counted", flush=True)
    print(f"step mode: {', '.join(f'{x:g}' for x in rates)} messages/s, {args.step_duration:.0f} s each")
    for rate in rates:
        sent_at: dict[int, float] = {}
        answers: dict[int, str | None] = {}

        def on_answer(i: int, latency: float, status: int, body: bytes | None, err: str | None,
                      _a: dict[int, str | None] = answers) -> None:
            ok = status == 200 and body is not None and body.startswith(b"<xml>")
            _a[i] = err if err else (None if ok else f"http {status}")

        probe = BacklogProbe(r, db_url)
        probe.start()
        first = offset
        cpu0 = comps.ticks()
        loadgen.run_open_loop_raw(url, lambda i, b=first: make(i + b), rate, args.step_duration,
                                  lambda i, t, b=first, s=sent_at: (s.__setitem__(i + b, t),
                                                                    window.wrote(make.openid(i + b))),
                                  lambda i, *rest, b=first: on_answer(i + b, *rest))
        probe.stop()
        offset += len(sent_at) + 1
        deadline = time.time() + args.drain
        msg_ticket: dict[int, int] = {}
        joined: set[int] = set()
        pushed: dict[int, float] = {}
        cpu1 = None
        while time.time() < deadline:
            tap.poll()
            with engine.connect() as conn:
                rows = conn.execute(select(InboundMessage.raw, InboundMessage.ticket_id, InboundMessage.status)).all()
            msg_ticket, joined = {}, set()
            for raw, ticket_id, status in rows:
                m = re.search(r"<MsgId>(\d+)</MsgId>", raw)
                if m and int(m.group(1)) - base in sent_at:
                    i = int(m.group(1)) - base
                    if ticket_id:
                        msg_ticket[i] = ticket_id
                    elif status == "handled":
                        joined.add(i)
            pushed = {}
            for e in tap.entries:
                cm = CMID.match(e.get("client_msg_id") or "")
                if cm and cm.group(2) in ("task", "triage"):
                    pushed.setdefault(int(cm.group(1)), e["time"])
            if not queued(r) and all(msg_ticket.get(i) in pushed or i in joined for i in answers if answers[i] is None):
                cpu1 = comps.ticks()
                break
            time.sleep(0.5)
        cost = per_message(cpu0, cpu1 or comps.ticks(), len(sent_at))
        e2e = [pushed[msg_ticket[i]] - sent_at[i] for i in sent_at if msg_ticket.get(i) in pushed]
        lost = [i for i, a in answers.items() if a is None and i not in joined and msg_ticket.get(i) not in pushed]
        refused = sum(1 for a in answers.values() if a is not None) + len(sent_at) - len(answers)
        backlog = [d + p for _, d, p, _ in probe.samples]
        flat = not backlog or (max(backlog) <= rate and backlog[-1] <= backlog[0] + 10)
        p95 = loadgen.percentile(e2e, 95) if e2e else float("inf")
        ok = p95 < 1.0 and flat and not lost and not refused
        results.append((rate, ok, p95, backlog, len(lost), refused, cost))
        print(f"  {rate:5.0f} msg/s: sent {len(sent_at)}, message → push p95 {p95 * 1000:.0f} ms, backlog per 5 s "
              f"{' '.join(map(str, backlog)) or '-'}, lost {len(lost)}, refused {refused} → "
              f"{'carried' if ok else 'NOT carried'}  (load {loadgen.machine()['loadavg']})", flush=True)
        print(f"         {capacity_line(cost, nproc)}", flush=True)
        if not ok and not args.step_all:
            break
    tap.stop()
    window.stop()
    engine.dispose()
    carried = [x for x, ok, *_ in results if ok]
    fifty = next((x for x in results if x[0] == 50), None)
    print(f"\nhighest steady rate carried (p95 < 1 s, flat backlog, nothing lost): "
          f"{max(carried):g} messages/s" if carried else "\nno step carried")
    if fifty:
        print(f"50 messages/s: p95 {fifty[2] * 1000:.0f} ms, backlog {fifty[3]}, "
              f"{'carried' if fifty[1] else 'NOT carried'}; {capacity_line(fifty[6], nproc)}")
    return 0 if carried else 1
