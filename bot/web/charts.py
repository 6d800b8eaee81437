"""Small server-side SVG charts (no JavaScript, no CDN): a 12-month trend and a courtyard comparison."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

SERIES = (("response_rate", "响应率", "#2b6cb0"), ("resolution_rate", "解决率", "#2f855a"),
          ("satisfaction_rate", "满意率", "#c05621"))


def _frame(width: int, height: int, left: int, top: int, plot_w: int, plot_h: int, title: str) -> list[str]:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'class="chart" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for pct in (0, 25, 50, 75, 100):
        y = top + plot_h - plot_h * pct / 100
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{pct}%</text>')
    return parts


def _legend(parts: list[str], x: int, y: int) -> None:
    for i, (_, label, colour) in enumerate(SERIES):
        parts.append(f'<rect x="{x + i * 80}" y="{y - 9}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + i * 80 + 16}" y="{y + 2}" font-size="12">{label}</text>')


def trend(labels: Sequence[str], values: Mapping[str, Sequence[float | None]], title: str) -> Markup:
    """Lines per rate over months; a gap where a month had nothing to measure."""
    width, height, left, top = 640, 260, 44, 30
    plot_w, plot_h = width - left - 16, height - top - 40
    parts = _frame(width, height, left, top, plot_w, plot_h, title)
    step = plot_w / max(len(labels) - 1, 1)
    for i, label in enumerate(labels):
        x = left + i * step
        parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle" font-size="10">{escape(label)}</text>')
    for key, label, colour in SERIES:
        run: list[str] = []
        for i, v in enumerate(values.get(key, ())):
            x = left + i * step
            if v is None:
                if len(run) > 1:
                    parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}"/>')
                run = []
                continue
            y = top + plot_h - plot_h * v
            run.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                         f'<title>{escape(labels[i])} {label} {v * 100:.1f}%</title></circle>')
        if len(run) > 1:
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(run)}"/>')
    _legend(parts, left, 16)
    parts.append("</svg>")
    return Markup("".join(parts))


def comparison(names: Sequence[str], values: Mapping[str, Sequence[float | None]], title: str) -> Markup:
    """Grouped bars: the three rates side by side for each courtyard."""
    width, left, top = 640, 44, 30
    group = max((width - left - 16) / max(len(names), 1), 30)
    width = int(left + 16 + group * len(names))
    height, plot_h = 280, 180
    parts = _frame(width, height, left, top, int(group * len(names)), plot_h, title)
    bar = group * 0.8 / len(SERIES)
    for i, name in enumerate(names):
        gx = left + i * group + group * 0.1
        for j, (key, label, colour) in enumerate(SERIES):
            v = values.get(key, [None] * len(names))[i]
            if v is None:
                continue
            h = plot_h * v
            parts.append(f'<rect x="{gx + j * bar:.1f}" y="{top + plot_h - h:.1f}" width="{bar - 1:.1f}" '
                         f'height="{h:.1f}" fill="{colour}"><title>{escape(name)} {label} {v * 100:.1f}%</title></rect>')
        short = name.replace("育英街", "")
        parts.append(f'<text x="{gx + group * 0.4:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                     f'font-size="11">{escape(short)}</text>')
    _legend(parts, left, 16)
    parts.append("</svg>")
    return Markup("".join(parts))
