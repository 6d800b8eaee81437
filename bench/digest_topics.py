"""How long the digest's topic clustering takes for a month of N tickets (and matching last month's N).

    .venv/bin/python -m bench.digest_topics [N]
"""

from __future__ import annotations

import random
import sys
import time
from datetime import datetime, timedelta

from bot.domain.topics import Item, cluster, set_last_month
from tests.digest_fixture import REPEATS, SINGLES

TAILS = ("", "，快来修", "，好几天了", "，我是王秀英，电话13912345678")
SUBS = ("照明", "给排水", "噪音", "停车", "卫生")


def month(n: int, first_id: int, rng: random.Random) -> list[Item]:
    texts = [t for _, _, t in SINGLES] + [t for r in REPEATS for t in r[3]]
    at = datetime(2026, 10, 1)
    return [Item(first_id + i, f"R{first_id + i}", rng.choice(texts) + rng.choice(TAILS), "repair", rng.choice(SUBS),
                 f"c{rng.randint(1, 10)}", "received", None, at + timedelta(minutes=i)) for i in range(n)]


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    rng = random.Random(1)
    now, before = month(n, 0, rng), month(n, n, rng)
    t0 = time.perf_counter()
    topics = cluster(now, 0.25)
    t1 = time.perf_counter()
    set_last_month(topics, before, 0.25)
    t2 = time.perf_counter()
    print(f"{n} tickets → {len(topics)} topics: clustering {t1 - t0:.2f} s, last month matched {t2 - t1:.2f} s")


if __name__ == "__main__":
    main()
