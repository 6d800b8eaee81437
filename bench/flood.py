"""One resident floods the bot (issue 23: 500 messages in 30 s from one openid opened 493 tickets and
493 task pushes, and other residents waited up to 3.2 s). In-process through the real webhook (Flask
test client, signed requests), SQLite and a Redis you name: the flooder's 500 messages interleaved
with a neighbour's message after every 10, then what was opened and queued, and the neighbours'
answer times.

    .venv/bin/python bench/flood.py --redis redis://127.0.0.1:6395/14   # flushes that database
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bot import config as config_mod  # noqa: E402
from bot.app import create_app  # noqa: E402
from bot.services.actions.budget import REVIEW  # noqa: E402
from bot.services.uow import jobs  # noqa: E402
from bot.storage.migrate import upgrade  # noqa: E402
from bot.storage.models import Ticket  # noqa: E402
from tests.wechat_client import WeChatTestClient  # noqa: E402

PLACES = ["1号楼", "2号楼", "3号楼", "4号楼", "5号楼", "6号楼", "7号楼", "8号楼"]
THINGS = ["楼道灯坏了", "下水道堵了", "单元门关不上", "墙皮掉了", "水管漏水了", "电梯不动了", "路灯不亮"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--redis", default="redis://127.0.0.1:6395/14")
    ap.add_argument("--messages", type=int, default=500)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    config_mod.set_run_mode(config_mod.RunMode.TEST)
    redis.Redis.from_url(args.redis).flushdb()
    with tempfile.TemporaryDirectory() as work:
        db = f"sqlite:///{Path(work) / 'steward.db'}"
        upgrade(db)
        cfg = config_mod.load(ROOT / "config.example.toml", {"database.url": db, "redis.url": args.redis,
                                                              "sandbox.enabled": True})
        app = create_app({"STEWARD_CONFIG": replace(cfg, source=str(ROOT / "config.example.toml")), "TESTING": True})
        wx = WeChatTestClient(app.test_client(), cfg)
        flood, neighbours = [], []
        for i in range(args.messages):
            started = time.perf_counter()
            wx.text("o-bench-flooder", f"粮食局家属院{PLACES[i % 8]}{THINGS[i % 7]}，第{i}次", msg_id=1_000_000 + i)
            flood.append(time.perf_counter() - started)
            if i % 10 == 9:
                started = time.perf_counter()
                wx.text(f"o-bench-neighbour-{i:04d}", f"粮食局家属院{PLACES[i % 8]}{THINGS[(i + 3) % 7]}", msg_id=i)
                neighbours.append(time.perf_counter() - started)
        steward = app.extensions["steward"]
        with steward.session() as s:
            opened = s.scalar(select(func.count()).select_from(Ticket).where(
                Ticket.resident_openid == "o-bench-flooder", Ticket.subcategory.is_distinct_from(REVIEW)))
            review = s.scalar(select(func.count()).select_from(Ticket).where(Ticket.subcategory == REVIEW))
        queued = sum(jobs.queue(steward.redis_raw, n).count
                     for n in jobs.worker_queues(tuple(c.id for c in steward.communities)))
    q = statistics.quantiles
    print(f"flooder: {args.messages} messages → {opened} tickets, {review} review item(s); jobs queued in all: {queued}")
    print(f"flooder answer  p50 {q(flood, n=100)[49] * 1000:.1f} ms  p95 {q(flood, n=100)[94] * 1000:.1f} ms")
    print(f"neighbours ({len(neighbours)}) p50 {q(neighbours, n=100)[49] * 1000:.1f} ms  "
          f"p95 {q(neighbours, n=100)[94] * 1000:.1f} ms  max {max(neighbours) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
