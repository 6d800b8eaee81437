"""Benchmark of the message classifier (prints figures; not a test).

    .venv/bin/python bench/classify.py [--n 20000]

Throughput on one core, single-message latency, cold start-up in a fresh process, and the same
figures for a trivial keyword-only classifier as a baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handlers import classify as clf  # noqa: E402

# the baseline: first keyword hit wins, else "other"
KEYWORDS = [
    ("event", ("报名", "活动", "讲座", "电影", "不去了", "博物馆", "书法", "志愿")),
    ("inquiry", ("咋办", "怎么办", "在哪交", "几点", "低保", "医保", "证", "补贴", "进度", "咋样了")),
    ("grievance", ("吵", "垃圾", "有人", "邻居", "狗", "物业", "乱停", "堆", "飞线", "投诉")),
    ("repair", ("坏", "漏", "堵", "不亮", "停水", "停电", "修", "电梯", "井盖", "门禁")),
]


def keyword_classify(text: str) -> str:
    for cat, words in KEYWORDS:
        if any(w in text for w in words):
            return cat
    return "other"


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def startup(runs: int = 3) -> tuple[float, float]:
    """Median seconds: (whole process incl. interpreter, import + model load + first classify)."""
    code = (
        "import time;t=time.perf_counter();from handlers.classify import classify;"
        "classify('楼道灯坏了');print(time.perf_counter()-t)"
    )
    wall, inner = [], []
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
        wall.append(time.perf_counter() - t)
        inner.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(wall), statistics.median(inner)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000, help="messages in the batch run")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core

    wall, inner = startup()  # before this process loads the model, so a stale model is retrained here first
    rows = clf.read_tsv(clf.VALIDATION_TSV) + clf.read_tsv(clf.TRAIN_TSV)
    texts = [t for t, _, _ in rows]
    batch = (texts * (args.n // len(texts) + 1))[: args.n]
    clf.classify("预热")  # load the model outside the timed part

    t = time.perf_counter()
    clf.classify_many(batch)
    model_s = time.perf_counter() - t
    t = time.perf_counter()
    for x in batch:
        keyword_classify(x)
    base_s = time.perf_counter() - t

    lat, base_lat = [], []
    for x in texts:
        t0 = time.perf_counter_ns()
        clf.classify(x)
        lat.append((time.perf_counter_ns() - t0) / 1e6)
        t0 = time.perf_counter_ns()
        keyword_classify(x)
        base_lat.append((time.perf_counter_ns() - t0) / 1e6)

    val = clf.read_tsv(clf.VALIDATION_TSV)
    acc = sum(clf.classify(t).category == c for t, c, _ in val) / len(val)
    base_acc = sum(keyword_classify(t) == c for t, c, _ in val) / len(val)

    print(f"messages: {len(batch)} (corpus lines cycled), validation lines: {len(val)}")
    print(f"{'':26}{'model':>12}{'keywords':>12}{'ratio':>10}")
    print(f"{'throughput msg/s (1 core)':26}{len(batch) / model_s:12,.0f}{len(batch) / base_s:12,.0f}"
          f"{(len(batch) / model_s) / (len(batch) / base_s):10.3f}")
    for name, q in (("latency p50 ms", 0.5), ("latency p99 ms", 0.99)):
        a, b = pct(lat, q), pct(base_lat, q)
        print(f"{name:26}{a:12.3f}{b:12.4f}{a / b:10.1f}")
    print(f"{'validation accuracy':26}{acc:12.3f}{base_acc:12.3f}{acc / base_acc:10.2f}")
    print(f"start-up, fresh process: {wall:.3f} s wall (interpreter included), "
          f"{inner:.3f} s import + model load + first classify")
    print("targets: >= 5,000 msg/s, p50/p99 < 2 ms, start-up < 1 s")


if __name__ == "__main__":
    main()
