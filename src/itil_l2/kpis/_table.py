"""KPI tables: several metrics per group of tickets, in one pass.

`kpi_table(tickets, by=["month", "tier"], metrics=["resolution_time",
"escalation_rate_l2_l3"])` groups ended tickets by the period in which they
ended (day, ISO week or month, in a time zone), by the group or tier that
ended them, by category, priority or configuration item, and returns one
`KpiRow` per group with a `KpiResult` per metric, ready to render.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, tzinfo
from typing import Any, Literal

from attrs import frozen

from itil_l2._core.pause import collection_paused
from itil_l2._core.tier import Tier
from itil_l2.errors import ValidationError
from itil_l2.kpis._columnar import FactsRows, Keyer, RowColumns, facts_of, row_columns, row_keyers
from itil_l2.kpis._engine import _CHUNK, Metric, _measure_chunk, _Tally, measure_columns
from itil_l2.kpis._facts import KpiFacts, kpi_facts
from itil_l2.kpis._period import period_key
from itil_l2.kpis._rates import (
    escalation_rate_metric,
    first_contact_resolution_metric,
    hand_back_rate_metric,
    ping_pong_metric,
    reassignment_count_metric,
    reopen_rate_metric,
    resolution_rate_metric,
)
from itil_l2.kpis._result import KpiResult
from itil_l2.kpis._time import (
    resolution_time_metric,
    response_time_metric,
    tier_time_metric,
    time_to_restore_metric,
)
from itil_l2.tickets import Ticket

__all__ = ["DIMENSIONS", "Dimension", "KpiRow", "kpi_table", "standard_metrics"]

Dimension = Literal["day", "week", "month", "group", "tier", "category", "priority", "ci"]
"""A dimension `kpi_table(by=...)` groups by (the type a typed host passes)."""
DIMENSIONS: tuple[str, ...] = (
    "day",
    "week",
    "month",
    "group",
    "tier",
    "category",
    "priority",
    "ci",
)
NONE = "(none)"
OPEN = "(open)"


def standard_metrics() -> dict[str, Metric]:
    """Every ticket metric by its definition name, with default settings."""
    metrics = [
        resolution_time_metric(),
        response_time_metric(),
        time_to_restore_metric(),
        resolution_rate_metric(),
        *(resolution_rate_metric(t) for t in Tier),
        first_contact_resolution_metric(),
        escalation_rate_metric(Tier.L1, Tier.L2),
        escalation_rate_metric(Tier.L2, Tier.L3),
        hand_back_rate_metric(Tier.L2),
        hand_back_rate_metric(Tier.L3),
        reopen_rate_metric(),
        reassignment_count_metric(),
        ping_pong_metric(),
        *(tier_time_metric(t, part) for t in Tier for part in ("queue", "work", "hold", "total")),
    ]
    return {m.name: m for m in metrics}


@frozen
class KpiRow:
    """One group of a KPI table: its key per dimension and a result per metric."""

    key: Mapping[str, str]
    results: Mapping[str, KpiResult]

    def flat(self) -> dict[str, object]:
        """The key and each metric's value and sample size in one flat dict (for a report)."""
        row: dict[str, object] = dict(self.key)
        for name, result in self.results.items():
            row[name] = result.value
            row[f"{name}_n"] = result.sample_size
        return row


def _keyers(by: Sequence[str], tz: tzinfo) -> list[Callable[[KpiFacts], list[str]]]:
    def period(unit: Literal["day", "week", "month"]) -> Callable[[KpiFacts], list[str]]:
        def key(f: KpiFacts) -> list[str]:
            if f.end_at is None:
                return [OPEN]
            return [period_key(f.end_at, unit, tz)]

        return key

    table: dict[str, Callable[[KpiFacts], list[str]]] = {
        "day": period("day"),
        "week": period("week"),
        "month": period("month"),
        "group": lambda f: [f.end_group.name],
        "tier": lambda f: [f.end_group.tier.value],
        "category": lambda f: [f.category or NONE],
        "priority": lambda f: [f.priority],
        "ci": lambda f: list(f.ci_refs) or [NONE],
    }
    unknown = [d for d in by if d not in table]
    if unknown or len(set(by)) != len(by):
        raise ValidationError(f"group by distinct dimensions of {DIMENSIONS}, got {list(by)}")
    return [table[d] for d in by]


def _metrics(metrics: Iterable[str | Metric]) -> list[Metric]:
    known = standard_metrics()
    out: list[Metric] = []
    for m in metrics:
        if isinstance(m, Metric):
            out.append(m)
        elif m in known:
            out.append(known[m])
        else:
            raise ValidationError(f"unknown metric {m!r}; known: {sorted(known)}")
    if len({m.name for m in out}) != len(out):
        raise ValidationError("metric names must be unique")
    return out


def kpi_table(
    tickets: Iterable[Ticket | KpiFacts],
    *,
    by: Sequence[Dimension] = (),
    metrics: Iterable[str | Metric] | None = None,
    tz: tzinfo = UTC,
) -> list[KpiRow]:
    """Group tickets and measure metrics per group, in one pass over the tickets.

    Dimensions: "day", "week", "month" (the period in zone `tz` in which
    the ticket ended; open tickets are grouped under "(open)" and excluded
    by every metric), "group" and "tier" (of the group holding the ticket
    when it ended, i.e. the resolver), "category", "priority" (P1..P5) and
    "ci" (a ticket with several CIs counts once under each, so CI rows can
    sum to more than the total; a missing value is "(none)"). `metrics`
    are `Metric`s or names from `standard_metrics()`; without `metrics`, the
    table measures the whole standard set, `standard_metrics()` (every
    ticket metric that needs no setting of its own: no SLA target, so no
    `sla_compliance:<target>` column; add `sla_compliance_metric(target,
    at=...)` for one, as the command line's `kpi` does). Without `by`,
    there is one row for all tickets. Rows are sorted by key.

    For every other dimension, the sample sizes (and numerators) of a metric
    over all rows add up to the ungrouped `measure` figure.

    `tickets` may hold `KpiFacts` instead of tickets, e.g. the facts a store
    keeps (`itil_l2.storage.stored_facts(uow, query)`): the same table,
    without replaying a history.

    >>> from itil_l2.testing import example_printer_ticket
    >>> rows = kpi_table([example_printer_ticket(resolved=True)], by=["tier", "category"],
    ...                  metrics=["resolution_rate"])
    >>> rows[0].flat()
    {'tier': 'L1', 'category': 'printing', 'resolution_rate': 1.0, 'resolution_rate_n': 1}
    """
    by = list(by)
    keyers = _keyers(by, tz)
    chosen = list(standard_metrics().values()) if metrics is None else _metrics(metrics)
    groups: dict[tuple[str, ...], list[_Tally]] = {}
    row_keys = row_keyers(by, tz, NONE, OPEN) if type(tickets) is FactsRows else None
    if row_keys is None:
        _measure_facts(tickets, keyers, chosen, groups)
    else:  # stored rows: column by column, a batch at a time
        with collection_paused():  # rows of plain values, read and dropped (see _core.pause)
            for batch in tickets.batches():  # type: ignore[attr-defined]
                found = row_columns(batch)
                if found is None:  # row by row: the precise error, or rows the checks refused
                    _measure_facts([facts_of(i, r) for i, r in batch], keyers, chosen, groups)
                else:
                    _measure_rows(RowColumns(*found), row_keys, chosen, groups)
    return [
        KpiRow(dict(zip(by, key, strict=True)), {t.metric.name: t.result() for t in tallies})
        for key, tallies in sorted(groups.items())
    ]


def _measure_facts(
    tickets: Iterable[Ticket | KpiFacts],
    keyers: list[Callable[[KpiFacts], list[str]]],
    chosen: list[Metric],
    groups: dict[tuple[str, ...], list[_Tally]],
) -> None:
    """Group tickets (or facts) by key and measure each group, a chunk at a time."""
    pending: dict[tuple[str, ...], list[KpiFacts]] = {}
    held = 0
    for ticket in tickets:
        facts = ticket if type(ticket) is KpiFacts else kpi_facts(ticket)  # type: ignore[arg-type]
        for key in itertools.product(*(k(facts) for k in keyers)):
            chunk = pending.get(key)
            if chunk is None:
                chunk = pending[key] = []
                if key not in groups:
                    groups[key] = [_Tally(m) for m in chosen]
            chunk.append(facts)
            held += 1
        if held >= _CHUNK:  # never more than a chunk's facts held, however many groups
            _flush(pending, groups)
            held = 0
    _flush(pending, groups)


def _measure_rows(
    whole: RowColumns,
    row_keys: list[Keyer],
    chosen: list[Metric],
    groups: dict[tuple[str, ...], list[_Tally]],
) -> None:
    """Group a batch of stored rows by key and measure each group's columns."""
    parts: dict[tuple[str, ...], list[int] | None] = {(): None}
    if row_keys:
        parts = {}
        for i, key in enumerate(zip(*(k(whole) for k in row_keys), strict=True)):
            index = parts.get(key)
            if index is None:
                parts[key] = [i]
            else:
                index.append(i)
    for key, index in parts.items():
        tallies = groups.get(key)
        if tallies is None:
            tallies = groups[key] = [_Tally(m) for m in chosen]
        columns = whole if index is None else whole.part(index)
        measure_columns(columns, None, tallies, columns["id"])  # kpi_table paused the collector


def _flush(pending: dict[tuple[str, ...], list[KpiFacts]], groups: dict[Any, list[_Tally]]) -> None:
    """Measure the facts held per group, in arrival order, and let them go."""
    for key, chunk in pending.items():
        if chunk:
            _measure_chunk(chunk, None, groups[key])
            chunk.clear()
