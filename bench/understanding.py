"""How well messages are understood: category and courtyard figures on labelled sets (prints; not a test).

    .venv/bin/python bench/understanding.py [--errors] [FILE ...]

Default files: handlers/corpus/stranger.tsv (text, category, courtyard id or empty) and
handlers/corpus/validation.tsv (text, category, subcategory, courtyard id or empty). A courtyard
counts as found when `handlers.courtyard.locate` returns the labelled id; a line labelled with no
courtyard counts as wrong when `locate` assigns one. Courtyards come from config.example.toml.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load  # noqa: E402
from handlers import classify as clf  # noqa: E402
from handlers.courtyard import locate  # noqa: E402

CORPUS = ROOT / "handlers" / "corpus"
DEFAULT = (CORPUS / "stranger.tsv", CORPUS / "validation.tsv")


def read(path: Path) -> list[tuple[str, str, str | None]]:
    """(text, category, courtyard id or None); the courtyard is the last column that looks like an id."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        parts = line.split("\t")
        col = 3 if path.name == "validation.tsv" else 2  # validation.tsv has a subcategory column
        yard = parts[col].strip() if len(parts) > col and parts[col].strip() else None
        rows.append((parts[0], parts[1].strip(), yard))
    return rows


def evaluate(path: Path, yards, show_errors: bool) -> None:
    rows = read(path)
    preds = clf.classify_many(t for t, _, _ in rows)
    ok = [p.category == c for p, (_, c, _) in zip(preds, rows, strict=True)]
    print(f"\n{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {len(rows)} lines")
    print(f"  category accuracy       {sum(ok) / len(rows):7.1%}")
    counts = Counter(c for _, c, _ in rows)
    for cat in clf.CATEGORIES:
        hits = [k for k, (_, c, _) in zip(ok, rows, strict=True) if c == cat]
        if hits:
            print(f"  recall {cat:<10}       {sum(hits) / len(hits):7.1%}  ({sum(hits)}/{len(hits)})")
    named = [(t, y) for t, _, y in rows if y]
    unnamed = [t for t, _, y in rows if not y]
    found = [(t, y, locate(t, yards)) for t, y in named]
    hit = sum(1 for _, y, g in found if g == y)
    wrong = [(t, g) for t in unnamed if (g := locate(t, yards))]
    print(f"  courtyard found         {hit / max(1, len(named)):7.1%}  ({hit}/{len(named)} lines naming one)")
    print(f"  wrong courtyard         {len(wrong) / max(1, len(unnamed)):7.1%}  ({len(wrong)}/{len(unnamed)} lines naming none)")
    print(f"  category mix            {dict(counts)}")
    if show_errors:
        for p, (t, c, _), k in zip(preds, rows, ok, strict=True):
            if not k:
                print(f"    CAT  {c:>9} → {p.category:<9} {p.confidence:.2f}  {t}")
        for t, y, g in found:
            if g != y:
                print(f"    YARD {y:>9} → {g!s:<9}       {t}")
        for t, g in wrong:
            print(f"    YARD {'none':>9} → {g:<9}       {t}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="*", type=Path)
    ap.add_argument("--errors", action="store_true", help="list every miss")
    args = ap.parse_args()
    yards = load(str(ROOT / "config.example.toml")).courtyards
    for path in args.files or DEFAULT:
        if path.exists():
            evaluate(path.resolve(), yards, args.errors)
        else:
            print(f"\n{path}: missing")


if __name__ == "__main__":
    main()
