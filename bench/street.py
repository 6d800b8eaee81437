"""Street-scale benchmark (issue 21, item 5): one deployment with 20 communities × 10 courtyards and
1,000,000 tickets (with their events) over the last ~12 months in PostgreSQL; the workbench lists,
the ledger, the rates page and the JSON API timed over real HTTP for

  (a) a street account (every community),
  (b) a community staff account (one community of the twenty),
  (c) today's one community: a database holding that community alone, with the same share
      (tickets / 20), its staff account —

all in the same run; then the street page (overview + 红榜/黑榜 + overdue list) and the monthly
digest per community and for all 20.

    .venv/bin/python bench/street.py                      # 1,000,000 tickets (+ the 50,000 one-community database)
    .venv/bin/python bench/street.py --tickets 100000     # a quicker run

Databases: <--db-prefix>_<N> and <--db-prefix>_one_<N/20> on the server of --pg (created and
bulk-loaded once with generate_series, reused by later runs; --reload rebuilds). Use a Redis of
your own (--redis): the bench deletes its `steward:*` keys to time cold caches.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.workbench import NAMES, PHRASES, ensure_database, serve  # noqa: E402
from bot import config as config_mod  # noqa: E402
from bot.domain.clock import to_local, utcnow  # noqa: E402

COMMUNITIES = 20
YARDS = 10
SPAN_DAYS = 365
PASSWORD = "street-bench-password-21"
FIRST_YARDS = ["c1", "c3", "c5", "c7", "c9", "c11", "c13", "c15", "c17", "c19"]  # config.example.toml's

# Ticket i belongs to community 1 + i % C (arrivals interleave); its other columns follow j = i / C, its
# number within the community, so every community has the same mix (urgent, categories, statuses).
# Statuses as a living system has them: the last day's still moving, the last week's mostly done,
# older ones closed except a few stuck (accepted past the finish deadline, dispatched never accepted,
# back in triage) — the overdue ones that 督办 is for.
LOAD_TICKETS = """
INSERT INTO tickets (id, community_id, ref, category, subcategory, courtyard_id, text, urgent, confidence, status,
  resident_openid, assignee_openid, assignee_name, dispatch_attempt, accept_due_at, finish_due_at, reopen_count,
  rating, solved, close_reason, callback_missing, published, created_at, dispatched_at, accepted_at,
  finished_at, closed_at, last_activity_at)
SELECT id, comm, 'R' || (id + 1000), cat, sub, yard,
  (CAST(:phrases AS text[]))[1 + j % 10] || '（第' || id || '号）', j % 50 = 0,
  CASE WHEN j % 13 = 0 THEN 0.4 ELSE 0.9 END, st,
  'o-bench-resident-' || (j % 200000),
  CASE WHEN st <> 'received' THEN 'o-bench-member-' || comm || '-' || (j % 8) END,
  CASE WHEN st <> 'received' THEN (CAST(:names AS text[]))[1 + j % 8] END,
  CASE WHEN st = 'received' THEN 0 ELSE 1 END,
  CASE WHEN st <> 'received' THEN created + interval '2 minutes' + interval '24 hours' END,
  CASE WHEN st IN ('accepted', 'awaiting_callback', 'closed') THEN created + interval '6 days' END,
  0,
  CASE WHEN st = 'closed' THEN 1 + (j * 7) % 5 END,
  CASE WHEN st = 'closed' THEN j % 9 <> 0 END,
  CASE WHEN st = 'closed' THEN 'resolved' END,
  false, false, created,
  CASE WHEN st <> 'received' THEN created + interval '2 minutes' END,
  CASE WHEN st IN ('accepted', 'awaiting_callback', 'closed') THEN created + (j % 30) * interval '1 hour' END,
  CASE WHEN st IN ('awaiting_callback', 'closed') THEN created + interval '2 days' END,
  CASE WHEN st = 'closed' THEN created + interval '3 days' END,
  CASE st WHEN 'closed' THEN created + interval '3 days' WHEN 'awaiting_callback' THEN created + interval '2 days'
          WHEN 'accepted' THEN created + (j % 30) * interval '1 hour' WHEN 'triage' THEN created + interval '1 hour'
          WHEN 'dispatched' THEN created + interval '2 minutes' ELSE created END
FROM (
  SELECT id, j, created, comm,
    (ARRAY['repair','repair','repair','grievance','inquiry','event'])[1 + j % 6] AS cat,
    (ARRAY['照明','给排水','门禁',NULL,'电梯'])[1 + j % 5] AS sub,
    CASE WHEN j % 97 = 0 THEN NULL ELSE (CAST(:yards AS text[]))[(comm - 1) * 10 + 1 + (j / 7) % 10] END AS yard,
    CASE
      WHEN age < interval '1 day' THEN (ARRAY['received','dispatched','accepted','triage','awaiting_callback'])[1 + j % 5]
      WHEN age < interval '7 days' THEN CASE j % 10 WHEN 0 THEN 'accepted' WHEN 1 THEN 'awaiting_callback'
                                                     WHEN 2 THEN 'triage' WHEN 3 THEN 'dispatched' ELSE 'closed' END
      WHEN j % 200 = 0 THEN 'accepted'
      WHEN j % 333 = 0 THEN 'triage'
      WHEN j % 1000 = 7 THEN 'dispatched'
      ELSE 'closed'
    END AS st
  FROM (SELECT *, id / :c AS j FROM (SELECT id, 1 + id % :c AS comm,
               CAST(:now AS timestamp) - (:n - id) * (:span * interval '1 second') AS created,
               (:n - id) * (:span * interval '1 second') AS age
        FROM generate_series(1, :n) AS id) g0) g
) x
"""

# Each ticket's transitions, plus 督办 where a deadline was missed (accepted late, or still open past it).
LOAD_EVENTS = """
INSERT INTO ticket_events (community_id, ticket_id, at, kind, actor, from_status, to_status, data)
SELECT t.community_id, t.id, e.at, e.kind, 'system', e.fs, e.ts, e.data
FROM tickets t CROSS JOIN LATERAL (VALUES
  (t.created_at, 'received', NULL, 'received', NULL::json),
  (t.dispatched_at, 'dispatched', 'received', 'dispatched', NULL::json),
  (CASE WHEN t.status = 'triage' THEN t.created_at + interval '1 hour' END, 'returned', 'dispatched', 'triage', NULL::json),
  (CASE WHEN t.accept_due_at < coalesce(t.accepted_at, CASE WHEN t.status = 'dispatched' THEN CAST(:now AS timestamp) END)
        THEN t.accept_due_at END, 'escalated', NULL, NULL, json_build_object('deadline', 'accept')),
  (t.accepted_at, 'accepted', 'dispatched', 'accepted', NULL::json),
  (CASE WHEN t.status = 'accepted' AND t.finish_due_at < CAST(:now AS timestamp) THEN t.finish_due_at END,
   'escalated', NULL, NULL, json_build_object('deadline', 'finish')),
  (t.finished_at, 'finished', 'accepted', 'awaiting_callback', NULL::json),
  (t.closed_at, 'closed', 'awaiting_callback', 'closed',
   json_build_object('reason', 'resolved', 'solved', t.solved, 'rating', t.rating))
) AS e(at, kind, fs, ts, data)
WHERE e.at IS NOT NULL
"""


def yard_keys(communities: int) -> list[str]:
    """Community 1 keeps the sample config's courtyards; the others get s02-y1 … (unique deployment-wide)."""
    keys = list(FIRST_YARDS)
    for c in range(2, communities + 1):
        keys += [f"s{c:02d}-y{j}" for j in range(1, YARDS + 1)]
    return keys


def fragment(c: int) -> str:
    out = []
    for j in range(1, YARDS + 1):
        out.append(f'[[courtyards]]\nid = "s{c:02d}-y{j}"\nname = "第{c}社区{j}号院"\naliases = ["{c}社区{j}院"]\n')
    for j in range(1, 3):
        out.append(f'[[members]]\nname = "{NAMES[(c + j) % len(NAMES)]}"\ncourtyard = "s{c:02d}-y{j}"\n'
                   f'openid = "o-bench-member-{c}-{j}"\nrole = "会长"\n')
    return "\n".join(out)


def steward_for(url: str, redis_url: str):  # noqa: ANN201
    from bot.services.uow.steward import Steward

    return Steward(config_mod.load(ROOT / "config.example.toml", {"database.url": url, "redis.url": redis_url}))


def load(url: str, n: int, communities: int, redis_url: str, reload: bool) -> None:
    from bot.config.fragment import parse
    from bot.services.community import tenants, users
    from bot.services.community.sync import sync_from_config
    from bot.storage.migrate import upgrade

    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE IF NOT EXISTS bench_meta (tickets integer, communities integer)"))
        have = c.execute(text("SELECT tickets, communities FROM bench_meta")).first()
    name = url.rsplit("/", 1)[-1]
    if have is not None and tuple(have) == (n, communities) and not reload:
        upgrade(url)  # indexes added since the load (a new migration)
        print(f"  {name}: {n:,} tickets in {communities} communities already loaded")
        engine.dispose()
        return
    with engine.begin() as c:  # this bench database only
        c.execute(text("DROP SCHEMA public CASCADE"))
        c.execute(text("CREATE SCHEMA public"))
        c.execute(text("CREATE TABLE bench_meta (tickets integer, communities integer)"))
    engine.dispose()
    upgrade(url)
    _flush(redis_url)
    steward = steward_for(url, redis_url)
    sync_from_config(steward)
    with steward.session() as s:
        for c in range(2, communities + 1):
            tenants.add(s, f"s{c:02d}", f"第{c}社区", parse(fragment(c)), actor="bench")
        users.add_user(s, "bench-street", "街道", PASSWORD, "street", community=None, actor="bench")
        for c in range(1, communities + 1):
            users.add_user(s, f"bench-staff-{c}", f"社区{c}", PASSWORD, "staff", community=c, actor="bench")
    steward.directory_changed()
    engine = create_engine(url)
    t0 = time.perf_counter()
    with engine.begin() as c:
        c.execute(text("SET LOCAL synchronous_commit = off"))
        c.execute(text("SET LOCAL work_mem = '256MB'"))
        c.execute(text(LOAD_TICKETS), {"n": n, "now": utcnow(), "span": SPAN_DAYS * 86400 / n, "c": communities,
                                       "phrases": PHRASES, "names": NAMES, "yards": yard_keys(communities)})
        c.execute(text("SELECT setval('tickets_id_seq', :n)"), {"n": n})
        c.execute(text(LOAD_EVENTS), {"now": utcnow()})
        c.execute(text("INSERT INTO bench_meta VALUES (:n, :c)"), {"n": n, "c": communities})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE tickets"))
        c.execute(text("VACUUM ANALYZE ticket_events"))
        events = c.scalar(text("SELECT count(*) FROM ticket_events"))
    print(f"  {name}: loaded {n:,} tickets in {communities} communities and {events:,} events "
          f"in {time.perf_counter() - t0:.0f} s")
    engine.dispose()


def _flush(redis_url: str) -> None:
    import redis

    r = redis.Redis.from_url(redis_url)
    keys = list(r.scan_iter("steward:*"))
    if keys:
        r.delete(*keys)


def login(base: str, username: str) -> requests.Session:
    s = requests.Session()
    m = re.search(r'name="csrf_token" value="([^"]+)"', s.get(f"{base}/login").text)
    assert m, "no CSRF token on /login"
    r = s.post(f"{base}/login", data={"username": username, "password": PASSWORD, "csrf_token": m.group(1)},
               allow_redirects=False)
    assert r.status_code == 302, (username, r.status_code)
    return s


def api_session(url: str, redis_url: str, name: str, community: int | None) -> requests.Session:
    from bot.storage.models import ApiToken
    from bot.web import tokens

    steward = steward_for(url, redis_url)
    with steward.session() as s:
        s.query(ApiToken).filter(ApiToken.name == name).delete()
        value, _ = tokens.add(s, steward.config, name, community=community, actor="bench")
    r = requests.Session()
    r.headers["Authorization"] = f"Bearer {value}"
    return r


def timed(s: requests.Session, url: str) -> float:
    t0 = time.perf_counter()
    r = s.get(url)
    ms = (time.perf_counter() - t0) * 1000
    if r.status_code != 200:
        raise SystemExit(f"{url}: HTTP {r.status_code}")
    return ms


def p95(times: list[float]) -> float:
    times = sorted(times)
    return times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]


def pages(base: str, yard: str) -> dict[str, str]:
    local = to_local(utcnow())
    prev = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    return {
        "queue: triage": f"{base}/staff/?tab=triage",
        "queue: overdue": f"{base}/staff/?tab=overdue",
        "queue: open": f"{base}/staff/?tab=open",
        "ledger, last month, one courtyard": f"{base}/staff/ledger/?month={prev[0]:04d}-{prev[1]:02d}&courtyard={yard}",
        "rates page": f"{base}/staff/rates/",
        "API /api/tickets": f"{base}/api/tickets",
        "API /api/rates": f"{base}/api/rates",
    }


def measure(base: str, web: requests.Session, api: requests.Session, yard: str, rounds: int,
            redis_url: str, cold: int) -> dict[str, tuple[float, float, float]]:
    """Per page: (first view after emptying Redis, p50, p95 of `rounds` views); the rates page and
    /api/rates also `cold` times each after emptying Redis."""
    out: dict[str, tuple[float, float, float]] = {}
    for name, url in pages(base, yard).items():
        client = api if name.startswith("API") else web
        _flush(redis_url)
        first = timed(client, url)
        times = [timed(client, url) for _ in range(rounds)]
        out[name] = (first, statistics.median(times), p95(times))
        if "rates" in name:
            colds = []
            for _ in range(cold):
                _flush(redis_url)
                colds.append(timed(client, url))
            out[name + ", Redis emptied each time"] = (min(colds), statistics.median(colds), p95(colds))
    return out


def street_page(base: str, web: requests.Session, rounds: int, redis_url: str) -> dict[str, tuple]:
    _flush(redis_url)
    first = timed(web, f"{base}/street/")
    times = [timed(web, f"{base}/street/") for _ in range(rounds)]
    colds = []
    for _ in range(max(3, rounds // 4)):
        _flush(redis_url)
        colds.append(timed(web, f"{base}/street/"))
    return {"street page (warm)": (first, statistics.median(times), p95(times)),
            "street page, Redis emptied each time": (min(colds), statistics.median(colds), p95(colds))}


def digests(url: str, redis_url: str, communities: int, repeat: int) -> dict[str, tuple]:
    """The previous month's digest (bot.services.digest.build) in each community's own session."""
    from bot.services.digest import build as digest

    steward = steward_for(url, redis_url)
    local = to_local(utcnow())
    prev = (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)
    out: dict[str, tuple] = {}
    for label, cold in (("Redis emptied", True), ("warm", False)):
        per, totals = [], []
        for _ in range(repeat):
            if cold:
                _flush(redis_url)
            t_all = time.perf_counter()
            for c in range(1, communities + 1):
                scoped = steward.for_community(c)
                t0 = time.perf_counter()
                with scoped.session() as s:
                    d = digest.build(s, scoped.config, prev[0], prev[1], redis=scoped.redis)
                per.append((time.perf_counter() - t0) * 1000)
                assert d.sections[0].total > 0
            totals.append((time.perf_counter() - t_all) * 1000)
        out[f"digest, one community ({label})"] = (min(per), statistics.median(per), p95(per))
        out[f"digest, all {communities} ({label})"] = (min(totals), statistics.median(totals), max(totals))
    return out


def sweep_rates(url: str, redis_url: str) -> dict[str, tuple]:
    """The sweep's rates step (bot.services.sweep.refresh_rates): the deployment's months and, with
    several communities, each community's — every minute 2 months, once an hour 12."""
    import redis

    from bot.services import sweep

    steward = steward_for(url, redis_url)
    out = {}
    for label, full in (("12 months (hourly)", True), ("2 months (every minute)", False)):
        r = redis.Redis.from_url(redis_url)
        if full:
            r.delete(sweep.RATES_FULL_KEY)
        else:
            r.set(sweep.RATES_FULL_KEY, "1", ex=3600)
        t0 = time.perf_counter()
        sweep.refresh_rates(steward)
        ms = (time.perf_counter() - t0) * 1000
        out[f"sweep: rates refresh, {label}"] = (ms, ms, ms)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/12")
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--communities", type=int, default=COMMUNITIES)
    ap.add_argument("--staff-community", type=int, default=7, help="the community whose staff account is timed")
    ap.add_argument("--rounds", type=int, default=40)
    ap.add_argument("--cold", type=int, default=10, help="rates views each after emptying Redis")
    ap.add_argument("--digest-repeat", type=int, default=2)
    ap.add_argument("--reload", action="store_true")
    ap.add_argument("--db-prefix", default="street_bench")
    ap.add_argument("--skip", default="", help="comma list of: one, street, digest, sweep")
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    from bot.storage import db

    n, c = args.tickets, args.communities
    url = ensure_database(args.pg, f"{args.db_prefix}_{n}")
    one_url = ensure_database(args.pg, f"{args.db_prefix}_one_{n // c}")
    load(url, n, c, args.redis, args.reload)
    if "one" not in skip:
        load(one_url, n // c, 1, args.redis, args.reload)
    results: dict[str, dict[str, tuple]] = {}
    staff_yard = "c3" if args.staff_community == 1 else f"s{args.staff_community:02d}-y3"

    base, server = serve(url, args.redis)
    street_web = login(base, "bench-street")
    staff_web = login(base, f"bench-staff-{args.staff_community}")
    street_api = api_session(url, args.redis, "bench-street", None)
    staff_api = api_session(url, args.redis, "bench-staff", args.staff_community)
    results["(a) street"] = measure(base, street_web, street_api, "c3", args.rounds, args.redis, args.cold)
    results[f"(b) community {args.staff_community} staff"] = measure(base, staff_web, staff_api, staff_yard,
                                                                     args.rounds, args.redis, args.cold)
    if "street" not in skip:
        results["street"] = street_page(base, street_web, args.rounds, args.redis)
    server.shutdown()
    db.dispose_all()
    if "digest" not in skip:
        results["street"] = results.get("street", {}) | digests(url, args.redis, c, args.digest_repeat)
        db.dispose_all()
    if "sweep" not in skip:
        results["street"] = results.get("street", {}) | sweep_rates(url, args.redis)
        db.dispose_all()
    if "one" not in skip:
        base, server = serve(one_url, args.redis)
        web = login(base, "bench-staff-1")
        api = api_session(one_url, args.redis, "bench-staff", 1)
        results[f"(c) one community, {n // c:,} tickets"] = measure(base, web, api, "c3", args.rounds, args.redis,
                                                                    args.cold)
        server.shutdown()
        db.dispose_all()

    print(f"\n{n:,} tickets, {c} communities; {args.rounds} views a page after a first view with Redis emptied (ms)")
    names = list(dict.fromkeys(k for r in results.values() for k in r if k in pages("", "")
                               or k.endswith("emptied each time") and not k.startswith(("street", "digest"))))
    cols = [k for k in results if k != "street"]
    print(f"{'page':48} " + " ".join(f"{col[:26]:>28}" for col in cols))
    print(f"{'':48} " + " ".join(f"{'first / p50 / p95':>28}" for _ in cols))
    for name in names:
        cells = []
        for col in cols:
            v = results[col].get(name)
            cells.append(f"{v[0]:8.1f} {v[1]:8.1f} {v[2]:8.1f}" + ("*" if v[2] >= 100 else " ") if v else " " * 28)
        print(f"{name:48} " + " ".join(f"{cell:>28}" for cell in cells))
    print("* p95 at or over 100 ms")
    for name, v in results.get("street", {}).items():
        print(f"{name:48} first|min {v[0]:8.1f}  p50 {v[1]:8.1f}  p95/max {v[2]:8.1f}" + ("  ← over 2 s" if v[2] >= 2000 else ""))


if __name__ == "__main__":
    main()
