"""The self-contained HTML report: inline CSS, inline SVG, nothing fetched.

One file a support lead can mail around: the KPI table, the resolution-time
distribution, SLA compliance per month, the L1→L2→L3 escalation funnel, the
top recurring CIs and categories (problem candidates) and the backlog's age.
All text that comes from tickets is escaped.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape

from itil_l2.kpis import KpiResult
from itil_l2.report._figures import Figures, report_figures
from itil_l2.report._svg import bar_chart, funnel_chart, hbar_chart, line_chart
from itil_l2.tickets import Ticket

__all__ = ["AGE_BINS", "bin_counts", "format_value", "render_report", "report_html"]

AGE_BINS: tuple[tuple[float, str], ...] = (
    (1, "< 1 h"),
    (4, "1-4 h"),
    (8, "4-8 h"),
    (24, "8-24 h"),
    (72, "1-3 d"),
    (168, "3-7 d"),
    (336, "1-2 wk"),
    (720, "2-4 wk"),
    (float("inf"), "≥ 30 d"),
)
"""Upper bounds (hours, exclusive) and labels of the duration histograms."""

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1a202c}
h1{margin-bottom:.2rem}.meta{color:#555;margin-top:0}
section{margin:2rem 0}h2{border-bottom:2px solid #2b6cb0;padding-bottom:.2rem}
table{border-collapse:collapse;font-size:.9rem}
th,td{padding:.25rem .6rem;border-bottom:1px solid #e2e8f0;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:.85rem;max-width:60rem}
"""


def bin_counts(hours: Iterable[float]) -> list[int]:
    """How many values fall in each `AGE_BINS` bucket.

    >>> bin_counts([0.5, 1.0, 30.0, 1000.0])
    [1, 1, 0, 0, 1, 0, 0, 0, 1]
    """
    bounds = [b for b, _ in AGE_BINS]
    counts = [0] * len(bounds)
    for h in hours:
        counts[bisect.bisect_right(bounds, h)] += 1
    return counts


def format_value(result: KpiResult) -> str:
    """A KPI value for people: hours with one decimal, ratios as percentages.

    >>> from itil_l2.kpis import KpiResult
    >>> from itil_l2.report import format_value
    >>> format_value(KpiResult("reopen_rate", 0.125, 8, numerator=1))
    '12.5%'
    >>> format_value(KpiResult("ping_pong", 3671.0, 9, unit="count"))
    '3,671'
    """
    if result.value is None:
        return "-"
    if result.unit == "hours":
        return f"{result.value:,.1f} h"
    if result.unit == "ratio":
        return f"{result.value:.1%}"
    if float(result.value).is_integer():
        return f"{result.value:,.0f}"  # a total count, e.g. ping-pong transfers
    return f"{result.value:,.2f}"


def _kpi_table(kpis: dict[str, KpiResult]) -> str:
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td class=num>{escape(format_value(r))}</td>"
        f"<td class=num>{r.sample_size:,}</td><td class=num>{r.excluded_count:,}</td></tr>"
        for name, r in kpis.items()
    )
    return (
        "<table class=kpis><thead><tr><th>KPI</th><th>value</th><th>measured</th>"
        f"<th>excluded</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _histogram(hours: Sequence[float], title: str) -> str:
    return bar_chart([label for _, label in AGE_BINS], bin_counts(hours), title=title)


def _sla_section(f: Figures) -> str:
    months = [m for m, *_ in f.sla_by_month]
    series: list[tuple[str, Sequence[float | None]]] = [
        (f"computed: target '{f.sla.name}'", [r[1] for r in f.sla_by_month])
    ]
    met, n = f.recorded_sla
    if n:
        series.append(("recorded in the export (made_sla)", [r[3] for r in f.sla_by_month]))
    overall = f.kpis.get(f"sla_compliance:{f.sla.name}")
    text = f"Computed overall: {escape(format_value(overall))}." if overall else ""
    if n:
        text += f" Recorded by the source system: {met:,} of {n:,} met ({met / n:.1%})."
    chart = line_chart(months, series, title="SLA compliance per month") if months else ""
    return f"{chart}<p class=note>{text} Month = when the ticket ended.</p>"


def _recurring(f: Figures) -> str:
    if not f.recurring:
        return "<p class=note>No CI or category recurred often enough to be a candidate.</p>"
    labels = [f"{c.key_kind} {c.key}" for c in f.recurring]
    chart = hbar_chart(labels, [len(c.ticket_ids) for c in f.recurring], title="Top recurring")
    rows = "".join(
        f"<tr><td>{escape(c.key_kind)}</td><td>{escape(c.key)}</td>"
        f"<td class=num>{len(c.ticket_ids):,}</td><td>{c.first_at:%Y-%m-%d}</td>"
        f"<td>{c.last_at:%Y-%m-%d}</td><td>{escape(', '.join(c.ticket_ids[:5]))}"
        f"{' …' if len(c.ticket_ids) > 5 else ''}</td></tr>"
        for c in f.recurring
    )
    return (
        f"{chart}<table><thead><tr><th>by</th><th>key</th><th>tickets</th><th>first</th>"
        f"<th>last</th><th>evidence</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def render_report(f: Figures, *, title: str = "ITIL L2 report", source: str = "") -> str:
    """The HTML document for computed `Figures` (see `report_html`)."""
    total, l1, l2, l3 = f.funnel
    funnel = funnel_chart(
        [("all tickets", total), ("handled at L1", l1), ("reached L2", l2), ("reached L3", l3)],
        title="Escalation funnel L1 → L2 → L3",
    )
    ages = f.backlog.distribution.values if f.backlog.distribution else ()
    median = f.backlog.distribution.median if f.backlog.distribution else None
    backlog_note = f"{len(ages):,} open tickets at {f.at:%Y-%m-%d %H:%M %Z}" + (
        f", median age {median:,.1f} h." if median is not None else "."
    )
    src = f" from <code>{escape(source)}</code>" if source else ""
    sections = [
        ("KPIs", _kpi_table(f.kpis)),
        ("Resolution time", _histogram(f.resolution_hours, "Resolution time distribution")),
        ("SLA compliance over time", _sla_section(f)),
        ("Escalation funnel", funnel),
        ("Top recurring CIs and categories (problem candidates)", _recurring(f)),
        ("Backlog age", _histogram(ages, "Backlog age") + f"<p class=note>{backlog_note}</p>"),
    ]
    body = "".join(f"<section><h2>{escape(h)}</h2>{content}</section>" for h, content in sections)
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<h1>{escape(title)}</h1><p class=meta>{f.ticket_count:,} tickets{src}, "
        f"as of {f.at:%Y-%m-%d %H:%M %Z}</p>{body}</body></html>\n"
    )


def report_html(
    tickets: Iterable[Ticket],
    *,
    at: datetime | None = None,
    title: str = "ITIL L2 report",
    source: str = "",
) -> str:
    """The whole report for `tickets` as one self-contained HTML document.

    >>> from itil_l2.testing import example_printer_ticket
    >>> html = report_html([example_printer_ticket(resolved=True)], title="Q1 <desk>")
    >>> html.startswith("<!DOCTYPE html>"), "Q1 &lt;desk&gt;" in html, html.count("<svg") >= 4
    (True, True, True)
    """
    return render_report(report_figures(tickets, at=at), title=title, source=source)
