"""KPIs: the KPI engine, exact KPI definitions, periods and the KPI table."""

from __future__ import annotations

from itil_l2._core.public import expose

from ._backlog import (
    backlog,
)
from ._columnar import FactsRows, JoinedRows, checked_facts_rows
from ._engine import (
    Metric,
    measure,
    measure_facts,
)
from ._facts import (
    KpiFacts,
    kpi_facts,
)
from ._kept import (
    FactsWithoutTicket,
    tier_intervals,
)
from ._knowledge import (
    kb_contributions,
    kb_contributions_by,
    kb_link_rate,
    shift_left_kpi,
    training_hours,
    training_hours_by,
)
from ._period import (
    Granularity,
    period_of,
    periods_between,
)
from ._problem_kpis import (
    closed_without_rca,
    known_errors_raised,
    problem_backlog,
    problem_time_to_close,
    problem_time_to_resolve,
)
from ._rates import (
    escalation_rate,
    first_contact_resolution,
    hand_back_rate,
    ping_pong,
    reassignment_count,
    reopen_rate,
    reopened_tickets_metric,
    resolution_rate,
)
from ._result import (
    Distribution,
    Exclusion,
    Exclusions,
    KpiResult,
    percentile,
)
from ._sla import (
    sla_compliance,
    sla_compliance_metric,
)
from ._stored import (
    FACTS_COLUMNS,
    FACTS_VERSION,
    OutdatedFacts,
    facts_from_row,
    facts_row,
)
from ._table import (
    DIMENSIONS,
    Dimension,
    KpiRow,
    kpi_table,
    standard_metrics,
)
from ._time import (
    BusinessClock,
    resolution_time,
    response_time,
    tier_time,
    time_to_restore,
)

__all__ = [
    "DIMENSIONS",
    "Dimension",
    "FACTS_COLUMNS",
    "FACTS_VERSION",
    "FactsWithoutTicket",
    "OutdatedFacts",
    "Granularity",
    "BusinessClock",
    "Distribution",
    "Exclusion",
    "Exclusions",
    "FactsRows",
    "JoinedRows",
    "KpiFacts",
    "KpiResult",
    "KpiRow",
    "Metric",
    "backlog",
    "checked_facts_rows",
    "closed_without_rca",
    "escalation_rate",
    "facts_from_row",
    "facts_row",
    "first_contact_resolution",
    "hand_back_rate",
    "kb_contributions",
    "kb_contributions_by",
    "kb_link_rate",
    "known_errors_raised",
    "kpi_facts",
    "kpi_table",
    "measure",
    "measure_facts",
    "percentile",
    "period_of",
    "periods_between",
    "ping_pong",
    "problem_backlog",
    "problem_time_to_close",
    "problem_time_to_resolve",
    "reassignment_count",
    "reopen_rate",
    "reopened_tickets_metric",
    "resolution_rate",
    "resolution_time",
    "response_time",
    "shift_left_kpi",
    "sla_compliance",
    "sla_compliance_metric",
    "standard_metrics",
    "tier_intervals",
    "tier_time",
    "time_to_restore",
    "training_hours",
    "training_hours_by",
]

expose(__name__, globals(), __all__)
