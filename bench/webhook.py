"""Webhook load benchmark: our webhook under gunicorn vs a bare Flask + wechatpy baseline.

    .venv/bin/python bench/webhook.py                  # plain and safe mode, SQLite, 64 connections
    .venv/bin/python bench/webhook.py --db pg          # PostgreSQL (database steward_bench_webhook)
    .venv/bin/python bench/webhook.py --quick          # a 5-second smoke run

For each mode it starts, one after the other on loopback with the same gunicorn settings: the
baseline (`bench/baseline_app.py`), the durable floor (`bench/floor_app.py`: the baseline plus a
Redis claim and one committed INSERT) and the real app (`bot.wsgi:app`, production config: sandbox
off, Redis db 9, a fresh database, migrations applied). It drives each with a closed loop of
`--concurrency` connections — wrk replaying pre-signed requests (`bench/wrk.py`), or without wrk
the asyncio/httpx loop — sending signed text messages with unique MsgIds, and prints requests/s,
p50/p95/p99/max latency, errors, each server's CPU and our throughput as a ratio of the others'.
Afterwards it checks the database: one stored inbound message and one ticket per answered request,
none failed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402

from bench import loadgen, wrk  # noqa: E402
from bench.floor_app import TABLE as FLOOR_TABLE  # noqa: E402
from bench.floor_app import TABLE_SQL as FLOOR_TABLE_SQL  # noqa: E402
from bot.wechat import signing  # noqa: E402

SAFE_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # a sample 43-character EncodingAESKey
REDIS_URL = "redis://127.0.0.1:6379/9"
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DB = "steward_bench_webhook"
ACCOUNT = "gh_sample_courtyard"

# What residents actually write: a courtyard alias and a problem, so every message opens a ticket.
PLACES = ["粮食局家属院", "3号院", "育英街5号院", "供电局家属院", "新华书店家属院", "卫生局院", "农机厂家属院",
          "水利局家属院", "税务局家属院", "百货大楼家属院", "邮电局家属院"]
PROBLEMS = ["楼道灯坏了好几天了，晚上黑乎乎的", "下水道堵了，污水漫出来了", "楼顶漏水，屋里墙皮都泡了",
            "单元门门禁刷不开", "有人在楼道里飞线充电，太危险了", "垃圾好几天没人清了，味道很大",
            "楼下广场舞声音太大，晚上十点还在跳", "自来水管子爆了，水流了一地"]


def pg_url(db: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{db}"


def fresh_pg(db: str = PG_DB) -> str:
    """An empty PostgreSQL database `db` (dropped first): benchmark databases only."""
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {db}"))
    engine.dispose()
    return pg_url(db)


class Messages:
    """Signed (and in safe mode encrypted) text messages with unique MsgIds, made on the fly."""

    def __init__(self, safe: bool, residents: int = 400) -> None:
        from bot.config import WeChatConfig

        self.wx = WeChatConfig(token=loadgen.BENCH_TOKEN, app_id="wx0000000000sample", app_secret="x",
                               encoding_aes_key=SAFE_KEY if safe else "", original_id=ACCOUNT)
        self.residents = residents
        # Time-based base so MsgIds never repeat across runs against the same database.
        self.base = int(time.time() * 1000) * 1000

    def openid(self, i: int) -> str:
        return f"o-bench-resident-{i % self.residents:05d}"

    def __call__(self, i: int) -> tuple[dict[str, str], bytes]:
        openid = self.openid(i)
        content = f"{PLACES[i % len(PLACES)]}{i % 7 + 1}号楼{PROBLEMS[i % len(PROBLEMS)]}"
        xml = signing.build_text_xml(ACCOUNT, openid, content, msg_id=self.base + i)
        return signing.sign_request(self.wx, xml, openid=openid)


def check_success(_i: int, body: bytes) -> str | None:
    return None if body == b"success" else "unexpected body"


def check_ours(_i: int, body: bytes) -> str | None:
    # A new ticket always gets a passive reply (its ref); "success" here means an internal failure.
    return None if body.startswith(b"<xml>") else "no passive reply"


@dataclass
class Server:
    label: str
    app: str
    path: str
    expect: str  # what every answer's body starts with
    check: loadgen.Checker
    unique: bool  # re-sending a MsgId would be answered from the de-dup store: never allowed


SERVERS = [
    Server("baseline (Flask+wechatpy)", "bench.baseline_app:app", "/wechat", "success", check_success, False),
    Server("durable floor (1 INSERT)", "bench.floor_app:app", "/floor", "success", check_success, True),
    Server("courtyard steward", "bot.wsgi:app", "/wechat", "<xml>", check_ours, True),
]


def env_for(args: argparse.Namespace, safe: bool, db_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    env.update(
        STEWARD_CONFIG=str(loadgen.service_config(Path(tempfile.mkdtemp(prefix="steward-bench-cfg-")))),
        STEWARD_WECHAT_TOKEN=loadgen.BENCH_TOKEN,
        STEWARD_DATABASE_URL=db_url,
        STEWARD_REDIS_URL=args.redis_url,
        # Nothing in the webhook path calls WeChat; a closed loopback port makes sure of it.
        STEWARD_WECHAT_API_BASE_URL="http://127.0.0.1:9/cgi-bin",
        STEWARD_WECHAT_ENCODING_AES_KEY=SAFE_KEY if safe else "",
        PYTHONPATH=str(ROOT),
    )
    return env


def database_summary(db_url: str) -> dict[str, int]:
    from bot.storage.models import InboundMessage, Ticket

    engine = create_engine(db_url)
    with engine.connect() as conn:
        out = {
            "inbound": conn.scalar(select(func.count()).select_from(InboundMessage)),
            "inbound_failed": conn.scalar(
                select(func.count()).select_from(InboundMessage).where(InboundMessage.status != "handled")),
            "tickets": conn.scalar(select(func.count()).select_from(Ticket)),
            "floor_rows": conn.scalar(text(f"SELECT count(*) FROM {FLOOR_TABLE}")),
        }
    engine.dispose()
    return out


def prepare_database(args: argparse.Namespace, env: dict[str, str], db_url: str, run_dir: Path) -> None:
    upgrade = loadgen.spawn([str(loadgen.VENV_BIN / "steward"), "db", "upgrade"], env, run_dir,
                            run_dir / "upgrade.log")
    if upgrade.popen.wait(120) != 0:
        raise RuntimeError(f"steward db upgrade failed:\n{upgrade.tail()}")
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text(FLOOR_TABLE_SQL[engine.dialect.name]))
    engine.dispose()


def drive(args: argparse.Namespace, server: Server, url: str, messages: Messages, files: wrk.Files | None,
          label: str) -> loadgen.Result:
    if files is None:
        return loadgen.run_closed_loop(label, url, messages, server.check, args.concurrency, args.duration,
                                       args.warmup)
    return wrk.run_closed_loop(label, url, files, server.expect, server.unique, args.concurrency, args.duration,
                               args.warmup)


def run_mode(args: argparse.Namespace, safe: bool, work: Path) -> tuple[list[loadgen.Result], dict]:
    mode = "safe" if safe else "plain"
    run_dir = work / mode
    run_dir.mkdir()
    db_url = fresh_pg() if args.db == "pg" else f"sqlite:///{run_dir / 'steward.db'}"
    env = env_for(args, safe, db_url)
    r = redis.Redis.from_url(args.redis_url)
    r.flushdb()
    prepare_database(args, env, db_url, run_dir)
    messages = Messages(safe)
    files = None
    if args.client == "wrk":
        t0 = time.perf_counter()
        files = wrk.write_requests(run_dir, messages, args.requests)
        print(f"  ({args.requests:,} signed {mode} requests written for wrk in {time.perf_counter() - t0:.1f} s)")

    results = []
    for server in SERVERS:
        port = loadgen.free_port()
        proc = loadgen.gunicorn(server.app, port, env, run_dir, run_dir / f"{server.app.split(':')[0]}.log",
                                args.workers, args.worker_class, args.threads)
        try:
            loadgen.wait_http(f"http://127.0.0.1:{port}/healthz", proc)
            groups, names = {"gunicorn": [proc.popen.pid]}, {"postgres": "postgres", "redis": "redis-server"}
            t0, cpu0 = time.perf_counter(), loadgen.cpu_ticks(groups, names)
            res = drive(args, server, f"http://127.0.0.1:{port}{server.path}", messages, files,
                        f"{mode}: {server.label}")
            cpu = loadgen.cpu_split(cpu0, loadgen.cpu_ticks(groups, names), time.perf_counter() - t0)
        finally:
            proc.stop()
        print(res.row(), flush=True)
        print(f"    CPU, % of one core (warm-up included): {cpu}", flush=True)
        results.append(res)
    summary = database_summary(db_url)
    r.flushdb()
    return results, summary


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "pg"], default="sqlite")
    ap.add_argument("--mode", choices=["plain", "safe", "both"], default="both")
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--duration", type=float, default=20.0, help="measured seconds per server")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--workers", type=int, default=4, help="gunicorn workers (README's production command: 4)")
    ap.add_argument("--worker-class", default="sync")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--redis-url", default=REDIS_URL)
    ap.add_argument("--client", choices=["wrk", "httpx"], default="wrk" if wrk.available() else "httpx",
                    help="load generator: wrk (C, pre-signed requests; the default when installed) or the "
                         "asyncio/httpx closed loop (signs on the fly, but needs most of a core itself)")
    ap.add_argument("--requests", type=int, default=60_000,
                    help="unique signed requests written for wrk (the floor and our app may not run out)")
    ap.add_argument("--quick", action="store_true", help="5 s per server, 1 s warm-up")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir (logs, SQLite file)")
    args = ap.parse_args()
    if args.quick:
        args.duration, args.warmup = 5.0, 1.0
    if "127.0.0.1" not in args.redis_url and "localhost" not in args.redis_url:
        ap.error("benchmarks only target loopback")

    info = loadgen.machine()
    print(f"machine: {info['nproc']} CPUs, {info['cpu']}, Python {info['python']}, load average {info['loadavg']}")
    print(f"gunicorn -w {args.workers} -k {args.worker_class} --threads {args.threads}; db={args.db}; "
          f"client={args.client}; {args.concurrency} connections, {args.duration:.0f} s measured after {args.warmup:.0f} s warm-up\n")
    work = Path(tempfile.mkdtemp(prefix="steward-bench-webhook-"))
    failed = False
    try:
        for safe in {"plain": [False], "safe": [True], "both": [False, True]}[args.mode]:
            (base, floor, ours), summary = run_mode(args, safe, work)
            ratio = ours.rps / base.rps if base.rps else 0.0
            p99 = ours.pct(99) * 1000
            print(f"  → ratio {ratio:.0%} of baseline (the durable floor reaches "
                  f"{floor.rps / base.rps if base.rps else 0:.0%}; we reach {ours.rps / floor.rps if floor.rps else 0:.0%} "
                  f"of the floor); p99 {p99:.1f} ms; errors {ours.error_count}; database: {summary}")
            verdict = []
            verdict.append("p99<100ms " + ("OK" if p99 < 100 else "MISSED"))
            verdict.append("0 errors " + ("OK" if ours.error_count == 0 else "MISSED"))
            verdict.append("≥60% of baseline " + ("OK" if ratio >= 0.6 else "MISSED"))
            print("  → targets: " + ", ".join(verdict) + "\n", flush=True)
            failed |= any("MISSED" in v for v in verdict)
        print(f"load average after: {loadgen.machine()['loadavg']}")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
