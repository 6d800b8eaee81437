"""Rates benchmark, in-process: one month and twelve months of the three rates at the workbench
benchmark's scale, computed by `bot.services.rates` (SQL aggregation) and by the Python reference over the
month's rows fetched in one query (tests/rates_oracle.py) — the two ways the rates could be built.

    .venv/bin/python bench/rates.py --db postgresql+psycopg://postgres@127.0.0.1:5432/steward_bench_1000000

The database is one that bench/workbench.py loaded (it is only read). Nothing is cached (the
cache layer is bypassed): every figure is a computation from the event log. Both must give the same numbers; the script checks.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bot import config as config_mod  # noqa: E402
from bot import db  # noqa: E402
from bot.domain.clock import utcnow  # noqa: E402
from bot.services.rates import Rates, last_months, month_bounds, month_of  # noqa: E402
from bot.services.rates.compute import aggregate  # noqa: E402
from tests import rates_oracle  # noqa: E402


def _backend_cpu(pid: int) -> float:
    """CPU seconds of the PostgreSQL backend serving us (same machine), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(fn, repeat: int, pid: int) -> tuple[float, float, object]:
    """Median wall time and median CPU time (this process + the database backend), in ms: on a
    shared machine the CPU time is the steadier figure."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        b0, p0, t0 = _backend_cpu(pid), time.process_time(), time.perf_counter()
        out = fn()
        walls.append((time.perf_counter() - t0) * 1000)
        cpus.append((_backend_cpu(pid) - b0 + time.process_time() - p0) * 1000)
    return statistics.median(walls), statistics.median(cpus), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    cfg = config_mod.load(ROOT / "config.example.toml", {"database.url": args.db})
    now = utcnow()
    this = month_of(now)
    prev = last_months(*this, 2)[0]
    with db.session_scope(args.db) as s:
        pid = s.execute(text("SELECT pg_backend_pid()")).scalar_one()
        rows = []
        for label, ym in (("current month", this), ("previous month", prev)):
            sql_ms, sql_cpu, sql = timed(lambda ym=ym: _sql(s, cfg, [ym], now)[0], args.repeat, pid)
            py_ms, py_cpu, py = timed(lambda ym=ym: rates_oracle.month_rates(s, cfg, ym[0], ym[1], now=now),
                                      args.repeat, pid)
            empty = rates_oracle.Rates().to_dict()
            same = ({k: v.to_dict() for k, v in sql.items() if v.to_dict() != empty}  # type: ignore[attr-defined]
                    == {k: v.to_dict() for k, v in py.items() if v.to_dict() != empty})  # type: ignore[attr-defined]
            events = sum(len(e) for _, e in rates_oracle.fetch(s, *month_bounds(*ym)).values())
            rows.append((label, events, sql_ms, sql_cpu, py_ms, py_cpu, same))
        year = last_months(*this, 12)
        sql12, cpu12, _ = timed(lambda: _sql(s, cfg, year, now), max(1, args.repeat // 2), pid)
    print(f"median of {args.repeat}, ms: wall / CPU (this process + the PostgreSQL backend)")
    print(f"{'':16} {'events read':>12} {'SQL':>15} {'Python':>15} {'same numbers':>13}")
    for label, events, sql_ms, sql_cpu, py_ms, py_cpu, same in rows:
        print(f"{label:16} {events:>12,} {sql_ms:>7.0f} / {sql_cpu:<5.0f} {py_ms:>7.0f} / {py_cpu:<5.0f}"
              f" {'yes' if same else 'NO':>13}")
    print(f"12 months, one grouped query (SQL): {sql12:.0f} / {cpu12:.0f}")


def _sql(session, cfg, months: list[tuple[int, int]], now) -> list[dict[str, Rates]]:  # noqa: ANN001
    """bot.services.rates' computation itself (no Redis, no kept months): consecutive months, one query."""
    bounds = [month_bounds(*ym)[0] for ym in months] + [month_bounds(*months[-1])[1]]
    return [{k: Rates.from_dict(v) for k, v in data.items()} for data, _ in aggregate(session, cfg, bounds, now)]


if __name__ == "__main__":
    main()
