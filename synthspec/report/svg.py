"""Inline SVG bar charts for the HTML report: no JavaScript, no network, no plotting library.

A histogram becomes grouped bars (one colour per series: seeds vs synthetic),
scaled to shares so series of different sizes compare.  Each chart carries
its own title, legend, y-axis scale and font, so it reads the same saved on
its own or opened in any SVG viewer as inside the report (where the page's
CSS would otherwise supply the font).  All text is XML-escaped.
"""

from __future__ import annotations

from html import escape

from synthspec.validate.api import Histogram

COLOURS = {"seeds": "#8a8f98", "synthetic": "#2f6fdf"}
FALLBACK = ("#2f6fdf", "#8a8f98", "#d9822b", "#0f9960")
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
TITLE_H = 26  # room above the plot for the title and the legend


def _colour(name: str, index: int) -> str:
    return COLOURS.get(name, FALLBACK[index % len(FALLBACK)])


def _tick(value: float, as_shares: bool) -> str:
    """A y-axis number short enough for the margin: shares to 3 digits, large counts whole."""
    if not as_shares and abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _short(label: str, limit: int = 16) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(h: Histogram, width: int = 640, height: int = 270, max_bars: int = 60) -> str:
    """An <svg> element drawing `h` as grouped bars of shares (each series sums to 1)."""
    labels = list(h.labels)[:max_bars]
    names = list(h.series)
    as_shares = h.kind == "hist" or len(names) > 1
    shares: dict[str, list[float]] = {}
    for name in names:
        values = list(h.series[name])[:max_bars]
        total = sum(values) or 1.0
        shares[name] = [v / total for v in values] if as_shares else values
    top = max((v for vs in shares.values() for v in vs), default=1.0) or 1.0
    left, bottom, right = 58, 96, 10  # bottom: room for vertical bin labels
    plot_top = TITLE_H + 4
    plot_w, plot_h = width - left - right, height - bottom - plot_top
    base = plot_top + plot_h
    n = max(1, len(labels))
    slot = plot_w / n
    bar_w = max(1.0, slot * 0.8 / max(1, len(names)))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" role="img" aria-label="{escape(h.title)}">',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="4" y="14" font-size="12" font-weight="bold">{escape(h.title[:70])}</text>',
    ]
    # y axis: the scale, its top and zero, and what it measures
    parts.append(f'<line x1="{left}" y1="{plot_top}" x2="{left}" y2="{base}" stroke="#444"/>')
    parts.append(f'<line x1="{left}" y1="{base}" x2="{left + plot_w}" y2="{base}" stroke="#444"/>')
    for value, y in ((top, plot_top), (top / 2, plot_top + plot_h / 2), (0.0, base)):
        parts.append(f'<line x1="{left - 3}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" stroke="#444"/>')
        parts.append(f'<text x="{left - 5}" y="{y + 3:.1f}" font-size="9" '
                     f'text-anchor="end">{_tick(value, as_shares)}</text>')
    parts.append(f'<text x="10" y="{plot_top + plot_h / 2:.1f}" font-size="9" text-anchor="middle" '
                 f'transform="rotate(-90 10 {plot_top + plot_h / 2:.1f})">{"share" if as_shares else "value"}</text>')
    for s_index, name in enumerate(names):
        colour = _colour(name, s_index)
        for i, v in enumerate(shares[name]):
            bh = plot_h * v / top
            x = left + i * slot + slot * 0.1 + s_index * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{base - bh:.1f}" width="{bar_w:.1f}" height="{bh:.1f}" fill="{colour}">'
                f"<title>{escape(name)} {escape(str(labels[i]))}: {v:.4g}</title></rect>"
            )
    step = max(1, -(-n // 20))
    for i in range(0, n, step):
        x = left + i * slot + slot / 2
        parts.append(
            f'<text x="{x + 3:.1f}" y="{base + 6}" font-size="9" text-anchor="end" '
            f'transform="rotate(-90 {x + 3:.1f} {base + 6})">{escape(_short(str(labels[i])))}</text>'
        )
    x = width - right
    for s_index, name in reversed(list(enumerate(names))):  # right-aligned, in series order
        label = escape(name)
        x -= 14 + 6 * len(name) + 10
        parts.append(
            f'<rect x="{x}" y="5" width="10" height="10" fill="{_colour(name, s_index)}"/>'
            f'<text x="{x + 14}" y="14" font-size="10">{label}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
