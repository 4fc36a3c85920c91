"""The KPI engine: a metric is a named rule over `KpiFacts`, measured in one pass.

Each ticket KPI is a `Metric`: a definition name, a kind (a *rate* whose
rule answers True or False per ticket, or a *distribution* whose rule gives
a number, e.g. hours), and the rule itself. A rule returns a string instead
when the ticket is excluded; the string is the reason. `measure` reads every
ticket's history once (`kpi_facts`) and feeds all metrics together, so
any number of KPIs over any iterable of tickets costs one pass.

Ticket KPIs measure ended tickets in the period in which they ended (see
`_kpi_facts` for "ended"); open tickets are excluded as "still open".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import compress, repeat
from operator import is_, not_
from typing import Any, Literal

from attrs import frozen

from itil_l2._core.pause import collection_paused
from itil_l2.errors import ValidationError
from itil_l2.knowledge import Period
from itil_l2.kpis._batch import Columns, Excluded, Split, batch_of
from itil_l2.kpis._facts import KpiFacts, kpi_facts
from itil_l2.kpis._result import Distribution, Exclusions, Floats, KpiResult, parse_percentile
from itil_l2.tickets import Ticket

__all__ = ["Metric", "measure", "measure_facts"]

Rule = Callable[[KpiFacts], "bool | float | str"]
STILL_OPEN = "still open"
OUTSIDE = "ended outside the period"
_STATISTICS = ("mean", "median", "sum", "count")


def _check_statistic(_inst: object, _attr: object, value: str) -> None:
    if value not in _STATISTICS:
        parse_percentile(value)


@frozen
class Metric:
    """A ticket KPI: its definition name, its kind and its per-ticket rule.

    For a `"rate"` the rule returns True (counts in the numerator), False
    (denominator only) or an exclusion reason; for a `"distribution"` it
    returns a number or a reason, and `statistic` ("mean", "median", "sum",
    "count" or "pNN") becomes the result's value.

    >>> from itil_l2.kpis import KpiFacts
    >>> def reopened(f: KpiFacts) -> bool | str:
    ...     return f.reopens > 0 if f.end_kind == "resolved" else "not resolved"
    >>> m = Metric("my_reopen_rate", "rate", reopened)
    >>> measure([], [m])["my_reopen_rate"].value is None
    True
    """

    name: str
    kind: Literal["rate", "distribution"]
    rule: Rule
    statistic: str = "mean"
    unit: str = "ratio"

    def __attrs_post_init__(self) -> None:
        if self.kind not in ("rate", "distribution"):
            raise ValidationError(f"a metric is a rate or a distribution, not {self.kind!r}")
        _check_statistic(self, None, self.statistic)


class _Tally:
    """Streams one metric: counts for rates, values for distributions."""

    __slots__ = ("batch", "chunks", "hits", "is_rate", "metric", "n", "values")

    def __init__(self, metric: Metric) -> None:
        self.metric = metric
        self.batch = batch_of(metric.rule)
        self.is_rate = metric.kind == "rate"
        self.n = 0
        self.hits = 0
        self.values: list[float] = [] if self.batch is None else Floats()  # floats (tested)
        # exclusions a chunk at a time: (ids, reasons, None where measured), an
        # `Exclusions` that sorts them out when read
        self.chunks: list[tuple[Sequence[str], Sequence[str | None]]] = []

    def result(self) -> KpiResult:
        m = self.metric
        excluded = Exclusions.joined(self.chunks) if self.chunks else ()
        if m.kind == "rate":
            value = self.hits / self.n if self.n else None
            return KpiResult(m.name, value, self.n, excluded, numerator=self.hits, unit=m.unit)
        dist = Distribution(self.values)
        value = dist.statistic(m.statistic) if dist.count else None
        return KpiResult(m.name, value, dist.count, excluded, distribution=dist, unit=m.unit)


def _feed(facts: KpiFacts, tallies: Sequence[_Tally], period: Period | None) -> None:
    """Measure one ticket for every tally (the hot loop: kept flat on purpose)."""
    if period is not None and (facts.end_at is None or facts.end_at not in period):
        reason = STILL_OPEN if facts.end_at is None else OUTSIDE
        for tally in tallies:
            tally.chunks.append(([facts.id], [reason]))
        return
    ticket_id = facts.id
    for tally in tallies:
        outcome = tally.metric.rule(facts)
        if type(outcome) is str:
            tally.chunks.append(([ticket_id], [outcome]))
        elif tally.is_rate:
            tally.n += 1
            if outcome is True:
                tally.hits += 1
        else:
            tally.values.append(outcome)  # type: ignore[arg-type]


_CHUNK = 4096
"""Facts measured together: `map` runs each rule over them with no Python loop per ticket."""


def _measure_chunk(
    chunk: list[KpiFacts], reasons: list[str | None] | None, tallies: Sequence[_Tally]
) -> None:
    inside = (
        chunk if reasons is None else [f for f, r in zip(chunk, reasons, strict=True) if r is None]
    )
    with collection_paused():  # the records made here hold no cycles (see _core.pause)
        measure_columns(Columns(inside), reasons, tallies, [f.id for f in chunk])


def measure_columns(
    columns: Columns,
    reasons: list[str | None] | None,
    tallies: Sequence[_Tally],
    ids: list[str],
) -> None:
    """Every tally over a chunk, in ticket order, exactly as `_feed` ticket by ticket.

    `columns` are those of the tickets measured; `reasons` says, per ticket
    of the chunk, why the period leaves it out (None: measured), or is None
    for no period; `ids` are the chunk's ticket ids. Each metric's batch rule
    (`_batch`) runs over the columns, or its rule through `map`; the
    outcomes are sorted into exclusions, counts and values by C-level tools,
    not a Python loop.
    """
    for tally in tallies:
        batch = tally.batch
        found = list(map(tally.metric.rule, columns.facts())) if batch is None else batch(columns)
        if type(found) is Split:
            if reasons is None:  # shared exclusions kept as they are, values added at C speed
                _add_split(tally, found, ids)
                continue
            found = found.outcomes()
        outcomes: list[Any] = found  # type: ignore[assignment]
        if reasons is not None:
            measured = iter(outcomes)
            outcomes = [next(measured) if r is None else r for r in reasons]
        is_reason = list(map(is_, map(type, outcomes), repeat(str)))
        if any(is_reason):
            tally.chunks.append(
                (list(compress(ids, is_reason)), list(compress(outcomes, is_reason)))
            )
            outcomes = list(compress(outcomes, map(not_, is_reason)))
        if tally.is_rate:
            tally.n += len(outcomes)
            tally.hits += sum(map(is_, outcomes, repeat(True)))
        else:
            tally.values.extend(outcomes)


def ended(c: Columns) -> Excluded:
    """The exclusions of a metric over ended tickets only (still open ones), shared."""
    return c.excluded(
        "still open", lambda: [STILL_OPEN if k is None else None for k in c["end_kind"]]
    )


def _add_split(tally: _Tally, split: Split, ids: list[str]) -> None:
    """Add a batch rule's `Split` (see `_batch`) to `tally`."""
    excluded, values = split.excluded, split.values
    if excluded.keep is not None:  # shared lists, sorted out when the exclusions are read
        tally.chunks.append((ids, excluded.reasons))
    if tally.is_rate:
        tally.n += len(values)
        tally.hits += sum(map(is_, values, repeat(True)))
    else:
        tally.values.extend(values)


def _period_reason(facts: KpiFacts, period: Period) -> str | None:
    """Why `period` leaves `facts` out, or None when the ticket ended inside it."""
    if facts.end_at is None:
        return STILL_OPEN
    return None if facts.end_at in period else OUTSIDE


def measure_facts(
    facts: Iterable[KpiFacts], metrics: Sequence[Metric], *, period: Period | None = None
) -> dict[str, KpiResult]:
    """`measure` over facts already read (e.g. to reuse them for several tables)."""
    tallies = [_Tally(m) for m in metrics]
    if len({m.name for m in metrics}) != len(tallies):
        raise ValidationError("metric names must be unique")
    chunk: list[KpiFacts] = []
    reasons: list[str | None] | None = None if period is None else []
    for f in facts:
        chunk.append(f)
        if reasons is not None:
            reasons.append(_period_reason(f, period))  # type: ignore[arg-type]
        if len(chunk) == _CHUNK:
            _measure_chunk(chunk, _some(reasons), tallies)
            chunk.clear()
            reasons = None if reasons is None else []
    _measure_chunk(chunk, _some(reasons), tallies)
    return {t.metric.name: t.result() for t in tallies}


def _some(reasons: list[str | None] | None) -> list[str | None] | None:
    """`reasons`, or None when the period leaves no ticket out (the fast path)."""
    return None if reasons is None or not any(reasons) else reasons


def measure(
    tickets: Iterable[Ticket], metrics: Sequence[Metric], *, period: Period | None = None
) -> dict[str, KpiResult]:
    """Measure several metrics over `tickets` in one pass, by metric name.

    With `period`, only tickets that ended inside it are measured; the rest
    are excluded ("still open" or "ended outside the period"), so for every
    metric `sample_size + len(excluded)` is the number of tickets.
    """
    return measure_facts(map(kpi_facts, tickets), metrics, period=period)


def measure_one(metric: Metric, tickets: Iterable[Ticket], period: Period | None) -> KpiResult:
    """One metric's result (what the single-KPI functions return)."""
    return measure(tickets, [metric], period=period)[metric.name]
