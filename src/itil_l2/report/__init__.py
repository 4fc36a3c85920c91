"""The HTML report: KPIs and charts from ticket histories, in one self-contained file.

`report_html(tickets)` returns the document; `report_figures(tickets)` the
numbers behind it (shared with `itil-l2 kpi`). Standard library only.
"""

from __future__ import annotations

from itil_l2._core.public import expose
from itil_l2.report._figures import (
    DEFAULT_RESOLUTION_SLA,
    EXTRA_METRICS,
    HEADLINE_METRICS,
    Figures,
    all_metrics,
    as_of,
    recorded_flag,
    recorded_flag_metric,
    recorded_sla_met,
    recorded_sla_metric,
    report_figures,
)
from itil_l2.report._html import AGE_BINS, bin_counts, format_value, render_report, report_html

__all__ = [
    "AGE_BINS",
    "DEFAULT_RESOLUTION_SLA",
    "EXTRA_METRICS",
    "HEADLINE_METRICS",
    "Figures",
    "all_metrics",
    "as_of",
    "bin_counts",
    "format_value",
    "recorded_flag",
    "recorded_flag_metric",
    "recorded_sla_met",
    "recorded_sla_metric",
    "render_report",
    "report_figures",
    "report_html",
]

expose(__name__, globals(), __all__)
