"""End-to-end benchmark: a steady stream of residents' messages through the whole system.

    .venv/bin/python bench/end_to_end.py             # 50 messages/s for 60 s, 2 workers, PostgreSQL
    .venv/bin/python bench/end_to_end.py --quick     # 10 s
    .venv/bin/python bench/end_to_end.py --db sqlite # SQLite (writers serialised: not the production setup)
    .venv/bin/python bench/end_to_end.py --steps 20,35,50,65,80 --step-duration 20 --drain 20
                                                     # step mode: the highest steady rate carried

Processes, all on loopback: the webhook under gunicorn (`bot.wsgi:app`, production settings), real RQ
worker processes (`steward worker`), and the fake WeChat API (`bench.sandbox_wsgi:app`) as a process of
its own. Each message is signed as WeChat signs it and opens a ticket; the worker dispatches it and
pushes the task to the council member. Reported: the webhook's answer latency, and the time from a
message leaving the client to its task push being recorded at the sandbox (p50/p95/p99); tickets lost
(answered but never pushed) and duplicate pushes (the same message recorded twice at the sandbox).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402

from bench import e2e_steps, loadgen  # noqa: E402
from bench.e2e_probes import CMID, BacklogProbe, SandboxTap, WindowTap, queued  # noqa: E402
from bench.webhook import Messages, fresh_pg  # noqa: E402

REDIS_URL = "redis://127.0.0.1:6379/9"
PG_DB = "steward_bench_e2e"
WORKER_MODES = {
    # As shipped: jobs run in the warm worker process, which imports the job modules and opens a
    # database connection before taking jobs (`workers.run.warm_up`).
    "steward": [str(loadgen.VENV_BIN / "steward"), "worker"],
    # A work horse forked per job: more isolation, slower.
    "fork": [str(loadgen.VENV_BIN / "steward"), "worker", "--fork"],
}


def settle(pids: list[int], limit: float = 20.0, step: float = 0.5) -> float:
    """Wait until the processes just started stop burning CPU (gunicorn's other workers and the RQ
    workers still importing when the first one answers): under 15 % of a core over `step`, twice
    in a row. Otherwise their start-up competes with the first seconds of the stream on 2 cores."""
    hz = os.sysconf("SC_CLK_TCK")
    t0, quiet = time.time(), 0
    before = loadgen.cpu_ticks({"all": pids}, {})["all"]
    while time.time() - t0 < limit and quiet < 2:
        time.sleep(step)
        now = loadgen.cpu_ticks({"all": pids}, {})["all"]
        quiet = quiet + 1 if (now - before) / hz < 0.15 * step else 0
        before = now
    return time.time() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, default=50.0, help="messages per second")
    ap.add_argument("--duration", type=float, default=60.0)
    ap.add_argument("--quick", action="store_true", help="10 s instead of 60")
    ap.add_argument("--workers", type=int, default=2, help="`steward worker` processes")
    ap.add_argument("--worker-mode", choices=sorted(WORKER_MODES), default="steward",
                    help="steward: `steward worker` as shipped (jobs in the warm worker process); "
                         "fork: `steward worker --fork` (a work horse forked per job)")
    ap.add_argument("--web-workers", type=int, default=4, help="gunicorn workers for the webhook")
    # PostgreSQL as in production: SQLite serialises writers across the web and worker processes.
    ap.add_argument("--db", choices=["sqlite", "pg"], default="pg")
    ap.add_argument("--drain", type=float, default=60.0, help="seconds to wait for the last pushes")
    ap.add_argument("--redis-url", default=REDIS_URL)
    ap.add_argument("--pg-db", default=PG_DB, help="PostgreSQL database to (re)create for the run")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--client", choices=["raw", "httpx"], default="raw",
                    help="raw: a hand-written HTTP client (little CPU); httpx: the previous client")
    ap.add_argument("--steps", default="", help="step mode: rates to try in turn, e.g. 20,35,50,65,80,100")
    ap.add_argument("--step-duration", type=float, default=20.0, help="seconds per step")
    ap.add_argument("--step-all", action="store_true", help="run every step, not stop at the first missed")
    ap.add_argument("--warmup", type=float, default=10.0, help="step mode: seconds at 10 msg/s first, not counted")
    args = ap.parse_args()
    if args.quick:
        args.duration = 10.0

    info = loadgen.machine()
    print(f"machine: {info['nproc']} CPUs, {info['cpu']}, Python {info['python']}, load average {info['loadavg']}")
    print(f"{args.rate:.0f} messages/s for {args.duration:.0f} s; webhook gunicorn -w {args.web_workers}; "
          f"{args.workers} × worker ({args.worker_mode}); sandbox gunicorn -w 2 (gthread, keep-alive); db={args.db}\n", flush=True)
    work = Path(tempfile.mkdtemp(prefix="steward-bench-e2e-"))
    r = redis.Redis.from_url(args.redis_url)
    r.flushdb()
    db_url = fresh_pg(args.pg_db) if args.db == "pg" else f"sqlite:///{work / 'steward.db'}"
    web_port, sbx_port = loadgen.free_port(), loadgen.free_port()
    env = loadgen.service_env(work, db_url, args.redis_url, sbx_port)
    procs: list[loadgen.Proc] = []
    failed = False
    try:
        up = loadgen.spawn([str(loadgen.VENV_BIN / "steward"), "db", "upgrade"], env, work, work / "upgrade.log")
        if up.popen.wait(120) != 0:
            raise RuntimeError(up.tail())
        procs.append(loadgen.sandbox(sbx_port, env, work, work / "sandbox.log", 2))
        procs.append(loadgen.gunicorn("bot.wsgi:app", web_port, env, work, work / "web.log", args.web_workers))
        for i in range(args.workers):
            procs.append(loadgen.spawn(WORKER_MODES[args.worker_mode], env, work, work / f"worker{i}.log"))
        loadgen.wait_http(f"http://127.0.0.1:{sbx_port}/healthz", procs[0])
        loadgen.wait_http(f"http://127.0.0.1:{web_port}/healthz", procs[1])
        time.sleep(1.0)  # workers register with Redis
        settled = settle([p.popen.pid for p in procs])
        print(f"processes settled {settled:.1f} s after the first answers (imports done)", flush=True)

        # CPU by component: the bot's processes, its database's backends and its Redis; the sandbox
        # and this load client apart (benchmark-only).
        comps = e2e_steps.Components(
            {"webhook": [procs[1].popen.pid], "workers": [p.popen.pid for p in procs[2:]],
             "sandbox (WeChat)": [procs[0].popen.pid], "redis": [int(r.info("server")["process_id"])]},
            {"load client": os.getpid()}, args.pg_db if args.db == "pg" else None, db_url)
        if args.steps:
            return e2e_steps.run_steps(args, r, db_url, f"http://127.0.0.1:{web_port}/wechat", comps,
                                       Messages(safe=False, residents=e2e_steps.residents_for(args)))

        make = Messages(safe=False)
        sent_at: dict[int, float] = {}
        answers: dict[int, tuple[float, int, str | None]] = {}

        def on_answer(i: int, latency: float, status: int, body: bytes | None, err: str | None) -> None:
            ok = status == 200 and body is not None and body.startswith(b"<xml>")
            answers[i] = (latency, status, err if err else (None if ok else f"http {status}"))

        tap = SandboxTap(r)
        tap.start()
        probe = BacklogProbe(r, db_url)
        probe.start()
        cpu0 = comps.ticks()  # of one core over the stream; the machine has nproc × 100 %
        t_start = time.time()
        send = loadgen.run_open_loop if args.client == "httpx" else loadgen.run_open_loop_raw
        window = WindowTap(r).start()  # the residents wrote through WeChat: its 48-hour window is open
        send(f"http://127.0.0.1:{web_port}/wechat", make, args.rate, args.duration,
             lambda i, t: (sent_at.__setitem__(i, t), window.wrote(make.openid(i))), on_answer)
        window.stop()
        t_sent = time.time()
        probe.stop()
        cpu_line = loadgen.cpu_split(cpu0, comps.ticks(), t_sent - t_start)
        print(f"stream done in {t_sent - t_start:.1f} s; waiting for the last pushes …", flush=True)

        # MsgId ↔ ticket id from the database: the inbound row links the message to its ticket.
        engine = create_engine(db_url)
        from bot.storage.models import InboundMessage, Ticket

        joined: set[int] = set()  # handled without a ticket of its own: a report joining an open one

        def tickets_by_msg() -> dict[int, int]:
            with engine.connect() as conn:
                rows = conn.execute(select(InboundMessage.raw, InboundMessage.ticket_id, InboundMessage.status)).all()
            out = {}
            for raw, ticket_id, status in rows:
                m = re.search(r"<MsgId>(\d+)</MsgId>", raw)
                if m and ticket_id:
                    out[int(m.group(1)) - make.base] = ticket_id
                elif m and status == "handled":
                    joined.add(int(m.group(1)) - make.base)
            return out

        def first_push() -> dict[int, float]:
            out: dict[int, float] = {}
            for e in tap.entries:
                m = CMID.match(e.get("client_msg_id") or "")
                if m and m.group(2) in ("task", "triage"):
                    out.setdefault(int(m.group(1)), e["time"])
            return out

        deadline = time.time() + args.drain
        while time.time() < deadline:
            tap.poll()
            if len(first_push()) >= len(tickets_by_msg()) >= len(answers) - len(joined) and not queued(r):  # alerts too
                break
            time.sleep(0.5)
        tap.stop()
        backlog = {q: r.llen(f"rq:queue:{q}") for q in ("urgent", "dispatch", "push", "default")}

        msg_ticket = tickets_by_msg()
        pushed = first_push()
        with engine.connect() as conn:
            statuses = dict(conn.execute(text("SELECT status, count(*) FROM tickets GROUP BY status")).all())
            n_tickets = conn.scalar(select(text("count(*)")).select_from(Ticket))
        engine.dispose()

        bad_answers = {i: a for i, a in answers.items() if a[2] is not None}
        webhook_lat = [a[0] for a in answers.values() if a[2] is None]
        e2e = [pushed[msg_ticket[i]] - sent_at[i] for i in sent_at if i in msg_ticket and msg_ticket[i] in pushed]
        # A second report of an open emergency joins its ticket (staff and the member are alerted
        # again, no new task): not lost, but no message → push figure either.
        lost = [i for i, a in answers.items() if a[2] is None and i not in joined and msg_ticket.get(i) not in pushed]
        keys: dict[tuple, int] = {}
        for e in tap.entries:
            key = (e["openid"], e.get("client_msg_id") or "", e.get("text") or "",
                   json.dumps(e.get("data"), sort_keys=True) if not e.get("client_msg_id") else "")
            keys[key] = keys.get(key, 0) + 1
        duplicates = sum(n - 1 for n in keys.values() if n > 1)

        def ms(values: list[float], p: float) -> str:
            return f"{loadgen.percentile(values, p) * 1000:.0f}" if values else "n/a"

        print(f"\nmessages sent {len(sent_at)}, answered 200 with a reply {len(webhook_lat)}, "
              f"refused/failed {len(bad_answers)}")
        print(f"webhook answer     p50 {ms(webhook_lat, 50)}  p95 {ms(webhook_lat, 95)}  p99 {ms(webhook_lat, 99)}  "
              f"max {max(webhook_lat) * 1000 if webhook_lat else float('nan'):.0f} ms")
        print(f"message → push     p50 {ms(e2e, 50)}  p95 {ms(e2e, 95)}  p99 {ms(e2e, 99)}  "
              f"max {max(e2e) * 1000 if e2e else float('nan'):.0f} ms  (n={len(e2e)})")
        # Over time (by when the message was sent): a backlog shows as a run of slow windows.
        windows: dict[int, list[float]] = {}
        for i in sent_at:
            if i in msg_ticket and msg_ticket[i] in pushed:
                windows.setdefault(int((sent_at[i] - t_start) // 5), []).append(pushed[msg_ticket[i]] - sent_at[i])
        print("message → push by 5 s of sending, p95 ms: "
              + " ".join(f"{ms(windows[w], 95)}" for w in sorted(windows)))
        print(f"backlog (dispatch + push + urgent jobs queued) per 5 s of sending: {probe.line()}")
        print(f"tickets {n_tickets} by status {statuses}; {len(joined)} messages joined an open ticket; "
              f"sandbox recorded {len(tap.entries)} messages")
        print(f"CPU during the stream (% of one core, {loadgen.machine()['nproc']} cores): {cpu_line}")
        print(f"tickets lost {len(lost)} (not pushed {args.drain:.0f} s after the stream; RQ backlog then "
              f"{backlog}); duplicate pushes {duplicates}")
        p95 = loadgen.percentile(e2e, 95) if e2e else float("inf")
        verdict = [
            "p95<1s " + ("OK" if p95 < 1.0 else "MISSED"),
            "0 lost " + ("OK" if not lost and not bad_answers else "MISSED"),
            "0 duplicates " + ("OK" if duplicates == 0 else "MISSED"),
        ]
        print("targets: " + ", ".join(verdict))
        failed = any("MISSED" in v for v in verdict)
        if lost[:5]:
            print(f"first lost messages: {lost[:5]}")
        print(f"load average after: {loadgen.machine()['loadavg']}")
    finally:
        for p in reversed(procs):
            p.stop()
        r.flushdb()
        if args.keep or failed:
            print(f"logs kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
