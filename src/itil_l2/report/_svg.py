"""Small inline SVG charts: no library, no script, no network at view time.

A report must open anywhere (an e-mail attachment, an air-gapped laptop), so
every chart is plain SVG text written here. Each function returns one
`<svg>` element; every label goes through `html.escape`.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["bar_chart", "funnel_chart", "hbar_chart", "line_chart"]

_FONT = 'font-family="system-ui, sans-serif" font-size="12"'
_AXIS = "#555"
_COLORS = ("#2b6cb0", "#dd6b20", "#38a169", "#805ad5")


def _open(width: int, height: int, title: str, css_class: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" {_FONT}>'
        f"<title>{escape(title)}</title>"
    )


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.2g}"


def bar_chart(
    labels: Sequence[str], values: Sequence[float], *, title: str, width: int = 900
) -> str:
    """Vertical bars, one per label, with the value above each bar.

    >>> svg = bar_chart(["<1 h", "1-4 h"], [3, 1], title="Resolution <time>")
    >>> svg.count("<rect"), "Resolution &lt;time&gt;" in svg
    (2, True)
    """
    height, left, bottom, top = 260, 40, 60, 20
    plot_w, plot_h = width - left - 10, height - bottom - top
    peak = max(values, default=0) or 1
    step = plot_w / max(len(values), 1)
    parts = [_open(width, height, title, "chart bar")]
    parts.append(
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" '
        f'stroke="{_AXIS}"/>'
    )
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * value / peak
        x = left + i * step + step * 0.1
        y = top + plot_h - h
        cx = x + step * 0.4
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.8:.1f}" height="{h:.1f}" '
            f'fill="{_COLORS[0]}"><title>{escape(label)}: {_fmt(value)}</title></rect>'
        )
        parts.append(
            f'<text x="{cx:.1f}" y="{y - 4:.1f}" text-anchor="middle">{_fmt(value)}</text>'
        )
        base = top + plot_h + 16
        parts.append(f'<text x="{cx:.1f}" y="{base}" text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    title: str,
    width: int = 900,
) -> str:
    """Lines of shares (0–1) over labels (e.g. months), one per series, with a legend.

    A None value leaves a gap (no clock decided in that month).

    >>> svg = line_chart(["2026-01", "2026-02"], [("met", [0.9, None])], title="SLA")
    >>> svg.count("<circle"), "90%" in svg
    (1, True)
    """
    height, left, bottom, top = 280, 46, 70, 20
    plot_w, plot_h = width - left - 50, height - bottom - top
    step = plot_w / max(len(labels) - 1, 1)
    parts = [_open(width, height, title, "chart line")]
    for share in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - share)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{share:.0%}</text>'
        )
    for i, label in enumerate(labels):
        x = left + i * step
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{escape(label)}</text>'
        )
    for k, (name, values) in enumerate(series):
        color = _COLORS[k % len(_COLORS)]
        points = [
            (left + i * step, top + plot_h * (1 - v)) for i, v in enumerate(values) if v is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>'
            )
        for (x, y), v in zip(points, [v for v in values if v is not None], strict=True):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}">'
                f"<title>{escape(name)}: {v:.1%}</title></circle>"
                f'<text x="{x:.1f}" y="{y - 7:.1f}" text-anchor="middle" fill="{color}">'
                f"{v:.0%}</text>"
            )
        ly = height - 22
        lx = left + k * 260
        parts.append(
            f'<rect x="{lx}" y="{ly - 9}" width="12" height="12" fill="{color}"/>'
            f'<text x="{lx + 18}" y="{ly + 1}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def funnel_chart(stages: Sequence[tuple[str, int]], *, title: str, width: int = 900) -> str:
    """Centred horizontal bars narrowing stage by stage, with count and share of the first.

    >>> svg = funnel_chart([("tickets", 10), ("L2", 4), ("L3", 1)], title="Escalation")
    >>> svg.count("<rect"), "40.0%" in svg
    (3, True)
    """
    row, gap = 34, 8
    height = len(stages) * (row + gap) + 10
    first = stages[0][1] if stages and stages[0][1] else 1
    label_w = 150
    plot_w = width - label_w - 150
    parts = [_open(width, height, title, "chart funnel")]
    for i, (name, count) in enumerate(stages):
        w = max(plot_w * count / first, 1.0)
        x = label_w + (plot_w - w) / 2
        y = 5 + i * (row + gap)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + row / 2 + 4:.1f}" text-anchor="end">'
            f"{escape(name)}</text>"
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row}" '
            f'fill="{_COLORS[i % len(_COLORS)]}"/>'
            f'<text x="{label_w + plot_w + 10}" y="{y + row / 2 + 4:.1f}">'
            f"{count:,} ({count / first:.1%})</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(
    labels: Sequence[str], values: Sequence[float], *, title: str, width: int = 900
) -> str:
    """Horizontal bars with long labels on the left (for top-N lists).

    >>> svg = hbar_chart(["ci db-3", "category <x>"], [7, 4], title="Top")
    >>> svg.count("<rect"), "category &lt;x&gt;" in svg
    (2, True)
    """
    row, gap, label_w = 22, 6, 260
    height = max(len(labels), 1) * (row + gap) + 10
    peak = max(values, default=0) or 1
    plot_w = width - label_w - 60
    parts = [_open(width, height, title, "chart hbar")]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 5 + i * (row + gap)
        w = max(plot_w * value / peak, 1.0)
        short = label if len(label) <= 40 else label[:39] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(short)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{row}" fill="{_COLORS[1]}">'
            f"<title>{escape(label)}: {_fmt(value)}</title></rect>"
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}">{_fmt(value)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
