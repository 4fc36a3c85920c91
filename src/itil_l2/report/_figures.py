"""The figures a report shows, computed once from the tickets' histories.

A report and the `itil-l2 kpi` command read the same numbers, so both are
computed here, from histories only (an imported log and a simulated quarter
are measured the same way). Everything is a pure function of the tickets and
the instant `at` ("as of"); no clock is read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

import attrs
from attrs import frozen

from itil_l2._core.priority import Priority
from itil_l2._core.tier import Tier
from itil_l2.analytics import ProblemCandidate, recurrences
from itil_l2.kpis import (
    KpiFacts,
    KpiResult,
    Metric,
    backlog,
    kpi_facts,
    measure_facts,
    period_of,
    reopened_tickets_metric,
    sla_compliance_metric,
    standard_metrics,
)
from itil_l2.sla import SlaMetric, SlaTarget
from itil_l2.tickets import Ticket

__all__ = [
    "DEFAULT_RESOLUTION_SLA",
    "HEADLINE_METRICS",
    "RECORDED_SLA_ATTRIBUTE",
    "Figures",
    "all_metrics",
    "as_of",
    "EXTRA_METRICS",
    "recorded_flag",
    "recorded_flag_metric",
    "recorded_sla_met",
    "recorded_sla_metric",
    "report_figures",
]

DEFAULT_RESOLUTION_SLA = SlaTarget(
    "resolution",
    SlaMetric.RESOLUTION,
    {
        Priority.P1: timedelta(hours=4),
        Priority.P2: timedelta(hours=8),
        Priority.P3: timedelta(hours=24),
        Priority.P4: timedelta(hours=72),
        Priority.P5: timedelta(hours=120),
    },
)
"""The resolution target used when none is given: 24x7, P1 4 h … P5 5 days."""

RECORDED_SLA_ATTRIBUTE = "made_sla"
"""The ticket attribute an importer fills with the export's own SLA verdict."""

HEADLINE_METRICS: tuple[str, ...] = (
    "resolution_time",
    "response_time",
    "resolution_rate",
    "first_contact_resolution",
    "escalation_rate_l1_l2",
    "escalation_rate_l2_l3",
    "reopen_rate",
    "reassignment_count",
)
"""The columns of the compact KPI table (the full set is in CSV/JSON and the report)."""


def as_of(tickets: Iterable[Ticket]) -> datetime:
    """The instant of the latest event of any ticket (a report's default "as of")."""
    latest = None
    for ticket in tickets:
        last = ticket.history[-1].at
        if latest is None or last > latest:
            latest = last
    return latest if latest is not None else datetime(1970, 1, 1, tzinfo=UTC)


def recorded_flag(ticket: Ticket, attribute: str) -> bool | None:
    """A yes/no field the export recorded (a bool, or "true"/"false" in any case), else None.

    >>> from itil_l2.testing import example_printer_ticket
    >>> recorded_flag(example_printer_ticket(resolved=True), "made_sla") is None
    True
    """
    value = ticket.attributes.get(attribute)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def recorded_sla_met(ticket: Ticket) -> bool | None:
    """The export's own SLA verdict (`made_sla` attribute), None when it has none."""
    return recorded_flag(ticket, RECORDED_SLA_ATTRIBUTE)


def recorded_flag_metric(name: str, attribute: str) -> Metric:
    """A rate over every ticket with a recorded `attribute`: true ÷ recorded (open or not)."""

    def rule(f: KpiFacts) -> bool | str:
        verdict = recorded_flag(f.ticket, attribute)
        return f"no recorded {attribute}" if verdict is None else verdict

    return Metric(name, "rate", rule)


def recorded_sla_metric() -> Metric:
    """`recorded_sla_met`: tickets whose export says `made_sla` true ÷ those with a verdict."""
    return recorded_flag_metric("recorded_sla_met", RECORDED_SLA_ATTRIBUTE)


EXTRA_METRICS: tuple[Metric, ...] = (
    attrs.evolve(
        standard_metrics()["resolution_time"], name="resolution_time_median", statistic="median"
    ),
    reopened_tickets_metric(),
)
"""Two figures a support lead asks first: the median resolution time and the share of all
tickets (open or not) ever reopened."""


def all_metrics(sla: SlaTarget, at: datetime, tickets: Iterable[Ticket] = ()) -> list[Metric]:
    """The full KPI set: `standard_metrics()`, `EXTRA_METRICS`, SLA compliance of `sla` at `at`.

    When `tickets` carry the export's own fields, the set adds
    `recorded_sla_met` (`made_sla`) and `recorded_kb_used` (`knowledge`).
    """
    metrics = [
        *standard_metrics().values(),
        *EXTRA_METRICS,
        sla_compliance_metric(sla, at=at),
    ]
    chosen = list(tickets)
    if any(recorded_sla_met(t) is not None for t in chosen):
        metrics.append(recorded_sla_metric())
    if any(recorded_flag(t, "knowledge") is not None for t in chosen):
        metrics.append(recorded_flag_metric("recorded_kb_used", "knowledge"))
    return metrics


@frozen
class Figures:
    """Everything the HTML report draws, already computed.

    `kpis` are the full KPI set by definition name; `sla_by_month` holds
    (month, computed compliance, decided clocks, recorded compliance or None,
    recorded n) for each month in which tickets ended; `funnel` is (tickets,
    handled at L1, reached L2, reached L3); `recurring` are the problem
    candidates with most tickets first.
    """

    at: datetime
    ticket_count: int
    kpis: dict[str, KpiResult]
    sla: SlaTarget
    resolution_hours: tuple[float, ...]
    sla_by_month: tuple[tuple[str, float | None, int, float | None, int], ...]
    funnel: tuple[int, int, int, int]
    recurring: tuple[ProblemCandidate, ...]
    backlog: KpiResult
    recorded_sla: tuple[int, int]


def _funnel(facts: Sequence[KpiFacts]) -> tuple[int, int, int, int]:
    counts = Counter(t for f in facts for t in f.tiers)
    return len(facts), counts[Tier.L1], counts[Tier.L2], counts[Tier.L3]


def _remembered(metric: Metric) -> Metric:
    """`metric` with its per-ticket outcome kept, so a second pass costs nothing."""
    seen: dict[str, bool | float | str] = {}
    rule = metric.rule

    def remembered(f: KpiFacts) -> bool | float | str:
        outcome = seen.get(f.id)
        if outcome is None:
            outcome = seen[f.id] = rule(f)
        return outcome

    return Metric(metric.name, metric.kind, remembered, metric.statistic, metric.unit)


def _sla_months(
    facts: Sequence[KpiFacts], metric: Metric
) -> tuple[tuple[str, float | None, int, float | None, int], ...]:
    by_month: dict[str, list[KpiFacts]] = {}
    month_of = _MonthLabels()
    for f in facts:
        if f.end_at is not None:
            by_month.setdefault(month_of(f.end_at), []).append(f)
    rows = []
    for month, members in sorted(by_month.items()):
        computed = measure_facts(members, [metric])[metric.name]
        recorded = [v for v in map(recorded_sla_met, (f.ticket for f in members)) if v is not None]
        share = sum(recorded) / len(recorded) if recorded else None
        rows.append((month, computed.value, computed.sample_size, share, len(recorded)))
    return tuple(rows)


class _MonthLabels:
    """`"%Y-%m"` of the UTC month `period_of` puts an instant in, made once per month.

    The label depends on the instant's UTC year and month only (the month's
    start is built from them), so it is computed by `period_of` for the first
    instant of each month and looked up for the rest. An instant the fast key
    cannot be read from (naive, or past the calendar's edge in UTC) goes
    through `period_of` itself, which refuses or clamps it as ever.
    """

    def __init__(self) -> None:
        self._labels: dict[tuple[int, int], str] = {}

    def __call__(self, at: datetime) -> str:
        try:
            aware = isinstance(at, datetime) and at.utcoffset() is not None
            utc = at.astimezone(UTC) if aware else None
        except OverflowError:
            utc = None
        if utc is None:
            return _month_label(at)
        key = (utc.year, utc.month)
        label = self._labels.get(key)
        if label is None:
            label = self._labels[key] = _month_label(at)
        return label


def _month_label(at: datetime) -> str:
    return period_of(at, "month").start.strftime("%Y-%m")


def _recurring(tickets: Sequence[Ticket], top: int) -> tuple[ProblemCandidate, ...]:
    found = [*recurrences(tickets, key="ci"), *recurrences(tickets, key="category")]
    found.sort(key=lambda c: (-len(c.ticket_ids), c.key_kind, c.key, c.first_at))
    return tuple(found[:top])


def report_figures(
    tickets: Iterable[Ticket],
    *,
    at: datetime | None = None,
    sla: SlaTarget = DEFAULT_RESOLUTION_SLA,
    top: int = 10,
) -> Figures:
    """Compute every figure of the report from the tickets' histories.

    `at` (default: the latest event of any ticket) is the instant the SLA
    clocks and the backlog are read at. `sla` is the resolution target the
    compliance figures use; where tickets carry the export's own verdict
    (`made_sla`), the report shows that too, side by side.

    >>> from itil_l2.testing import example_printer_ticket
    >>> f = report_figures([example_printer_ticket(resolved=True)])
    >>> f.ticket_count, f.funnel, f.kpis["resolution_rate"].value
    (1, (1, 1, 0, 0), 1.0)
    """
    chosen = list(tickets)
    when = as_of(chosen) if at is None else at
    facts = [kpi_facts(t) for t in chosen]
    sla_metric = _remembered(sla_compliance_metric(sla, at=when))
    metrics = [
        sla_metric if m.name == sla_metric.name else m for m in all_metrics(sla, when, chosen)
    ]
    kpis = measure_facts(facts, metrics)
    dist = kpis["resolution_time"].distribution
    recorded = [v for v in map(recorded_sla_met, chosen) if v is not None]
    return Figures(
        at=when,
        ticket_count=len(chosen),
        kpis=kpis,
        sla=sla,
        resolution_hours=dist.values if dist is not None else (),
        sla_by_month=_sla_months(facts, sla_metric),
        funnel=_funnel(facts),
        recurring=_recurring(chosen, top),
        backlog=backlog(chosen, when),
        recorded_sla=(sum(recorded), len(recorded)),
    )
