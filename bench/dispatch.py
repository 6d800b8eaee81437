"""Benchmark: N tickets dispatched end to end through real RQ worker processes to the sandbox.

    .venv/bin/python bench/dispatch.py --tickets 200 --workers 1
    .venv/bin/python bench/dispatch.py --tickets 200 --workers 2 --fork      # forking rq.Worker
    createdb steward_bench && .venv/bin/python bench/dispatch.py --db postgresql+psycopg://127.0.0.1/steward_bench

Each ticket is committed the way the webhook commits it, then `enqueue_dispatch`; the workers run
the dispatch job and the push jobs (task to the member, notice to the resident) against the sandbox
served over HTTP. Reported: tickets/s overall and per worker, and p50/p95 from the ticket's commit
("message in") to its task push recorded as sent. Baseline, same run, same Redis and worker kind:
RQ no-op jobs/s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis as redis_lib  # noqa: E402
from sqlalchemy import select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from bot import config as config_mod  # noqa: E402
from bot.runtime import set_worker_steward  # noqa: E402
from bot.services.tickets.lifecycle import create_ticket  # noqa: E402
from bot.services.uow import jobs  # noqa: E402
from bot.services.uow.steward import Steward  # noqa: E402
from bot.storage.migrate import upgrade  # noqa: E402
from bot.storage.models import Push, Ticket  # noqa: E402


def noop() -> None:
    """The baseline job."""


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_workers(n: int, env: dict[str, str], fork: bool, burst: bool = False) -> list[subprocess.Popen]:
    code = (
        "from bot.runtime import for_worker; from workers.run import run_worker; "
        f"run_worker(for_worker(), burst={burst}, simple={not fork})"
    )
    return [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env) for _ in range(n)]


def baseline(redis_url: str, env: dict[str, str], jobs: int, workers: int, fork: bool) -> float:
    """No-op RQ jobs through the same Redis and the same kind of worker process: jobs/s, timed from
    the first job's start to the last job's end (process start-up excluded, as in the main run)."""
    from rq.job import Job

    r = redis_lib.Redis.from_url(redis_url)
    q = jobs.queue(r, jobs.DEFAULT)
    ids = [q.enqueue("bench.dispatch.noop", result_ttl=600).id for _ in range(jobs)]
    procs = start_workers(workers, env, fork, burst=True)
    for p in procs:
        p.wait()
    done = [j for j in Job.fetch_many(ids, connection=r) if j and j.started_at and j.ended_at]
    span = (max(j.ended_at for j in done) - min(j.started_at for j in done)).total_seconds()
    return len(done) / span


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tickets", type=int, default=200)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--fork", action="store_true", help="forking rq.Worker (default: SimpleWorker)")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/13", help="a db this run may flush")
    ap.add_argument("--db", default="", help="database URL (default: SQLite in a temp dir)")
    ap.add_argument("--rate", type=float, default=0, help="tickets/s offered (0: as fast as possible)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="steward-bench-"))
    db_url = args.db or f"sqlite:///{tmp / 'bench.db'}"
    if args.db.startswith("postgresql"):
        from sqlalchemy import create_engine, text

        if not args.db.rstrip("/").endswith("_bench"):
            sys.exit("refusing to wipe a database whose name does not end in _bench (e.g. …/steward_bench)")
        with create_engine(args.db).begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(db_url)
    port = free_port()
    overrides = {
        "database.url": db_url,
        "redis.url": args.redis,
        "wechat.api_base_url": f"http://127.0.0.1:{port}/sandbox/cgi-bin",
        "sandbox.enabled": True,
        "media.dir": str(tmp / "media"),
    }
    cfg = config_mod.load(ROOT / "config.example.toml", overrides)
    r = redis_lib.Redis.from_url(args.redis)
    r.flushdb()

    import logging

    from bot.sandbox.standalone import create_sandbox_app

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", port, create_sandbox_app(cfg), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    env = dict(os.environ, STEWARD_CONFIG=str(ROOT / "config.example.toml"), STEWARD_DATABASE_URL=db_url,
               STEWARD_REDIS_URL=args.redis, STEWARD_WECHAT_API_BASE_URL=overrides["wechat.api_base_url"],
               PYTHONPATH=str(ROOT))
    steward = Steward(cfg)
    set_worker_steward(steward)
    courtyards = [c.id for c in cfg.courtyards]

    procs = start_workers(args.workers, env, args.fork)
    time.sleep(1.5)  # let the workers import and register
    started = time.perf_counter()
    for i in range(args.tickets):
        with steward.session() as s:
            t = create_ticket(s, category="repair", subcategory="照明", courtyard=courtyards[i % len(courtyards)],
                              text=f"楼道灯坏了 #{i}", resident_openid=f"o-bench-resident-{i}")
            s.flush()
            tid = t.id
        jobs.enqueue_dispatch(steward.redis_raw, tid)
        if args.rate:  # open loop at a steady rate: latency without a self-made backlog
            time.sleep(max(0.0, started + (i + 1) / args.rate - time.perf_counter()))
    deadline = time.time() + 60 + args.tickets
    while time.time() < deadline:
        with steward.session() as s:
            done = s.scalar(select(Push.id).where(Push.kind == "task", Push.status != "pending").order_by(Push.id)
                            .offset(args.tickets - 1).limit(1))
        if done is not None:
            break
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(10)

    with steward.session() as s:
        rows = s.execute(select(Ticket.created_at, Push.updated_at, Push.status)
                         .join(Push, (Push.ticket_id == Ticket.id) & (Push.kind == "task"))).all()
    latencies = sorted((sent - created).total_seconds() * 1000 for created, sent, status in rows if status == "sent")
    failed = sum(1 for *_x, status in rows if status != "sent")
    n = len(latencies)
    base = baseline(args.redis, env, 2000, args.workers, args.fork)
    server.shutdown()

    kind = "forking rq.Worker" if args.fork else "rq.SimpleWorker"
    offered = f"offered at {args.rate:g}/s" if args.rate else "offered all at once"
    print(f"dispatch benchmark — {args.tickets} tickets {offered}, {args.workers} × {kind}, "
          f"{'PostgreSQL' if 'postgresql' in db_url else 'SQLite'}, sandbox over HTTP")
    print(f"  tickets pushed       {n} sent, {failed} not sent, in {elapsed:.2f} s")
    print(f"  throughput           {n / elapsed:.1f} tickets/s total, {n / elapsed / args.workers:.1f} per worker"
          f"  (3 jobs, 2 WeChat calls per ticket)")
    if n:
        p50 = statistics.median(latencies)
        p95 = latencies[min(n - 1, int(n * 0.95))]
        print(f"  message in → push    p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {latencies[-1]:.0f} ms")
    print(f"  baseline             {base:.0f} no-op RQ jobs/s ({args.workers} × {kind}, same Redis)")
    r.flushdb()


if __name__ == "__main__":
    main()
