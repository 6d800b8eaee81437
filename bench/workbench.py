"""Workbench benchmark: the triage queue, a ticket page, one courtyard's monthly ledger and the rates
page, with 1,000,000 tickets (and ~4.5 million events) in PostgreSQL, each page timed over real HTTP.

    .venv/bin/python bench/workbench.py                       # 1,000,000 tickets + the 10,000 baseline
    .venv/bin/python bench/workbench.py --tickets 200000      # a quicker run

Data lives in its own databases (steward_bench_<N>) on the server of --pg (default the local
`test` server); they are created and bulk-loaded with generate_series once, and reused by later runs
(--reload to rebuild). Nobody else's database is touched. Redis: --redis (default db 11).
The baseline in the same run is the same four pages over 10,000 tickets, plus /healthz.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.domain.clock import to_local, utcnow  # noqa: E402

SPAN_DAYS = 1800  # five years of tickets, newest now
NAMES = ["陈卫东", "杨翠花", "赵国强", "李凤霞", "张文斌", "周永福", "吴桂英", "朱红梅"]
PHRASES = ["楼道灯不亮了", "厨房水管漏水", "下水道堵了", "楼上装修太吵", "单元门禁坏了", "路灯坏了好几天",
           "楼道堆满杂物", "电动车在楼道充电", "想报名重阳节活动", "老年证怎么办理"]

LOAD_TICKETS = """
INSERT INTO tickets (id, ref, category, subcategory, courtyard_id, text, urgent, confidence, status,
  resident_openid, assignee_openid, assignee_name, dispatch_attempt, accept_due_at, finish_due_at, reopen_count,
  rating, solved, close_reason, callback_missing, published, created_at, dispatched_at, accepted_at,
  finished_at, closed_at, last_activity_at)
SELECT id, 'R' || (id + 1000), cat, sub, yard, (CAST(:phrases AS text[]))[1 + id % 10] || '（第' || id || '号）', id % 50 = 0,
  CASE WHEN id % 13 = 0 THEN 0.4 ELSE 0.9 END, st,
  'o-bench-resident-' || (id % 50000),
  CASE WHEN st <> 'received' THEN 'o-bench-member-' || (id % 8) END,
  CASE WHEN st <> 'received' THEN (CAST(:names AS text[]))[1 + id % 8] END,
  CASE WHEN st = 'received' THEN 0 ELSE 1 END,
  CASE WHEN st <> 'received' THEN created + interval '2 minutes' + interval '24 hours' END,
  CASE WHEN st IN ('accepted', 'awaiting_callback', 'closed') THEN created + interval '6 days' END,
  0,
  CASE WHEN st = 'closed' THEN 1 + (id * 7) % 5 END,
  CASE WHEN st = 'closed' THEN id % 9 <> 0 END,
  CASE WHEN st = 'closed' THEN 'resolved' END,
  false, false, created,
  CASE WHEN st <> 'received' THEN created + interval '2 minutes' END,
  CASE WHEN st IN ('accepted', 'awaiting_callback', 'closed') THEN created + (id % 30) * interval '1 hour' END,
  CASE WHEN st IN ('awaiting_callback', 'closed') THEN created + interval '2 days' END,
  CASE WHEN st = 'closed' THEN created + interval '3 days' END,
  CASE st WHEN 'closed' THEN created + interval '3 days' WHEN 'awaiting_callback' THEN created + interval '2 days'
          WHEN 'accepted' THEN created + (id % 30) * interval '1 hour' WHEN 'triage' THEN created + interval '1 hour'
          WHEN 'dispatched' THEN created + interval '2 minutes' ELSE created END
FROM (
  SELECT id, created,
    (ARRAY['repair','repair','repair','grievance','inquiry','event'])[1 + id % 6] AS cat,
    (ARRAY['照明','给排水','门禁',NULL,'电梯'])[1 + id % 5] AS sub,
    CASE WHEN id % 97 = 0 THEN NULL ELSE (ARRAY['c1','c3','c5','c7','c9','c11','c13','c15','c17','c19'])[1 + id % 10] END AS yard,
    CASE
      WHEN age < interval '1 day' THEN (ARRAY['received','dispatched','accepted','triage','awaiting_callback'])[1 + id % 5]
      WHEN age < interval '7 days' THEN CASE id % 10 WHEN 0 THEN 'accepted' WHEN 1 THEN 'awaiting_callback'
                                                     WHEN 2 THEN 'triage' ELSE 'closed' END
      WHEN id % 200 = 0 THEN 'accepted'
      WHEN id % 333 = 0 THEN 'triage'
      ELSE 'closed'
    END AS st
  FROM (SELECT id, CAST(:now AS timestamp) - (:n - id) * (:span * interval '1 second') AS created,
               (:n - id) * (:span * interval '1 second') AS age
        FROM generate_series(1, :n) AS id) g
) x
"""

LOAD_EVENTS = """
INSERT INTO ticket_events (ticket_id, at, kind, actor, from_status, to_status, data)
SELECT t.id, e.at, e.kind, 'system', e.fs, e.ts, e.data
FROM tickets t CROSS JOIN LATERAL (VALUES
  (t.created_at, 'received', NULL, 'received', NULL::json),
  (t.dispatched_at, 'dispatched', 'received', 'dispatched', NULL::json),
  (CASE WHEN t.status = 'triage' THEN t.created_at + interval '1 hour' END, 'returned', 'dispatched', 'triage', NULL::json),
  (t.accepted_at, 'accepted', 'dispatched', 'accepted', NULL::json),
  (t.finished_at, 'finished', 'accepted', 'awaiting_callback', NULL::json),
  (t.closed_at, 'closed', 'awaiting_callback', 'closed',
   json_build_object('reason', 'resolved', 'solved', t.solved, 'rating', t.rating))
) AS e(at, kind, fs, ts, data)
WHERE e.at IS NOT NULL
"""


def ensure_database(server_url: str, name: str) -> str:
    url = make_url(server_url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        if not c.scalar(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": name}):
            c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def load(url: str, n: int, reload: bool) -> None:
    from bot.storage.migrate import upgrade

    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE IF NOT EXISTS bench_meta (tickets integer)"))
        have = c.scalar(text("SELECT tickets FROM bench_meta"))
    if have == n and not reload:
        from bot.storage.models import Base

        Base.metadata.create_all(engine, checkfirst=True)  # tables added since the load (monthly_rates)
        print(f"  {url.rsplit('/', 1)[-1]}: {n:,} tickets already loaded")
        engine.dispose()
        return
    with engine.begin() as c:
        c.execute(text("DROP TABLE IF EXISTS alembic_version, ticket_events, pushes, media, inbound_messages, "
                       "registrations, events, tickets, residents, staff_users, council_members, "
                       "labelled_examples CASCADE"))
    upgrade(url)
    t0 = time.perf_counter()
    with engine.begin() as c:
        c.execute(text("SET LOCAL synchronous_commit = off"))
        c.execute(text(LOAD_TICKETS), {"n": n, "now": utcnow(), "span": SPAN_DAYS * 86400 / n,
                                       "phrases": PHRASES, "names": NAMES})
        c.execute(text("SELECT setval('tickets_id_seq', :n)"), {"n": n})
        c.execute(text(LOAD_EVENTS))
        c.execute(text("DELETE FROM bench_meta"))
        c.execute(text("INSERT INTO bench_meta VALUES (:n)"), {"n": n})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE tickets"))
        c.execute(text("VACUUM ANALYZE ticket_events"))
        events = c.scalar(text("SELECT count(*) FROM ticket_events"))
    print(f"  loaded {n:,} tickets and {events:,} events in {time.perf_counter() - t0:.0f} s")
    engine.dispose()


def serve(db_url: str, redis_url: str) -> tuple[str, object]:
    from werkzeug.serving import make_server

    from bot import config as config_mod
    from bot.app import create_app

    # The benchmark logs in with the sample accounts, as under `steward dev`.
    config_mod.set_run_mode(config_mod.RunMode.DEV)
    app = create_app({"STEWARD_OVERRIDES": {"database.url": db_url, "redis.url": redis_url}})
    app.logger.disabled = True
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def login(base: str) -> requests.Session:
    import re

    s = requests.Session()
    token = re.search(r'name="csrf_token" value="([^"]+)"', s.get(f"{base}/login").text).group(1)
    r = s.post(f"{base}/login", data={"username": "liu", "password": "sample-staff-pass", "csrf_token": token},
               allow_redirects=False)
    assert r.status_code == 302, r.status_code
    return s


def timed(s: requests.Session, url: str) -> float:
    t0 = time.perf_counter()
    r = s.get(url)
    ms = (time.perf_counter() - t0) * 1000
    if r.status_code != 200:
        raise SystemExit(f"{url}: HTTP {r.status_code}")
    return ms


def _flush(redis_url: str) -> None:
    import redis

    r = redis.Redis.from_url(redis_url)
    r.delete(*[k for k in r.scan_iter("steward:*")] or ["x"])


def cold_rates(base: str, s: requests.Session, db_url: str, redis_url: str, cold: int) -> dict[str, tuple]:
    """The rates page with nothing cached anywhere (kept months deleted: the first view ever), then
    `cold` views each after emptying Redis (the finished months kept in monthly_rates)."""
    engine = create_engine(db_url)
    with engine.begin() as c:
        c.execute(text("DELETE FROM monthly_rates"))  # this bench database only
    engine.dispose()
    _flush(redis_url)
    first = timed(s, f"{base}/staff/rates/")
    times = []
    for _ in range(cold):
        _flush(redis_url)
        times.append(timed(s, f"{base}/staff/rates/"))
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return {"rates, nothing kept": (first, first, first),
            f"rates, Redis cold ×{cold}": (times[0], statistics.median(times), p95)}


def run_pages(base: str, n: int, rounds: int, redis_url: str, db_url: str,
              cold: int) -> dict[str, tuple[float, float, float]]:
    import random

    _flush(redis_url)
    s = login(base)
    out = cold_rates(base, s, db_url, redis_url, cold)
    local = to_local(utcnow())
    prev = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    rng = random.Random(7)
    pages = {
        "triage queue": lambda: f"{base}/staff/?tab=triage",
        "ticket page": lambda: f"{base}/staff/t/R{1000 + rng.randint(1, n)}",
        "ledger c3, last month": lambda: f"{base}/staff/ledger/?month={prev[0]:04d}-{prev[1]:02d}&courtyard=c3",
        "rates page": lambda: f"{base}/staff/rates/",
        # a phrase in one ticket of the million: LIKE '%…%' reads the whole table
        "search by text (rare)": lambda: f"{base}/staff/?tab=search&q=第{rng.randint(1, n)}号",
        "search by text (common)": lambda: f"{base}/staff/?tab=search&q=厨房水管",
        "/healthz (no DB)": lambda: f"{base}/healthz",
    }
    for name, make in pages.items():
        cold = timed(s, make())  # first view: empty caches (the rates page computes 12 months here)
        times = sorted(timed(s, make()) for _ in range(rounds))
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        out[name] = (cold, statistics.median(times), p95)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/11")
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--baseline", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--cold", type=int, default=20, help="rates page views after emptying Redis")
    ap.add_argument("--reload", action="store_true")
    ap.add_argument("--db-prefix", default="steward_bench",
                    help="bench databases are <prefix>_<N> (another name keeps concurrent runs apart)")
    args = ap.parse_args()
    results = {}
    for n in (args.baseline, args.tickets):
        url = ensure_database(args.pg, f"{args.db_prefix}_{n}")
        load(url, n, args.reload)
        base, server = serve(url, args.redis)
        results[n] = run_pages(base, n, args.rounds, args.redis, url, args.cold)
        server.shutdown()
        from bot.storage import db

        db.dispose_all()
    print(f"\nWorkbench pages over HTTP, {args.rounds} requests each after one cold view (ms);")
    print(f"'rates, Redis cold': {args.cold} views each after emptying Redis (min / p50 / p95)")
    print(f"{'page':24} {'tickets':>10} {'cold':>8} {'p50':>8} {'p95':>8}")
    for n, pages in results.items():
        for name, (cold, p50, p95) in pages.items():
            flag = "" if p95 < 300 else "  ← over 300 ms"
            print(f"{name:24} {n:>10,} {cold:8.1f} {p50:8.1f} {p95:8.1f}{flag}")


if __name__ == "__main__":
    main()
