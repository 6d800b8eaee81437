"""wrk as the load generator of `bench/webhook.py`: a C client that costs the 2-core machine almost
nothing, so the servers get the cores (the asyncio/httpx loop needs a whole core at ~800 req/s and
caps the baseline it is meant to measure).

wrk cannot sign, so every request is signed (and in safe mode encrypted) beforehand by the same
code `steward chat` uses and written one per line; `bench/webhook.lua` replays them, each once.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.loadgen import Result

LUA = Path(__file__).with_name("webhook.lua")
Factory = Callable[[int], tuple[dict[str, str], bytes]]


def available() -> bool:
    return shutil.which("wrk") is not None


@dataclass
class Files:
    warmup: Path
    measured: Path


def _write(path: Path, make: Factory, indices: range) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for i in indices:
            params, body = make(i)
            # Newlines between XML elements mean nothing, and neither signature covers them.
            fh.write(urlencode(params) + "\t" + body.decode("utf-8").replace("\n", "") + "\n")


def write_requests(run_dir: Path, make: Factory, n: int) -> Files:
    """`n` requests for the measured run and a separate set for the warm-up (no MsgId in both)."""
    files = Files(run_dir / "wrk-warmup.txt", run_dir / "wrk-measured.txt")
    _write(files.measured, make, range(n))
    _write(files.warmup, make, range(n, n + max(5_000, n // 6)))
    return files


@dataclass
class WrkResult(Result):
    """A wrk run: wrk keeps a latency histogram, not every sample, so percentiles come from it."""

    count: int = 0
    percentiles: dict[float, float] = field(default_factory=dict)  # seconds
    longest: float = 0.0

    @property
    def ok(self) -> int:
        return self.count

    def pct(self, p: float) -> float:
        return self.percentiles[p]

    @property
    def max_latency(self) -> float:
        return self.longest


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)  # waited-for children: the finished wrk runs
    return ru.ru_utime + ru.ru_stime


def _wrk(url: str, requests: Path, expect: str, concurrency: int, seconds: float, timeout: float) -> dict[str, int]:
    env = dict(os.environ, STEWARD_WRK_REQUESTS=str(requests), STEWARD_WRK_EXPECT=expect, STEWARD_WRK_THREADS="1")
    argv = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", f"--timeout={int(timeout)}s",
            "-s", str(LUA), url]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 120)
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


def run_closed_loop(label: str, url: str, files: Files, expect: str, unique: bool, concurrency: int = 64,
                    duration: float = 20.0, warmup: float = 3.0, timeout: float = 10.0) -> WrkResult:
    """A warm-up run, then the measured one; `unique`: running out of requests is an error (a resent
    MsgId would be answered from the de-dup store, which is cheaper and not what is measured)."""
    if warmup > 0:
        _wrk(url, files.warmup, expect, concurrency, warmup, timeout)
    cpu0 = _children_cpu()
    r = _wrk(url, files.measured, expect, concurrency, duration, timeout)
    cpu = _children_cpu() - cpu0
    errors = {k: r[k] for k in ("connect", "read", "write", "timeout") if r[k]}
    if r["status"]:
        errors["http status ≠ 2xx"] = r["status"]
    if r["bad"]:
        errors["unexpected body"] = r["bad"]
    if unique and r["wrapped"]:
        errors["ran out of unique requests (raise --requests)"] = r["wrapped"]
    failed = sum(errors.values()) - errors.get("ran out of unique requests (raise --requests)", 0)
    return WrkResult(
        label, concurrency, r["duration_us"] / 1e6, errors=errors,
        count=r["requests"] - failed,
        percentiles={p: r[f"p{p}"] / 1e6 for p in (50, 95, 99)},
        longest=r["max"] / 1e6,
        client_cpu=cpu,
    )
