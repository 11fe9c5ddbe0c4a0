"""Small inline SVG charts for the demo report: lines over time and horizontal bars.

Hand-written SVG keeps the report one self-contained HTML file with no
plotting dependency.
"""

from __future__ import annotations

import math
import time
from html import escape

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def _fmt_time(t: float) -> str:
    return time.strftime("%d %b %H:%M", time.gmtime(t))


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 times a power of ten apart) from ``lo`` to at least ``hi``."""
    if not hi - lo > 1e-9 * max(1.0, abs(lo), abs(hi)):
        hi = lo + 1  # a flat (or numerically flat) series still gets a readable axis
    raw = (hi - lo) / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.floor(lo / step) * step
    ticks = [first]
    while ticks[-1] < hi - 1e-9 * step:
        ticks.append(first + len(ticks) * step)
    return [round(t, 10) for t in ticks]


def _svg(width: int, height: int, label: str) -> str:
    # A viewBox and no fixed size: the page scales the chart to its column (see html_report's style),
    # so it fits a 420 px phone as well as a desktop; the legend sits below the plot, never beside it.
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}">'
    )


def _legend(names: list[str], colors: dict[str, str], top: int, width: int) -> tuple[list[str], int]:
    """Swatches and names in rows below a chart; the SVG parts and the height they take."""
    out: list[str] = []
    x, y = 8.0, top
    for name in names:
        span = 24 + 6.5 * len(name)
        if x > 8 and x + span > width:
            x, y = 8.0, y + 16
        out.append(f'<rect x="{x:.1f}" y="{y}" width="10" height="10" fill="{colors[name]}"/>')
        out.append(f'<text x="{x + 14:.1f}" y="{y + 9}" font-size="11">{escape(name)}</text>')
        x += span
    return out, y + 16 - top


def line_chart(
    title: str,
    unit: str,
    series: list[tuple[str, list[tuple[float, float]]]],
    width: int = 400,
    height: int = 220,
) -> str:
    """Lines of (time, value) points, one per series, with a legend below."""
    points = [p for _, pts in series for p in pts]
    if not points:
        return f"<p>{escape(title)}: no data</p>"
    x0, x1 = min(p[0] for p in points), max(p[0] for p in points)
    ticks = nice_ticks(min(0.0, min(p[1] for p in points)), max(p[1] for p in points))
    y0, y1 = ticks[0], ticks[-1]
    x1 = x1 if x1 > x0 else x0 + 1
    left, right, top, bottom = 40, 12, 40, 34
    w, h = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * w

    def sy(y: float) -> float:
        return top + h - (y - y0) / (y1 - y0) * h

    colors = {label: PALETTE[i % len(PALETTE)] for i, (label, _) in enumerate(series)}
    legend, legend_height = _legend([label for label, _ in series], colors, height, width)
    out = [_svg(width, height + legend_height + 4, title)]
    out.append(f'<text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>')
    out.append(f'<text x="0" y="{top - 8}" font-size="10">{escape(unit)}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#ccc"/>')
    for y in ticks:
        out.append(f'<text x="{left - 4}" y="{sy(y) + 4:.1f}" font-size="10" text-anchor="end">{y:g}</text>')
        out.append(f'<line x1="{left}" x2="{left + w}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" stroke="#eee"/>')
    for i in range(3):
        x = x0 + (x1 - x0) * i / 2
        anchor = ("start", "middle", "end")[i]
        out.append(
            f'<text x="{sx(x):.1f}" y="{top + h + 14}" font-size="10" text-anchor="{anchor}">'
            f"{_fmt_time(x)}</text>"
        )
    out.append(f'<text x="{left + w}" y="{top + h + 27}" font-size="10" text-anchor="end">time (UTC)</text>')
    for label, pts in series:
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in sorted(pts))
        out.append(f'<polyline fill="none" stroke="{colors[label]}" stroke-width="1.5" points="{path}"/>')
    out.extend(legend)
    out.append("</svg>")
    return "".join(out)


def bar_chart(
    title: str, unit: str, bars: list[tuple[str, list[tuple[str, float]]]], width: int = 400
) -> str:
    """Horizontal stacked bars, each under its label: (label, [(part name, value), ...])."""
    if not bars:
        return f"<p>{escape(title)}: no data</p>"
    parts = sorted({name for _, segs in bars for name, _ in segs})
    colors = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(parts)}
    legend, legend_height = _legend(parts, colors, 24, width)
    top_value = max(sum(v for _, v in segs) for _, segs in bars) or 1.0
    row, top = 34, 24 + legend_height + 4
    w = width - 8 - 96  # room for the total after the longest bar
    height = top + row * len(bars) + 4
    out = [_svg(width, height, title)]
    out.append(f'<text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>')
    out.extend(legend)
    for i, (label, segs) in enumerate(bars):
        y = top + i * row
        out.append(f'<text x="8" y="{y + 11}" font-size="11">{escape(label)}</text>')
        pos = 8.0
        for name, value in segs:
            bw = value / top_value * w
            out.append(
                f'<rect x="{pos:.1f}" y="{y + 15}" width="{bw:.1f}" height="14" fill="{colors[name]}"/>'
            )
            pos += bw
        total = sum(v for _, v in segs)
        out.append(f'<text x="{pos + 4:.1f}" y="{y + 26}" font-size="10">{total:,.2f} {escape(unit)}</text>')
    out.append("</svg>")
    return "".join(out)
