"""The blind conversations (tests/blind/) through the real webhook, worker and sandbox: how many go
right, by author and by kind, next to a baseline report from an earlier run.

    .venv/bin/python bench/conversations.py [--report out.jsonl] [--baseline before.jsonl]
                                            [--workers 2] [--write-misses]

Runs `tests/test_blind_conversations.py` with STEWARD_BLIND=1 (each conversation on a fresh database
and Redis); every verdict is a JSON line in the report. `--write-misses` rewrites
tests/blind/known_misses.txt from this run, so a conversation that goes wrong later fails.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MISSES = ROOT / "tests" / "blind" / "known_misses.txt"


def run(report: Path, workers: int) -> None:
    report.unlink(missing_ok=True)
    env = {**os.environ, "STEWARD_BLIND": "1", "STEWARD_BLIND_REPORT": str(report)}
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_blind_conversations.py"]
    if workers > 1:
        cmd += ["-n", str(workers)]
    subprocess.run(cmd, cwd=ROOT, env=env, check=False)


def load(path: Path) -> dict[str, dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {r["id"]: r for r in rows}


def table(now: dict[str, dict], before: dict[str, dict] | None) -> list[str]:
    def count(rows: dict[str, dict], key) -> collections.Counter:  # noqa: ANN001
        c: collections.Counter = collections.Counter()
        for r in rows.values():
            c[(key(r), "n")] += 1
            c[(key(r), "right")] += bool(r["right"])
        return c

    lines = []
    for title, key in (("author", lambda r: r["id"][0]), ("kind", lambda r: r["kind"]), ("all", lambda r: "all")):
        c_now, c_before = count(now, key), count(before or {}, key)
        lines.append(f"\n{'by ' + title if title != 'all' else 'in all':<24} {'before':>8} {'now':>8}")
        for group in sorted({g for g, _ in c_now}):
            was = f"{c_before[(group, 'right')]}/{c_before[(group, 'n')]}" if before else "—"
            now_ = f"{c_now[(group, 'right')]}/{c_now[(group, 'n')]}"
            lines.append(f"{group:<24} {was:>8} {now_:>8}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--report", type=Path, default=None, help="where this run's verdicts go (JSON lines)")
    ap.add_argument("--baseline", type=Path, default=None, help="an earlier run's report to print beside")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only-print", action="store_true", help="print --report without running")
    ap.add_argument("--write-misses", action="store_true")
    args = ap.parse_args()
    report = args.report or Path(tempfile.mkdtemp()) / "blind.jsonl"
    if not args.only_print:
        run(report, args.workers)
    now = load(report)
    before = load(args.baseline) if args.baseline else None
    print("\n".join(table(now, before)))
    if args.write_misses:
        wrong = sorted(i for i, r in now.items() if not r["right"])
        MISSES.write_text("# Blind conversations that went wrong in the last measured run (bench/conversations.py)\n"
                          + "".join(f"{i}\n" for i in wrong), encoding="utf-8")
        print(f"\n{len(wrong)} known misses written to {MISSES.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
