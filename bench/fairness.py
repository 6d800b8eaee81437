"""One community's flood against another's single report (issue 21 item 4): how long the second
community's ticket waits for its task push while the first's flood is being dispatched.

    .venv/bin/python bench/fairness.py                 # a flood of 300, PostgreSQL, one worker
    .venv/bin/python bench/fairness.py --flood 1000

Two communities on one deployment (the sample community and a second on its own account), one
`steward worker` process, the sandbox under gunicorn, PostgreSQL. Each round commits the flood's
tickets in community 1, enqueues their dispatch jobs, then commits and enqueues ONE ticket in
community 2, and waits until every task push is recorded. Two rounds in the same run:
- shared: every dispatch job on the one `dispatch` queue (how it was before: first come, first served);
- fair: each community's jobs on its own queue, taken in turn (workers.run._FairCommunities).
Printed: community 2's wait (enqueue → its task push sent) next to the time the flood takes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis as redis_lib  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench import loadgen  # noqa: E402
from bench.webhook import fresh_pg  # noqa: E402

SECOND = """
[wechat]
token = "bench-second-token"
app_id = "wxbench00second"
app_secret = "bench-second-secret"
original_id = "gh_bench_second"
[templates]
task = "TPL_SECOND_TASK"
notice = "TPL_SECOND_NOTICE"
[[courtyards]]
id = "s1"
name = "新华路1号院"
[[members]]
name = "赵建设"
courtyard = "s1"
openid = "o-bench-second-chair"
role = "会长"
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--flood", type=int, default=300, help="tickets of community 1 queued first")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/8", help="a db this run may flush")
    ap.add_argument("--pg-db", default="h21_fairness", help="PostgreSQL database to (re)create")
    args = ap.parse_args()

    info = loadgen.machine()
    print(f"machine: {info['nproc']} CPUs, load average {info['loadavg']}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="steward-bench-fair-"))
    db_url = fresh_pg(args.pg_db)
    sbx_port = loadgen.free_port()
    env = loadgen.service_env(work, db_url, args.redis, sbx_port)
    os.environ.update(env)
    redis_lib.Redis.from_url(args.redis).flushdb()

    from bot import config as config_mod
    from bot.config.fragment import parse
    from bot.services.community import tenants
    from bot.services.community.sync import sync_from_config
    from bot.services.tickets.lifecycle import create_ticket
    from bot.services.uow import jobs
    from bot.services.uow.steward import Steward
    from bot.storage.migrate import upgrade
    from bot.storage.models import Push

    upgrade(db_url)
    steward = Steward(config_mod.load())
    sync_from_config(steward)
    with steward.session() as s:
        second = tenants.add(s, "second", "新华路社区", parse(SECOND)).id
    yards = [c.id for c in steward.config.courtyards]
    procs = [loadgen.sandbox(sbx_port, env, work, work / "sandbox.log")]

    def ticket(st: Steward, courtyard: str, i: int) -> int:
        with st.session() as s:
            return create_ticket(s, category="repair", subcategory="照明", courtyard=courtyard, text=f"楼道灯坏了 #{i}",
                                 resident_openid=f"o-bench-fair-{i}").id

    def sent_at(tid: int) -> float | None:
        with steward.session() as s:
            at = s.scalar(select(func.max(Push.updated_at)).where(Push.ticket_id == tid, Push.kind == "task",
                                                                    Push.status != "pending"))
        return at.replace(tzinfo=UTC).timestamp() if at is not None else None  # naive UTC

    def enqueue(tid: int, community: int, fair: bool) -> None:
        job = replace(jobs.dispatch_job(tid), community=community)
        if fair:
            jobs.enqueue(steward.redis_raw, job)
            return
        # as before: the one `dispatch` queue, first come first served (the job still names its community)
        jobs.queue(steward.redis_raw, jobs.DISPATCH).enqueue(job.func, *job.args, job_id=job.job_id,
                                                              meta={jobs.COMMUNITY_META: community})

    def round_(fair: bool, base: int) -> tuple[float, float]:
        flood = [ticket(steward, yards[i % len(yards)], base + i) for i in range(args.flood)]
        late = ticket(steward.for_community(second), "s1", base + args.flood)
        t0 = time.time()
        for tid in flood:
            enqueue(tid, 1, fair)
        t_late = time.time()
        enqueue(late, second, fair)
        end = time.time() + 900
        while (sent_at(late) is None or sent_at(flood[-1]) is None) and time.time() < end:
            time.sleep(0.1)
        late_at, last_at = sent_at(late), sent_at(flood[-1])
        if late_at is None or last_at is None:
            raise RuntimeError("timed out")
        return late_at - t_late, last_at - t0

    try:
        loadgen.wait_http(f"http://127.0.0.1:{sbx_port}/healthz", procs[0])
        procs.append(loadgen.spawn([str(loadgen.VENV_BIN / "steward"), "worker"], env, work, work / "worker.log"))
        round_(True, 0)  # warm-up
        shared = round_(False, 10_000)
        fair = round_(True, 20_000)
    finally:
        for p in reversed(procs):
            p.stop()
    print(f"\nA flood of {args.flood} tickets in community 1, then one ticket in community 2 "
          f"(1 × steward worker, PostgreSQL, sandbox over HTTP)")
    print(f"  shared queue (before): community 2 waits {shared[0]:6.2f} s; the flood takes {shared[1]:6.2f} s")
    print(f"  fair queues  (now):    community 2 waits {fair[0]:6.2f} s; the flood takes {fair[1]:6.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
