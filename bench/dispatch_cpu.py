"""CPU per dispatched ticket: what one ticket costs a worker, PostgreSQL and the fake WeChat, in
CPU time (not wall time), so the figure holds on a machine shared with other jobs.

    .venv/bin/python bench/dispatch_cpu.py                   # 5 batches of 200 tickets, PostgreSQL
    .venv/bin/python bench/dispatch_cpu.py --profile 300     # and a cProfile of 300 in-process dispatches

One `steward worker` process (as shipped: jobs in the warm process), the sandbox under gunicorn as a
process of its own, PostgreSQL. Each batch commits its tickets the way the webhook does (the
resident wrote just now, so the notice goes as a customer-service text; the member's task as a
template), enqueues their dispatch jobs at once, and waits until every task push is recorded.
CPU is read from /proc before and after the batch: the worker process, the PostgreSQL backends of
the bench database, the sandbox's gunicorn tree. Baseline in the same run and worker: RQ no-op
jobs (what RQ itself costs per job). Figures are the median and the best of the batches.

`--profile N`: the worker stopped, N dispatch jobs run in this process under cProfile (the sandbox
still in its own process); prints process CPU per ticket and the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis as redis_lib  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from bench import loadgen  # noqa: E402
from bench.webhook import fresh_pg  # noqa: E402

HZ = os.sysconf("SC_CLK_TCK")


def noop() -> None:
    """The baseline job."""


def ticks(pids: list[int]) -> int:
    """utime + stime of these processes and their children, in clock ticks."""
    return loadgen.cpu_ticks({"x": pids}, {})["x"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", type=int, default=5)
    ap.add_argument("--size", type=int, default=200, help="tickets per batch")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/7", help="a db this run may flush")
    ap.add_argument("--pg-db", default="h14_dispatch_cpu", help="PostgreSQL database to (re)create")
    ap.add_argument("--profile", type=int, default=0, metavar="N", help="then cProfile N in-process dispatches")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--statements", action="store_true", help="then print the SQL of one in-process dispatch")
    ap.add_argument("--profile-out", metavar="FILE", help="with --profile: also dump the pstats to FILE")
    args = ap.parse_args()

    info = loadgen.machine()
    print(f"machine: {info['nproc']} CPUs, load average {info['loadavg']}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="steward-bench-dcpu-"))
    db_url = fresh_pg(args.pg_db)
    sbx_port = loadgen.free_port()
    env = loadgen.service_env(work, db_url, args.redis, sbx_port)
    os.environ.update(env)
    r = redis_lib.Redis.from_url(args.redis)
    r.flushdb()

    from bot import config as config_mod
    from bot.domain import texts
    from bot.domain.clock import utcnow
    from bot.runtime import set_worker_steward
    from bot.sandbox.window import note_user_message
    from bot.services.dispatch import assign as dispatch
    from bot.services.push.send import queue_push
    from bot.services.tickets.lifecycle import create_ticket
    from bot.services.uow import jobs
    from bot.services.uow.steward import Steward
    from bot.storage.migrate import upgrade
    from bot.storage.models import Push, Resident

    upgrade(db_url)
    steward = Steward(config_mod.load())
    courtyards = [c.id for c in steward.config.courtyards]
    engine = steward.sessions.kw["bind"]
    with engine.begin() as conn:  # residents who just wrote: their notice goes as a customer-service text
        conn.execute(insert(Resident), [{"openid": f"o-bench-resident-{i}", "last_message_at": utcnow(),
                                         "created_at": utcnow()} for i in range(400)])
    procs = [loadgen.sandbox(sbx_port, env, work, work / "sandbox.log")]
    counter = {"n": 0}

    def new_tickets(n: int) -> list[int]:
        ids = []
        with steward.session() as s:
            for _ in range(n):
                i = counter["n"] = counter["n"] + 1
                t = create_ticket(s, category="repair", subcategory="照明", courtyard=courtyards[i % len(courtyards)],
                                  text=f"楼道灯坏了 #{i}", resident_openid=f"o-bench-resident-{i % 400}")
                ids.append(t.id)
                note_user_message(steward.redis, t.resident_openid or "")  # as the webhook tells the sandbox
        return ids

    def alert_batch(n: int) -> None:
        """n pushes, 4 to a web transaction: a second report of an open emergency alerts its member,
        the backup and the two staff members of the sample community."""
        for k in range(0, n, 4):
            with steward.session() as s:
                t = create_ticket(s, category="repair", subcategory="照明", courtyard=courtyards[0], text="水管爆了")
                counter["n"] += 1
                for i in range(k, min(n, k + 4)):
                    content, body = texts.alert(steward.config, t, "紧急")
                    queue_push(s, steward.config, ticket=t, openid=f"o-bench-staff-{i % 4}", kind="alert",
                               tag=f"b{counter['n']}", content=content, text=body)
        q = jobs.queue(steward.redis_raw, jobs.PUSH)
        wait_until(lambda: q.count == 0 and not pending_pushes(), "the push jobs")

    def pending_pushes() -> int:
        with steward.session() as s:
            return s.scalar(select(func.count()).select_from(Push).where(Push.status == "pending")) or 0

    def pushed_tasks() -> int:
        with steward.session() as s:
            return s.scalar(select(func.count()).select_from(Push)
                            .where(Push.kind.in_(("task", "triage")), Push.status != "pending")) or 0

    def wait_until(cond, what: str, limit: float = 600) -> None:  # noqa: ANN001
        end = time.time() + limit
        while not cond():
            if time.time() > end:
                raise RuntimeError(f"timed out waiting for {what}:\n{procs[-1].tail()}")
            time.sleep(0.05)

    def run_batch(n: int) -> None:
        target = pushed_tasks() + n
        for tid in new_tickets(n):
            jobs.enqueue_dispatch(steward.redis_raw, tid)
        wait_until(lambda: pushed_tasks() >= target, "the batch's task pushes")

    def noop_batch(n: int) -> None:
        q = jobs.queue(steward.redis_raw, jobs.DEFAULT)
        ids = [q.enqueue("bench.dispatch_cpu.noop", result_ttl=600).id for _ in range(n)]
        last = ids[-1]
        wait_until(lambda: (q.fetch_job(last) or noop).get_status(refresh=True) == "finished"  # type: ignore[union-attr]
                   and q.count == 0, "no-op jobs")

    try:
        loadgen.wait_http(f"http://127.0.0.1:{sbx_port}/healthz", procs[0])
        procs.append(loadgen.spawn([str(loadgen.VENV_BIN / "steward"), "worker"], env, work, work / "worker.log"))
        worker, sandbox = procs[1].popen.pid, procs[0].popen.pid
        run_batch(40)  # warm-up: imports, the token, prepared statements, the pools
        noop_batch(200)
        alert_batch(40)
        rows: dict[str, list[float]] = {"worker": [], "postgres": [], "sandbox": [], "noop": [], "wall": [], "push": [], "push_wall": []}
        for _ in range(args.batches):
            backends = loadgen.pg_backends(engine, args.pg_db)
            w0, p0, s0 = ticks([worker]), ticks(backends), ticks([sandbox])
            t0 = time.perf_counter()
            run_batch(args.size)
            rows["wall"].append((time.perf_counter() - t0) * 1000 / args.size)
            w1, s1 = ticks([worker]), ticks([sandbox])
            p1 = ticks(backends)
            per = 1000 / HZ / args.size
            rows["worker"].append((w1 - w0) * per)
            rows["postgres"].append((p1 - p0) * per)
            rows["sandbox"].append((s1 - s0) * per / 2)  # two pushes per ticket
            n0 = ticks([worker])
            noop_batch(args.size)
            rows["noop"].append((ticks([worker]) - n0) * per)
            a0, t0 = ticks([worker]), time.perf_counter()
            alert_batch(args.size)
            rows["push_wall"].append((time.perf_counter() - t0) * 1000 / args.size)
            rows["push"].append((ticks([worker]) - a0) * per)
        procs.pop().stop()

        def fig(k: str) -> str:
            return f"median {statistics.median(rows[k]):5.1f} ms, best {min(rows[k]):5.1f} ms"

        print(f"\nCPU per dispatched ticket — {args.batches} batches of {args.size}, 1 × steward worker, PostgreSQL, "
              f"sandbox over HTTP (its own process)")
        print(f"  worker process        {fig('worker')}   (dispatch job + 2 WeChat calls)")
        print(f"  PostgreSQL backends   {fig('postgres')}")
        print(f"  sandbox, per push     {fig('sandbox')}")
        print(f"  wall time per ticket  {fig('wall')}   (one worker, jobs back to back: its CPU share "
              f"{statistics.median(rows['worker']) / statistics.median(rows['wall']) * 100:.0f} %)")
        print(f"  alerts, 4 a transaction  {fig('push')}   CPU per push; wall {fig('push_wall')}")
        print(f"  baseline: RQ no-op    {fig('noop')}   per job, same worker")
        with steward.session() as s:
            spread = s.execute(select(Push.kind, Push.channel, Push.status, func.count())
                               .group_by(Push.kind, Push.channel, Push.status)).all()
        print("  pushes               " + ", ".join(f"{k}/{c}/{st} {n}" for k, c, st, n in sorted(spread)))
        print(f"  worker minus no-op    {statistics.median(rows['worker']) - statistics.median(rows['noop']):5.1f} ms")

        if args.profile:
            set_worker_steward(steward)
            n = args.profile
            ids = new_tickets(2 * n + 20)
            for tid in ids[:20]:
                dispatch.dispatch_ticket(steward, tid, 1)
            c0 = time.process_time()
            for tid in ids[20:20 + n]:
                dispatch.dispatch_ticket(steward, tid, 1)
            plain = (time.process_time() - c0) / n * 1000
            prof = cProfile.Profile(time.process_time)  # CPU, not time spent waiting
            prof.enable()
            for tid in ids[20 + n:]:
                dispatch.dispatch_ticket(steward, tid, 1)
            prof.disable()
            if args.profile_out:
                prof.dump_stats(args.profile_out)
            out = io.StringIO()
            stats = pstats.Stats(prof, stream=out)
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)
            print(out.getvalue())
            print(f"in-process dispatch job (no RQ): {plain:.1f} ms CPU per ticket over {n} tickets, "
                  f"without the profiler")
        if args.statements:
            from sqlalchemy import event

            set_worker_steward(steward)
            first, tid = new_tickets(2)
            dispatch.dispatch_ticket(steward, first, 1)  # warm: the calendar, the token, the statement cache
            seen: list[str] = []
            event.listen(engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
            dispatch.dispatch_ticket(steward, tid, 1)
            print(f"one dispatch: {len(seen)} SQL statements (BEGIN/COMMIT not counted)")
            print("\n".join("  " + " ".join(st.split())[:150] for st in seen))
        print(f"load average after: {loadgen.machine()['loadavg']}")
    finally:
        for p in reversed(procs):
            p.stop()
        r.flushdb()
    return 0


if __name__ == "__main__":
    sys.exit(main())
