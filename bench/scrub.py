"""How long the scrubber takes against the text's length (issue 23: a report followed by 30,000
digits made /staff/digest time out; the old scrubbers were quadratic: 4,000 digits 0.4 s, 10,000 6.9 s).

    .venv/bin/python bench/scrub.py

Prints seconds per call for digit runs, Chinese numerals, e-mail-like runs and a random mix at
1,000 … 50,000 characters; linear time shows as a constant time per 10,000 characters."""

from __future__ import annotations

import random
import time

from bot.domain.public_scrub import scrub

SHAPES = {
    "digits": lambda n: "楼道灯坏了" + "1" * n,
    "chinese numerals": lambda n: "电话" + "一三八零" * (n // 4),
    "spaced digits + 年": lambda n: "1 " * (n // 2) + "年",
    "e-mail-like": lambda n: "a." * (n // 2) + "@",
    "names and cues": lambda n: "我叫欧阳建国感谢王小明" * (n // 11),
    "random mix": lambda n: "".join(random.Random(7).choice("0123456789一二幺壹 .-@ao号楼年岁王欧阳我叫谢手机十、家")
                                    for _ in range(n)),
}


def main() -> None:
    print(f"{'shape':<20}" + "".join(f"{n:>10,}" for n in (1_000, 10_000, 30_000, 50_000)))
    for name, make in SHAPES.items():
        row = []
        for n in (1_000, 10_000, 30_000, 50_000):
            text = make(n)
            started = time.perf_counter()
            scrub(text, limit=len(text))
            row.append(time.perf_counter() - started)
        print(f"{name:<20}" + "".join(f"{t:>9.3f}s" for t in row))


if __name__ == "__main__":
    main()
