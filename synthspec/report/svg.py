"""Inline SVG bar charts for the HTML report: no JavaScript, no network, no plotting library.

A histogram becomes grouped bars (one colour per series: seeds vs synthetic),
scaled to shares so series of different sizes compare.  All text is
XML-escaped.
"""

from __future__ import annotations

from html import escape

from synthspec.validate.api import Histogram

COLOURS = {"seeds": "#8a8f98", "synthetic": "#2f6fdf"}
FALLBACK = ("#2f6fdf", "#8a8f98", "#d9822b", "#0f9960")


def bar_chart(h: Histogram, width: int = 640, height: int = 220, max_bars: int = 60) -> str:
    """An <svg> element drawing `h` as grouped bars of shares (each series sums to 1)."""
    labels = list(h.labels)[:max_bars]
    names = list(h.series)
    shares: dict[str, list[float]] = {}
    for name in names:
        values = list(h.series[name])[:max_bars]
        total = sum(values) or 1.0
        shares[name] = [v / total for v in values] if h.kind == "hist" or len(names) > 1 else values
    top = max((v for vs in shares.values() for v in vs), default=1.0) or 1.0
    left, bottom, pad = 40, 60, 10
    plot_w, plot_h = width - left - pad, height - bottom - pad
    n = max(1, len(labels))
    slot = plot_w / n
    bar_w = max(1.0, slot * 0.8 / max(1, len(names)))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="{escape(h.title)}">'
    ]
    parts.append(
        f'<line x1="{left}" y1="{pad + plot_h}" x2="{left + plot_w}" y2="{pad + plot_h}" stroke="#444"/>'
    )
    parts.append(f'<text x="4" y="{pad + 10}" font-size="10">{top:.3g}</text>')
    for s_index, name in enumerate(names):
        colour = COLOURS.get(name, FALLBACK[s_index % len(FALLBACK)])
        for i, v in enumerate(shares[name]):
            bh = plot_h * v / top
            x = left + i * slot + slot * 0.1 + s_index * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{pad + plot_h - bh:.1f}" width="{bar_w:.1f}" height="{bh:.1f}" fill="{colour}">'
                f"<title>{escape(name)} {escape(str(labels[i]))}: {v:.4g}</title></rect>"
            )
    step = max(1, n // 20)
    for i in range(0, n, step):
        x = left + i * slot + slot / 2
        parts.append(
            f'<text x="{x:.1f}" y="{pad + plot_h + 12}" font-size="9" text-anchor="end" '
            f'transform="rotate(-45 {x:.1f} {pad + plot_h + 12})">{escape(str(labels[i])[:18])}</text>'
        )
    for s_index, name in enumerate(names):
        colour = COLOURS.get(name, FALLBACK[s_index % len(FALLBACK)])
        x = left + plot_w - 120 + s_index * 70
        parts.append(
            f'<rect x="{x}" y="{pad}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{pad + 9}" font-size="10">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
