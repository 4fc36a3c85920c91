"""Proactive analytics: trends and recurrences, capacity forecasts, monitoring correlation."""

from __future__ import annotations

from itil_l2._core.public import expose

from ._capacity import (
    Crossing,
    Forecast,
    Prediction,
    TrendFit,
    crossing,
    fit_holt,
    fit_linear,
    forecast,
    student_t_quantile,
    ticket_counts,
)
from ._monitoring import (
    Correlation,
    CorrelationAction,
    CorrelatorConfig,
    EventCorrelator,
    MonitoringEvent,
    Severity,
)
from ._trends import (
    ProblemCandidate,
    baseline_threshold,
    open_problem,
    problem_kwargs,
    recurrences,
    spikes,
)

__all__ = [
    "Correlation",
    "CorrelationAction",
    "CorrelatorConfig",
    "Crossing",
    "EventCorrelator",
    "Forecast",
    "MonitoringEvent",
    "Prediction",
    "ProblemCandidate",
    "Severity",
    "TrendFit",
    "baseline_threshold",
    "crossing",
    "fit_holt",
    "fit_linear",
    "forecast",
    "open_problem",
    "problem_kwargs",
    "recurrences",
    "spikes",
    "student_t_quantile",
    "ticket_counts",
]

expose(__name__, globals(), __all__)
