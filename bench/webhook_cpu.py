"""What one message costs the webhook process, in-process (no HTTP server, no load generator):
CPU per message, SQL statements and Redis round trips per message — next to the bare baseline
(`bench/baseline_app.py`: verify, parse, answer) measured in the same run.

    .venv/bin/python bench/webhook_cpu.py              # PostgreSQL (database steward_bench_cpu)
    .venv/bin/python bench/webhook_cpu.py --db sqlite

CPU is `time.process_time()` of this process only: the database and Redis servers' own CPU is not
in it (bench/webhook.py shows theirs). On a shared VM run-to-run noise is ±15 %, so each figure is
the best of several batches.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from sqlalchemy import event  # noqa: E402

from bench import loadgen  # noqa: E402
from bench.webhook import SAFE_KEY, Messages, fresh_pg  # noqa: E402

PG_DB = "steward_bench_cpu"
REDIS_URL = "redis://127.0.0.1:6379/9"


def fresh_database(kind: str, work: Path, pg_db: str = PG_DB) -> str:
    return f"sqlite:///{work / 'steward.db'}" if kind == "sqlite" else fresh_pg(pg_db)


def batches(send, start: int, n: int, size: int) -> float:
    """Best CPU ms per message over `n` batches of `size` messages."""
    best = float("inf")
    for b in range(n):
        c0 = time.process_time()
        for i in range(start + b * size, start + (b + 1) * size):
            send(i)
        best = min(best, (time.process_time() - c0) / size * 1000)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", choices=["sqlite", "pg"], default="pg")
    ap.add_argument("--safe", action="store_true", help="safe mode (AES) instead of plain")
    ap.add_argument("--batches", type=int, default=6)
    ap.add_argument("--size", type=int, default=300)
    ap.add_argument("--redis-url", default=REDIS_URL, help="a Redis db this run may flush")
    ap.add_argument("--pg-db", default=PG_DB, help="PostgreSQL database to (re)create")
    ap.add_argument("--profile", action="store_true", help="then cProfile (CPU time) 300 messages: top functions")
    ap.add_argument("--statements", action="store_true", help="print the SQL of the counted message")
    ap.add_argument("--profile-out", metavar="FILE", help="with --profile: also dump the pstats to FILE")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="steward-bench-cpu-"))
    db_url = fresh_database(args.db, work, args.pg_db)
    os.environ.update(
        STEWARD_CONFIG=str(loadgen.service_config(work)), STEWARD_WECHAT_TOKEN=loadgen.BENCH_TOKEN,
        STEWARD_DATABASE_URL=db_url, STEWARD_REDIS_URL=args.redis_url,
        STEWARD_WECHAT_API_BASE_URL="http://127.0.0.1:9/cgi-bin",
        STEWARD_WECHAT_ENCODING_AES_KEY=SAFE_KEY if args.safe else "",
    )
    redis.Redis.from_url(args.redis_url).flushdb()
    from bot.storage.migrate import upgrade

    upgrade(db_url)
    from bench import baseline_app
    from bot.app import create_app

    baseline_app.TOKEN = loadgen.BENCH_TOKEN  # imported (via bench.webhook) before the environment was set
    ours = create_app()
    logging.getLogger().setLevel(logging.WARNING)
    messages = Messages(args.safe)

    def sender(app, expect: bytes):  # noqa: ANN001, ANN202
        client = app.test_client()

        def send(i: int) -> None:
            params, body = messages(i)
            resp = client.post("/wechat", query_string=params, data=body, content_type="text/xml")
            assert resp.status_code == 200 and resp.data.startswith(expect), resp.data[:200]

        return send

    if args.safe:  # the baseline reads its key at import: give it the same one
        from wechatpy.crypto import WeChatCrypto

        baseline_app.crypto = WeChatCrypto(baseline_app.TOKEN, SAFE_KEY, baseline_app.APP_ID)
    send_base, send_ours = sender(baseline_app.app, b"success"), sender(ours, b"<xml>")
    for i in range(200):  # warm-up: imports, caches, prepared statements
        send_base(i)
        send_ours(i)

    # Statements and Redis round trips for one message (after warm-up), counted at the drivers.
    steward = ours.extensions["steward"]
    engine = steward.sessions.kw["bind"]
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    calls = {"n": 0}
    pools = {id(c.connection_pool): c.connection_pool for c in (steward.redis, steward.redis_raw)}
    for pool in pools.values():
        original = pool.get_connection

        def counted(*a, _orig=original, **kw):  # noqa: ANN002, ANN003, ANN202
            calls["n"] += 1  # one checkout per command or pipeline: one round trip
            return _orig(*a, **kw)

        pool.get_connection = counted
    send_ours(100_000)
    per_message = (len(statements), calls["n"])
    if args.statements:
        print("\n".join(" ".join(st.split())[:160] for st in statements))

    base_ms = batches(send_base, 1_000, args.batches, args.size)
    ours_ms = batches(send_ours, 10_000, args.batches, args.size)
    print(f"db={args.db} mode={'safe' if args.safe else 'plain'}; best of {args.batches} batches of {args.size}")
    print(f"baseline (verify, parse, answer): {base_ms:.2f} ms CPU per message")
    print(f"courtyard steward:                {ours_ms:.2f} ms CPU per message "
          f"({ours_ms / base_ms:.1f}× the baseline); {per_message[0]} SQL statements "
          f"(BEGIN/COMMIT and the pool's ping not counted), {per_message[1]} Redis round trips")
    if args.profile:
        import cProfile
        import io
        import pstats

        prof = cProfile.Profile(time.process_time)
        prof.runcall(lambda: [send_ours(i) for i in range(50_000, 50_300)])
        if args.profile_out:
            prof.dump_stats(args.profile_out)
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(45)
        print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
