"""Shared pieces of the benchmarks: starting gunicorn, a closed-loop asyncio/httpx load generator,
latency statistics and machine facts.

The load generator keeps `concurrency` connections busy (each sends its next request as soon as the
previous answer arrives, like wrk), so by Little's law mean latency ≈ concurrency / throughput.
Requests are signed (and in safe mode encrypted) on the fly by the same code that `steward chat`
uses, so the webhook sees exactly what WeChat would send.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import resource
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# Services refuse the sample secrets: the benchmarks sign with this token (STEWARD_WECHAT_TOKEN) and
# run on `service_config`, the sample community with fresh secrets.
BENCH_TOKEN = "bench-token-0d1e2f3a4b5c"


def service_config(work: Path) -> Path:
    """config.example.toml with fresh secrets and no staff passwords, as gunicorn and workers need."""
    from bot.config import production_copy

    path = work / "config.toml"
    path.write_text(production_copy((ROOT / "config.example.toml").read_text(encoding="utf-8")), encoding="utf-8")
    return path


def service_env(work: Path, db_url: str, redis_url: str, sandbox_port: int) -> dict[str, str]:
    """The environment of a bench's services (web, worker, sandbox): this process's, without any
    STEWARD_* of the caller's, on `service_config` with the bench token, the database and Redis
    given, and WeChat's API at the sandbox on `sandbox_port`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STEWARD_")}
    env.update(STEWARD_CONFIG=str(service_config(work)), STEWARD_WECHAT_TOKEN=BENCH_TOKEN,
               STEWARD_DATABASE_URL=db_url, STEWARD_REDIS_URL=redis_url,
               STEWARD_WECHAT_API_BASE_URL=f"http://127.0.0.1:{sandbox_port}/sandbox/cgi-bin", PYTHONPATH=str(ROOT))
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def machine() -> dict[str, str]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model or platform.processor(),
        "python": platform.python_version(),
        "loadavg": " ".join(f"{x:.2f}" for x in load),
    }


# -- processes -----------------------------------------------------------------------------------


@dataclass
class Proc:
    """A child process we started (its own process group, so stopping it stops its children)."""

    popen: subprocess.Popen
    log: Path

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        if self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)

    def tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def spawn(argv: list[str], env: dict[str, str], cwd: Path, log: Path) -> Proc:
    fh = log.open("ab")
    popen = subprocess.Popen(argv, env=env, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    fh.close()
    return Proc(popen, log)


def gunicorn(app: str, port: int, env: dict[str, str], cwd: Path, log: Path, workers: int,
             worker_class: str = "sync", threads: int = 1) -> Proc:
    argv = [
        str(VENV_BIN / "gunicorn"), "-w", str(workers), "-k", worker_class, "--threads", str(threads),
        "-b", f"127.0.0.1:{port}", "--pythonpath", str(ROOT), "--backlog", "2048",
        "--log-level", "warning", app,
    ]
    return spawn(argv, env, cwd, log)


def sandbox(port: int, env: dict[str, str], cwd: Path, log: Path, workers: int = 1) -> Proc:
    """The fake WeChat API as a process of its own. Threaded workers keep connections alive, as
    WeChat's API servers do: under sync workers every push paid a TCP connect on both sides, which
    production (urllib3's pool to api.weixin.qq.com) does not."""
    return gunicorn("bench.sandbox_wsgi:app", port, env, cwd, log, workers, worker_class="gthread", threads=4)


def wait_http(url: str, proc: Proc | None = None, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.popen.poll() is not None:
            raise RuntimeError(f"process exited ({proc.popen.returncode}):\n{proc.tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s" + (f":\n{proc.tail()}" if proc else ""))


# -- load ----------------------------------------------------------------------------------------

# A request factory returns (query params, body) for the i-th request.
Factory = Callable[[int], tuple[dict[str, str], bytes]]
# A checker looks at one answer and returns an error label, or None when the answer is right.
Checker = Callable[[int, bytes], str | None]


@dataclass
class Result:
    label: str
    concurrency: int
    seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: dict[str, int] = field(default_factory=dict)
    client_cpu: float = 0.0  # CPU seconds the load generator itself used (it shares the machine)

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def rps(self) -> float:
        return (self.ok + self.error_count) / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        return percentile(self.latencies, p)

    @property
    def max_latency(self) -> float:
        return max(self.latencies)

    def row(self) -> str:
        if not self.ok:
            return f"{self.label:<28} no successful requests; errors {self.errors}"
        ms = [self.pct(p) * 1000 for p in (50, 95, 99)] + [self.max_latency * 1000]
        errs = self.error_count
        return (f"{self.label:<28} {self.rps:8.1f} req/s  p50 {ms[0]:6.1f}  p95 {ms[1]:6.1f}  p99 {ms[2]:6.1f}  "
                f"max {ms[3]:7.1f} ms  n={self.ok + errs}  errors={errs}"
                + (f" {self.errors}" if errs else "")
                + f"  client-cpu={self.client_cpu / self.seconds * 100:.0f}%")


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[min(int(p * 10), 1000) - 1]


async def _closed_loop(url: str, make: Factory, check: Checker | None, concurrency: int, duration: float,
                       warmup: float, result: Result, timeout: float) -> None:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    counter = iter(range(10**12))
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + duration
    async with httpx.AsyncClient(limits=limits, timeout=timeout, headers={"Content-Type": "text/xml"}) as client:

        async def one_connection() -> None:
            while True:
                t0 = time.perf_counter()
                if t0 >= stop_at:
                    return
                i = next(counter)
                params, body = make(i)
                label = None
                try:
                    resp = await client.post(url, params=params, content=body)
                    if resp.status_code != 200:
                        label = f"http {resp.status_code}"
                    elif check is not None:
                        label = check(i, resp.content)
                except httpx.HTTPError as exc:
                    label = type(exc).__name__
                t1 = time.perf_counter()
                if t0 < measure_from:
                    continue  # warm-up: caches, connection pools, gunicorn workers' first requests
                if label is None:
                    result.latencies.append(t1 - t0)
                else:
                    result.errors[label] = result.errors.get(label, 0) + 1

        await asyncio.gather(*(one_connection() for _ in range(concurrency)))
    result.seconds = min(time.perf_counter(), stop_at + timeout) - measure_from


def run_closed_loop(label: str, url: str, make: Factory, check: Checker | None = None, concurrency: int = 64,
                    duration: float = 20.0, warmup: float = 3.0, timeout: float = 10.0) -> Result:
    """Keep `concurrency` requests in flight for `warmup` + `duration` seconds; measure the latter."""
    result = Result(label, concurrency, duration)
    cpu0 = _cpu()
    asyncio.run(_closed_loop(url, make, check, concurrency, duration, warmup, result, timeout))
    result.client_cpu = (_cpu() - cpu0) * duration / (duration + warmup)
    return result


async def _paced(send: Callable[[int], Awaitable[None]], rate: float, duration: float) -> None:
    """A steady stream: message i leaves at start + i / rate, whatever the answers do."""
    tasks: set[asyncio.Task] = set()
    start = time.perf_counter()
    for i in range(int(rate * duration)):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(send(i))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)


async def _open_loop(url: str, make: Factory, rate: float, duration: float, on_sent: Callable[[int, float], None],
                     on_answer: Callable[[int, float, int, bytes | None, str | None], None], concurrency: int,
                     timeout: float) -> None:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=timeout, headers={"Content-Type": "text/xml"}) as client:
        async def send(i: int) -> None:
            params, body = make(i)
            t0 = time.time()
            on_sent(i, t0)
            try:
                resp = await client.post(url, params=params, content=body)
                on_answer(i, time.time() - t0, resp.status_code, resp.content, None)
            except httpx.HTTPError as exc:
                on_answer(i, time.time() - t0, 0, None, type(exc).__name__)

        await _paced(send, rate, duration)


def run_open_loop(url: str, make: Factory, rate: float, duration: float,
                  on_sent: Callable[[int, float], None],
                  on_answer: Callable[[int, float, int, bytes | None, str | None], None],
                  concurrency: int = 64, timeout: float = 10.0) -> None:
    """Send `rate` requests per second for `duration` seconds regardless of answers (a stream of
    residents, not a fixed set of clients); callbacks get wall-clock times for matching pushes."""
    asyncio.run(_open_loop(url, make, rate, duration, on_sent, on_answer, concurrency, timeout))


async def _post_raw(host: str, port: int, path: str, body: bytes, timeout: float) -> tuple[int, bytes]:
    """One POST on a fresh connection (Connection: close), written and read by hand: a few
    hundred microseconds of client CPU where httpx spends milliseconds — on a busy 2-core machine
    the client must not be what falls behind."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: text/xml\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
        writer.write(head + body)
        raw = await asyncio.wait_for(reader.read(-1), timeout)
    finally:
        writer.close()
    status_line, _, rest = raw.partition(b"\r\n")
    _, _, payload = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), payload


async def _open_loop_raw(url: str, make: Factory, rate: float, duration: float,
                         on_sent: Callable[[int, float], None],
                         on_answer: Callable[[int, float, int, bytes | None, str | None], None],
                         timeout: float) -> None:
    from urllib.parse import urlencode, urlsplit

    u = urlsplit(url)
    host, port = u.hostname or "127.0.0.1", u.port or 80

    async def send(i: int) -> None:
        params, body = make(i)
        t0 = time.time()
        on_sent(i, t0)
        try:
            status, payload = await _post_raw(host, port, f"{u.path}?{urlencode(params)}", body, timeout)
            on_answer(i, time.time() - t0, status, payload, None)
        except (TimeoutError, OSError, ValueError, IndexError) as exc:
            on_answer(i, time.time() - t0, 0, None, type(exc).__name__)

    await _paced(send, rate, duration)


def run_open_loop_raw(url: str, make: Factory, rate: float, duration: float,
                      on_sent: Callable[[int, float], None],
                      on_answer: Callable[[int, float, int, bytes | None, str | None], None],
                      timeout: float = 10.0) -> None:
    """`run_open_loop` with the hand-written HTTP client (`_post_raw`)."""
    asyncio.run(_open_loop_raw(url, make, rate, duration, on_sent, on_answer, timeout))


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def chunks(seq: list, n: int) -> Iterator[list]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


# -- CPU by component ----------------------------------------------------------------------------


def _proc_table() -> dict[int, tuple[int, str, int]]:
    """pid → (ppid, command name, utime+stime ticks) for every process we can read."""
    out: dict[int, tuple[int, str, int]] = {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            st = (p / "stat").read_text()
            rest = st[st.rindex(")") + 2 :].split()
            out[int(p.name)] = (int(rest[1]), st[st.index("(") + 1 : st.rindex(")")], int(rest[11]) + int(rest[12]))
    return out


def cpu_ticks(groups: dict[str, list[int]], by_name: dict[str, str], alone: dict[str, int] | None = None
              ) -> dict[str, int]:
    """CPU ticks so far per group: the processes under each group's root pids (their whole trees),
    for `by_name` (label → command name, e.g. postgres) every process of that name, and for `alone`
    (label → pid) that one process without its children (the benchmark itself: it started the rest)."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _n, _t) in table.items():
        children.setdefault(ppid, []).append(pid)
    out = {}
    for label, roots in groups.items():
        todo, total = list(roots), 0
        while todo:
            pid = todo.pop()
            total += table.get(pid, (0, "", 0))[2]
            todo.extend(children.get(pid, []))
        out[label] = total
    for label, name in by_name.items():
        out[label] = sum(t for _pp, n, t in table.values() if n == name)
    for label, pid in (alone or {}).items():
        out[label] = table.get(pid, (0, "", 0))[2]
    return out


def pg_backends(engine: Any, db: str) -> list[int]:
    """The PostgreSQL backends serving database `db` (a bench's own database), but the one asking:
    the bot's share of PostgreSQL's CPU, not the machine's other users'."""
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d AND pid <> pg_backend_pid()"),
                                 {"d": db}).scalars())


def cpu_split(before: dict[str, int], after: dict[str, int], seconds: float) -> str:
    """'label 37%, …' as percent of ONE core over `seconds` (the machine has nproc × 100 %)."""
    hz = os.sysconf("SC_CLK_TCK")
    parts = [f"{k} {(after[k] - before.get(k, 0)) / hz / seconds * 100:.0f}%" for k in after]
    return ", ".join(parts)
