"""Emergencies on the held-out set: the learned detector (handlers.emergency) next to the rules alone.

    .venv/bin/python bench/emergency.py [FILE]

Default file: handlers/corpus/emergency/test.tsv (label<TAB>text, by a blind author; never trained
on). Prints accuracy (the kind, or none), recall per kind, and the false-alarm rate (a none line
given any emergency); "fire false alarms" counts lines not about fire that got the fire number first.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handlers import danger_model  # noqa: E402
from handlers import emergency as em  # noqa: E402
from handlers.text import norm  # noqa: E402

NAMES = {v: k for k, v in em.LEARNED.items()}  # power → electric, collapse → structure


def learned(text: str) -> str:
    e = em.read(text)
    return NAMES.get(e.kind, e.kind) if e else "none"


def rules(text: str) -> str:
    """Today's rules: the patterns (floods included) and the urgency words, as before the model."""
    t = norm(text)
    if not t or (em._TALK.search(t) and not em._NOW.search(t)):
        return "none"
    found, _ = em._rules(t)
    found_all = set(found)
    for m in em._COMPILED[em.FLOOD].finditer(t):
        if not em._WORRY.search(t[max(0, m.start() - 5):m.start()]):
            found_all.add(em.FLOOD)
    if found_all:
        kind = next(k for k in em._ORDER if k in found_all)
        return NAMES.get(kind, kind)
    if em.is_urgent(text) and not em._ANY_WORRY.search(t):
        return "danger"
    return "none"


def score(rows: list[tuple[str, str]], fn: Callable[[str], str]) -> dict:
    got = [fn(t) for t, _ in rows]
    out: dict = {"accuracy": sum(g == y for g, (_, y) in zip(got, rows, strict=True)) / len(rows)}
    for kind in danger_model.LABELS[1:]:
        idx = [i for i, (_, y) in enumerate(rows) if y == kind]
        out[kind] = (sum(got[i] == kind for i in idx), len(idx))
    pos = [i for i, (_, y) in enumerate(rows) if y != "none"]
    out["any"] = (sum(got[i] != "none" for i in pos), len(pos))
    neg = [i for i, (_, y) in enumerate(rows) if y == "none"]
    out["false"] = (sum(got[i] != "none" for i in neg), len(neg))
    fire = [i for i, (_, y) in enumerate(rows) if y != "fire"]
    out["fire_false"] = (sum(got[i] in ("fire", "danger", "flood", "structure", "wire") and rows[i][1] in ("none",)
                             for i in fire), len(neg))
    return out


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "handlers" / "corpus" / "emergency" / "test.tsv"
    rows = danger_model.read_tsv(path)
    results = {"rules": score(rows, rules), "learned": score(rows, learned)}
    print(f"{path.name}: {len(rows)} lines")
    print(f"{'':24}{'rules':>14}{'learned':>14}")

    def cell(v: object) -> str:
        if isinstance(v, tuple):
            return f"{v[0] / max(1, v[1]):6.1%} {v[0]:>3}/{v[1]:<3}"
        return f"{v:6.1%}".rjust(14)

    rows_out = [("accuracy (kind)", "accuracy"), *((f"recall {k}", k) for k in danger_model.LABELS[1:]),
                ("recall, any emergency", "any"), ("false alarms (none)", "false"),
                ("119-type on a none line", "fire_false")]
    for label, key in rows_out:
        print(f"{label:<24}{cell(results['rules'][key]):>14}{cell(results['learned'][key]):>14}")


if __name__ == "__main__":
    main()
